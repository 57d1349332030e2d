// Replay's set-based writes (src/sql/bulk-writes.ts): exact text and params; rows travel as
// one JSON parameter whatever they hold; hostile column names and unknown attributes are
// refused; and on PGlite and Postgres (neon-http) hostile values are inserted, updated and
// deleted exactly, with a row count mismatch raising EEN01.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, isEdgeEventsError, type StorageError } from "../../mod.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { writeTarget } from "../../src/core/write-plan.ts";
import { bulkDeleteSql, bulkInsertSql, bulkUpdateSql } from "../../src/sql/bulk-writes.ts";
import type { WriteTarget } from "../../src/sql/write-statements.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { HOSTILE_IDENTIFIERS, HOSTILE_VALUES } from "../support/hostile-values.ts";

function model(schema: string | undefined) {
  const qualify = (table: string): string => (schema === undefined ? table : `${schema}.${table}`);
  const log = defineEventLog({ table: qualify("events") });
  const Account = defineResource({
    name: "account",
    table: qualify("accounts"),
    tenant: "orgId",
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({
      id: v.string(),
      orgId: v.string(),
      owner: v.string(),
      deletedAt: v.optional(v.nullable(v.date())),
    }),
    columns: { owner: "owner_name" },
    actions: ({ create, destroy }) => ({ open: create(), close: destroy({ soft: "deletedAt" }) }),
  });
  const Tag = defineResource({
    name: "tag",
    table: qualify("tags"),
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create }) => ({ add: create() }),
  });
  return { log, Account, Tag };
}

const { log, Account } = model("bank");
const account = writeTarget(Account);
const sorted = (list: JsonObject[]): JsonObject[] =>
  [...list].sort((a, b) => (String(a["owner_name"]) < String(b["owner_name"]) ? -1 : 1));
const rows: JsonObject[] = [{ id: "a1", org_id: "o1", owner_name: "Ada" }, {
  id: "a2",
  org_id: "o1",
  owner_name: "Bo",
}];

describe("bulk writes: golden text and params", () => {
  test("bulkInsertSql() selects the given columns from the rows as the table's row type", () => {
    const s = bulkInsertSql(account, ["id", "orgId", "owner"], rows);
    assert.deepEqual({ ...s }, {
      text: `INSERT INTO "bank"."accounts" ("id", "org_id", "owner_name") SELECT "id", "org_id", "owner_name" ` +
        `FROM jsonb_populate_recordset(NULL::"bank"."accounts", $1::jsonb)`,
      params: [JSON.stringify(rows)],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });

  test("bulkUpdateSql() matches key, tenant and liveness, and expects every row", () => {
    assert.deepEqual({ ...bulkUpdateSql(log, account, ["owner"], rows) }, {
      text: `WITH v AS (SELECT * FROM jsonb_populate_recordset(NULL::"bank"."accounts", $1::jsonb)), ` +
        `w AS (UPDATE "bank"."accounts" AS r SET "owner_name" = v."owner_name" FROM v WHERE r."id" = v."id" ` +
        `AND r."org_id" = v."org_id" AND r."deleted_at" IS NULL RETURNING 1) ` +
        `SELECT "bank"."events_expect"((SELECT count(*) FROM w) = $2::bigint, $3::text) AS "ok"`,
      params: [JSON.stringify(rows), 2, "EEN01"],
    });
  });

  test("bulkDeleteSql() on a table without tenant or soft destroy matches the key alone", () => {
    const tags: JsonObject[] = [{ id: "t1" }];
    const unqualified = model(undefined);
    assert.deepEqual({ ...bulkDeleteSql(unqualified.log, writeTarget(unqualified.Tag), tags) }, {
      text: `WITH v AS (SELECT * FROM jsonb_populate_recordset(NULL::"tags", $1::jsonb)), ` +
        `w AS (DELETE FROM "tags" AS r USING v WHERE r."id" = v."id" RETURNING 1) ` +
        `SELECT "events_expect"((SELECT count(*) FROM w) = $2::bigint, $3::text) AS "ok"`,
      params: [`[{"id":"t1"}]`, 1, "EEN01"],
    });
  });
});

describe("bulk writes: injection", () => {
  test("hostile values, also as JSON keys, stay inside the one JSON parameter", () => {
    const benign = [
      bulkInsertSql(account, ["id", "owner"], [{ id: "plain" }]),
      bulkUpdateSql(log, account, ["owner"], [{ id: "plain" }]),
      bulkDeleteSql(log, account, [{ id: "plain" }]),
    ];
    for (const value of HOSTILE_VALUES) {
      const hostileRows: JsonObject[] = [{ id: value, org_id: value, owner_name: value, [value]: value }];
      const built = [
        bulkInsertSql(account, ["id", "owner"], hostileRows),
        bulkUpdateSql(log, account, ["owner"], hostileRows),
        bulkDeleteSql(log, account, hostileRows),
      ];
      built.forEach((s, i) => {
        assert.equal(s.text, benign[i]!.text);
        assert.ok(!s.text.includes(value));
        assert.equal(s.params[0], JSON.stringify(hostileRows));
      });
    }
  });

  test("unknown attributes and targets forged with hostile columns are TypeErrors", () => {
    assert.throws(
      () => bulkInsertSql(account, ["id", "owner_name"], rows),
      TypeError,
      "a column name is not an attribute",
    );
    assert.throws(() => bulkUpdateSql(log, account, ['id"; --'], rows), TypeError);
    for (const bad of HOSTILE_IDENTIFIERS) {
      const badColumn: WriteTarget = { ...account, columns: { ...account.columns, owner: bad } };
      const badKey: WriteTarget = { ...account, columns: { ...account.columns, id: bad } };
      const badSoft: WriteTarget = { ...account, columns: { ...account.columns, deletedAt: bad } };
      assert.throws(() => bulkInsertSql(badColumn, ["owner"], rows), TypeError, JSON.stringify(bad));
      assert.throws(() => bulkUpdateSql(log, badColumn, ["owner"], rows), TypeError, JSON.stringify(bad));
      assert.throws(() => bulkUpdateSql(log, badKey, ["owner"], rows), TypeError, JSON.stringify(bad));
      assert.throws(() => bulkDeleteSql(log, badSoft, rows), TypeError, JSON.stringify(bad));
    }
  });
});

describeEachExecutor("bulk writes on the database", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let target: WriteTarget;
  const table = (): string => `${fx.schema}.accounts`;
  // Sorted here, not by the database: its collation may not order these strings as JS does.
  const owners = async (): Promise<JsonObject[]> =>
    sorted(
      (await fx.db.query({ text: `SELECT id, org_id, owner_name FROM ${table()}`, params: [] })).rows as JsonObject[],
    );

  before(async () => {
    m = model(fx.schema);
    await createEventStore({ db: fx.db, log: m.log, resources: [m.Account, m.Tag] }).migrate({ resourceTables: true });
    target = writeTarget(m.Account);
  });

  test("hostile values are inserted, updated and deleted exactly", async () => {
    const inserted = HOSTILE_VALUES.map((value, i): JsonObject => ({
      id: value,
      org_id: value,
      owner_name: `${i}:${value}`,
    }));
    await fx.db.batch([bulkInsertSql(target, ["id", "orgId", "owner"], inserted)]);
    assert.deepEqual(await owners(), sorted(inserted));

    const updated = HOSTILE_VALUES.map((value): JsonObject => ({
      id: value,
      org_id: value,
      owner_name: `${value}${value}`,
    }));
    await fx.db.batch([bulkUpdateSql(m.log, target, ["owner"], updated)]);
    assert.deepEqual(await owners(), sorted(updated));

    const half = HOSTILE_VALUES.filter((_, i) => i % 2 === 0).map((value): JsonObject => ({
      id: value,
      org_id: value,
    }));
    await fx.db.batch([bulkDeleteSql(m.log, target, half)]);
    assert.deepEqual(await owners(), sorted(updated.filter((_, i) => i % 2 === 1)));
  });

  test("a row that matches nothing (a near-miss tenant) raises EEN01 and writes nothing", async () => {
    const before = await owners();
    const value = HOSTILE_VALUES[1]!;
    for (
      const statement of [
        bulkUpdateSql(m.log, target, ["owner"], [{ id: value, org_id: `${value}' OR '1'='1`, owner_name: "x" }]),
        bulkDeleteSql(m.log, target, [{ id: value, org_id: value }, { id: `${value}' OR '1'='1`, org_id: value }]),
      ]
    ) {
      let caught: unknown;
      try {
        await fx.db.batch([statement]);
      } catch (error) {
        caught = error;
      }
      assert.ok(isEdgeEventsError(caught, "STORAGE_FAILURE"), String(caught));
      assert.equal((caught as StorageError).sqlState, "EEN01");
    }
    assert.deepEqual(await owners(), before);
  });
});
