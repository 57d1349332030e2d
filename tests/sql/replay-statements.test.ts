// The statements of replay and adoption (src/sql/replay-statements.ts, adopt-statements.ts): exact text and
// params of each; replay ids, tenants, options, error notes, event and record ids and keys
// only as parameters; and on PGlite and Postgres (neon-http) the replay state row, the
// page reads, the tenant clear and the adoption events round-trip hostile values exactly.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  type StorageError,
} from "../../mod.ts";
import type { Row, SqlStatement } from "../../src/core/executor.ts";
import { tableName } from "../../src/sql/identifier.ts";
import {
  adoptedRowSql,
  adoptionEventSql,
  type AdoptTarget,
  rekeyBlockedSql,
  removeAdoptedRowSql,
  unadoptedRowsSql,
} from "../../src/sql/adopt-statements.ts";
import {
  checkpointSql,
  clearTableSql,
  countEventsInScopeSql,
  eventPageSql,
  eventPositionSql,
  exclusiveFenceSql,
  finishReplaySql,
  holdForClearSql,
  insertReplaySql,
  laterAdoptionSql,
  maxPositionSql,
  noteReplayErrorSql,
  type ReplayBounds,
  replayByIdSql,
  replayStatusSql,
  runningReplaySql,
  targetPositionSql,
} from "../../src/sql/replay-statements.ts";
import { fenceLockKey, writePreludeSql } from "../../src/sql/write-prelude.ts";
import { GLOBAL_LOCK_KEY } from "../../src/core/lock-key.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { HOSTILE_IDENTIFIERS, HOSTILE_VALUES } from "../support/hostile-values.ts";

const AT = new Date("2024-01-02T03:04:05.678Z");
const log = defineEventLog({ table: "audit.events" });
const plainLog = defineEventLog();
const all: ReplayBounds = { targetPosition: 99n, tenant: null };
const narrow: ReplayBounds = { targetPosition: 99n, tenant: "org1" };
const adoptTarget: AdoptTarget = {
  resource: "account",
  table: tableName("bank.accounts"),
  primaryKeyColumn: "id",
  tenantColumn: "org_id",
};
const adoption = {
  id: "01HZX3NDEKTSV4RRFFQ69G5FAV",
  recordId: "a1",
  action: "adopt",
  version: 1,
  changes: `{"id":"a1"}`,
  tenant: "org1",
  correlationId: "corr",
  metadata: "{}",
};

const plain = (s: SqlStatement): { text: string; params: readonly unknown[] } => ({ text: s.text, params: s.params });

describe("replay statements: golden text and params", () => {
  test("exclusiveFenceSql() takes the log's fence lock alone", () => {
    assert.deepEqual(plain(exclusiveFenceSql(log)), {
      text: "SELECT pg_advisory_xact_lock($1::int, $2::int)",
      params: [...fenceLockKey(log)],
    });
  });

  test("insertReplaySql() registers a running replay whose default target is the last position", () => {
    assert.deepEqual(plain(insertReplaySql(log, "r1", "org1", null, `{"clear":"none"}`)), {
      text: `INSERT INTO "audit"."events_replay" ("replay_id", "tenant", "status", "options", "target_position") ` +
        `VALUES ($1::text, $2::text, 'running', $3::jsonb, ` +
        `(SELECT coalesce(max("position"), 0)::bigint FROM "audit"."events")) RETURNING "target_position"`,
      params: ["r1", "org1", `{"clear":"none"}`],
    });
    assert.deepEqual(plain(insertReplaySql(plainLog, "r1", null, 12n, "{}")), {
      text: `INSERT INTO "events_replay" ("replay_id", "tenant", "status", "options", "target_position") ` +
        `VALUES ($1::text, $2::text, 'running', $3::jsonb, ` +
        `(SELECT coalesce(max("position"), 0)::bigint FROM "events" WHERE "position" <= $4::bigint)) RETURNING "target_position"`,
      params: ["r1", null, "{}", 12n],
    });
  });

  test("insertReplaySql() and targetPositionSql() resolve a time bound to the last position at or before it, within the tenant of a tenant replay", () => {
    assert.deepEqual(plain(insertReplaySql(log, "r1", "org1", 12n, "{}", AT)), {
      text: `INSERT INTO "audit"."events_replay" ("replay_id", "tenant", "status", "options", "target_position") ` +
        `VALUES ($1::text, $2::text, 'running', $3::jsonb, (SELECT coalesce(max("position"), 0)::bigint FROM "audit"."events" ` +
        `WHERE "position" <= $4::bigint AND "occurred_at" <= $5::timestamptz AND "tenant" = $6::text)) RETURNING "target_position"`,
      params: ["r1", "org1", "{}", 12n, AT, "org1"],
    });
    assert.deepEqual(plain(targetPositionSql(plainLog, { position: null, untilTime: AT, tenant: null })), {
      text:
        `SELECT (SELECT coalesce(max("position"), 0)::bigint FROM "events" WHERE "occurred_at" <= $1::timestamptz) AS "position"`,
      params: [AT],
    });
    assert.deepEqual(plain(targetPositionSql(plainLog, { position: null, untilTime: null, tenant: "org1" })), {
      text: `SELECT (SELECT coalesce(max("position"), 0)::bigint FROM "events") AS "position"`,
      params: [],
    });
  });

  test("eventPositionSql() and maxPositionSql()", () => {
    assert.deepEqual(plain(eventPositionSql(log, "e1")), {
      text: `SELECT "position" FROM "audit"."events" WHERE "id" = $1::text`,
      params: ["e1"],
    });
    assert.deepEqual(plain(maxPositionSql(plainLog)), {
      text: `SELECT coalesce(max("position"), 0)::bigint AS "position" FROM "events"`,
      params: [],
    });
  });

  test("countEventsInScopeSql() and eventPageSql() bound by target, and by tenant when given", () => {
    assert.deepEqual(plain(countEventsInScopeSql(log, "r1", all)), {
      text:
        `WITH counted AS (SELECT count(*)::bigint AS "count" FROM "audit"."events" WHERE "position" <= $1::bigint), ` +
        `noted AS (UPDATE "audit"."events_replay" SET "options" = "options" || jsonb_build_object('eventsInScope', (SELECT "count" FROM counted)) ` +
        `WHERE "replay_id" = $2::text) SELECT "count" FROM counted`,
      params: [99n, "r1"],
    });
    assert.deepEqual(plain(eventPageSql(log, narrow, 5n, 1000)), {
      text:
        `SELECT * FROM "audit"."events" WHERE "position" > $1::bigint AND "position" <= $2::bigint AND "tenant" = $3::text ` +
        `ORDER BY "position" LIMIT $4::int`,
      params: [5n, 99n, "org1", 1000],
    });
  });

  test("checkpointSql() moves only from the checkpoint read, and expects the move", () => {
    assert.deepEqual(plain(checkpointSql(log, "r1", 5n, { lastPosition: 9n, applied: 3, skipped: 1, routed: 2 })), {
      text:
        `WITH moved AS (UPDATE "audit"."events_replay" SET "last_position" = $1::bigint, "applied" = "applied" + $2::bigint, ` +
        `"skipped" = "skipped" + $3::bigint, "routed" = "routed" + $4::bigint, "updated_at" = now(), "error" = NULL ` +
        `WHERE "replay_id" = $5::text AND "status" = 'running' AND "last_position" = $6::bigint RETURNING 1) ` +
        `SELECT "audit"."events_expect"(EXISTS (SELECT 1 FROM moved), $7::text) AS "ok"`,
      params: [9n, 3, 1, 2, "r1", 5n, "EEC01"],
    });
  });

  test("holdForClearSql() locks the replay's row and expects it running at checkpoint 0", () => {
    assert.deepEqual(plain(holdForClearSql(log, "r1")), {
      text: `WITH held AS (UPDATE "audit"."events_replay" SET "updated_at" = now() ` +
        `WHERE "replay_id" = $1::text AND "status" = 'running' AND "last_position" = 0 RETURNING 1) ` +
        `SELECT "audit"."events_expect"(EXISTS (SELECT 1 FROM held), $2::text) AS "ok"`,
      params: ["r1", "EEC01"],
    });
  });

  test("finishReplaySql(), noteReplayErrorSql(), runningReplaySql() and replayByIdSql()", () => {
    assert.deepEqual(plain(finishReplaySql(log, "r1", "aborted")), {
      text: `UPDATE "audit"."events_replay" SET "status" = $1::text, "finished_at" = now(), "updated_at" = now() ` +
        `WHERE "replay_id" = $2::text AND "status" = 'running' RETURNING "replay_id"`,
      params: ["aborted", "r1"],
    });
    assert.deepEqual(plain(noteReplayErrorSql(log, "r1", "boom")), {
      text:
        `UPDATE "audit"."events_replay" SET "error" = $1::text, "updated_at" = now() WHERE "replay_id" = $2::text AND "status" = 'running'`,
      params: ["boom", "r1"],
    });
    assert.deepEqual(plain(runningReplaySql(log)), {
      text: `SELECT * FROM "audit"."events_replay" WHERE "status" = 'running'`,
      params: [],
    });
    assert.deepEqual(plain(replayByIdSql(plainLog, "r1")), {
      text: `SELECT * FROM "events_replay" WHERE "replay_id" = $1::text`,
      params: ["r1"],
    });
  });

  test("replayStatusSql() reads one replay by id, else the running one, else the last started, positions as text", () => {
    const columns = `"replay_id", "tenant", "status", "options", "target_position"::text AS "target_position", ` +
      `"last_position"::text AS "last_position", "applied"::text AS "applied", "skipped"::text AS "skipped", ` +
      `"routed"::text AS "routed", "started_at", "updated_at", "finished_at", "error"`;
    assert.deepEqual(plain(replayStatusSql(log, "r1")), {
      text: `SELECT ${columns} FROM "audit"."events_replay" WHERE "replay_id" = $1::text`,
      params: ["r1"],
    });
    assert.deepEqual(plain(replayStatusSql(plainLog)), {
      text:
        `SELECT ${columns} FROM "events_replay" ORDER BY ("status" = 'running') DESC, "started_at" DESC, "replay_id" DESC LIMIT 1`,
      params: [],
    });
  });

  test("clearTableSql() clears a whole table, or one tenant's rows", () => {
    assert.deepEqual(plain(clearTableSql(tableName("bank.accounts"), "org_id", null)), {
      text: `DELETE FROM "bank"."accounts"`,
      params: [],
    });
    assert.deepEqual(plain(clearTableSql(tableName("accounts"), "org_id", "org1")), {
      text: `DELETE FROM "accounts" WHERE "org_id"::text = $1::text`,
      params: ["org1"],
    });
    assert.throws(() => clearTableSql(tableName("accounts"), undefined, "org1"), TypeError);
  });

  test("unadoptedRowsSql() lists rows without a create event in key order, after a key when given", () => {
    const text = (resource: string, after: string, limit: string): string =>
      `SELECT r.*, r."id"::text AS "__ee_record_id", to_jsonb(r) AS "__ee_row" FROM "bank"."accounts" AS r WHERE NOT EXISTS ` +
      `(SELECT 1 FROM "audit"."events" AS e WHERE e."resource" = ${resource}::text AND e."record_id" = r."id"::text ` +
      `AND e."action_type" = 'create')${after} ORDER BY r."id"::text LIMIT ${limit}::int`;
    assert.deepEqual(plain(unadoptedRowsSql(log, adoptTarget, null, 100)), {
      text: text("$1", "", "$2"),
      params: ["account", 100],
    });
    // The key after which to list is bound first: placeholders need not follow the text's order.
    assert.deepEqual(plain(unadoptedRowsSql(log, adoptTarget, "a1", 100)), {
      text: text("$2", ` AND r."id"::text > $1::text`, "$3"),
      params: ["a1", "account", 100],
    });
  });

  test("adoptionEventSql() appends an adopt event unless a create event exists by now", () => {
    const columns =
      `INSERT INTO "audit"."events" ("id", "occurred_at", "resource", "record_id", "action", "action_type", "version", ` +
      `"data", "changes", "metadata", "tenant", "correlation_id") ` +
      `SELECT $1::text, current_setting('edge_events.occurred_at')::timestamptz, $2::text, $3::text, $4::text, 'create', $5::int, '{}'::jsonb, ` +
      `$6::jsonb, $7::jsonb, $8::text, $9::text `;
    assert.deepEqual(plain(adoptionEventSql(log, adoptTarget, adoption)), {
      text: columns +
        `WHERE NOT EXISTS (SELECT 1 FROM "audit"."events" WHERE "resource" = $10::text AND "record_id" = $11::text AND "action_type" = 'create')`,
      params: [adoption.id, "account", "a1", "adopt", 1, `{"id":"a1"}`, "{}", "org1", "corr", "account", "a1"],
    });
    // Re-keyed: only while the old row exists (its key typed by the table) and no event names it.
    const rekeyed = { ...adoption, recordId: "n1", action: "import", version: 2, previousId: "a1" };
    assert.deepEqual(plain(adoptionEventSql(log, adoptTarget, rekeyed)), {
      text: columns +
        `WHERE EXISTS (SELECT 1 FROM "bank"."accounts" AS r WHERE r."id" = (jsonb_populate_record(NULL::"bank"."accounts", ` +
        `jsonb_build_object($10::text, $11::text)))."id") AND NOT EXISTS (SELECT 1 FROM "audit"."events" WHERE "resource" = $12::text ` +
        `AND "record_id" = $13::text)`,
      params: [
        adoption.id,
        "account",
        "n1",
        "import",
        2,
        `{"id":"a1"}`,
        "{}",
        "org1",
        "corr",
        "id",
        "a1",
        "account",
        "a1",
      ],
    });
  });

  test("adoptedRowSql(), removeAdoptedRowSql() write a row only if its adoption event was written", () => {
    const row = { id: "n1", org_id: "org1", owner: "x" };
    const written = `EXISTS (SELECT 1 FROM "audit"."events" WHERE "id" = $2::text)`;
    assert.deepEqual(plain(adoptedRowSql(log, adoptTarget, "insert", row, "E")), {
      text: `INSERT INTO "bank"."accounts" ("id", "org_id", "owner") SELECT "id", "org_id", "owner" FROM ` +
        `jsonb_populate_record(NULL::"bank"."accounts", $1::jsonb) AS v WHERE ${written}`,
      params: [JSON.stringify(row), "E"],
    });
    assert.deepEqual(plain(adoptedRowSql(log, adoptTarget, "update", row, "E")), {
      text: `UPDATE "bank"."accounts" AS r SET "org_id" = v."org_id", "owner" = v."owner" FROM ` +
        `jsonb_populate_record(NULL::"bank"."accounts", $1::jsonb) AS v WHERE r."id" = v."id" AND ${written}`,
      params: [JSON.stringify(row), "E"],
    });
    assert.deepEqual(plain(removeAdoptedRowSql(log, adoptTarget, "a1", "E")), {
      text: `DELETE FROM "bank"."accounts" AS r WHERE r."id" = (jsonb_populate_record(NULL::"bank"."accounts", ` +
        `jsonb_build_object($1::text, $2::text)))."id" AND EXISTS (SELECT 1 FROM "audit"."events" WHERE "id" = $3::text)`,
      params: ["id", "a1", "E"],
    });
  });

  test("rekeyBlockedSql() finds a row that events name but no create event describes", () => {
    assert.deepEqual(plain(rekeyBlockedSql(log, adoptTarget)), {
      text:
        `SELECT r."id"::text AS "__ee_record_id" FROM "bank"."accounts" AS r WHERE EXISTS (SELECT 1 FROM "audit"."events" AS e ` +
        `WHERE e."resource" = $1::text AND e."record_id" = r."id"::text) AND NOT EXISTS (SELECT 1 FROM "audit"."events" AS e ` +
        `WHERE e."resource" = $1::text AND e."record_id" = r."id"::text AND e."action_type" = 'create') LIMIT 1`,
      params: ["account"],
    });
  });

  test("laterAdoptionSql() finds the first create of a record after a position", () => {
    assert.deepEqual(plain(laterAdoptionSql(log, "account", "a1", 7n)), {
      text: `SELECT "position" FROM "audit"."events" WHERE "resource" = $1::text AND "record_id" = $2::text ` +
        `AND "action_type" = 'create' AND "position" > $3::bigint ORDER BY "position" LIMIT 1`,
      params: ["account", "a1", 7n],
    });
  });

  test("every statement is frozen", () => {
    for (
      const s of [
        exclusiveFenceSql(log),
        insertReplaySql(log, "r", null, null, "{}"),
        maxPositionSql(log),
        runningReplaySql(log),
        clearTableSql(tableName("t"), undefined, null),
        unadoptedRowsSql(log, adoptTarget, null, 1),
      ]
    ) {
      assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
    }
  });
});

/** Every builder of this file, with `value` in every string value slot. */
function everyStatement(value: string): SqlStatement[] {
  const bounds: ReplayBounds = { targetPosition: 9n, tenant: value };
  const json = JSON.stringify({ [value]: value });
  const target: AdoptTarget = { ...adoptTarget, resource: value };
  const event = {
    id: value,
    recordId: value,
    action: value,
    version: 1,
    changes: json,
    tenant: value,
    correlationId: value,
    metadata: json,
  };
  return [
    insertReplaySql(log, value, value, null, json, AT),
    targetPositionSql(log, { position: 3n, untilTime: AT, tenant: value }),
    eventPositionSql(log, value),
    countEventsInScopeSql(log, value, bounds),
    holdForClearSql(log, value),
    eventPageSql(log, bounds, 0n, 10),
    checkpointSql(log, value, 0n, { lastPosition: 1n, applied: 1, skipped: 0, routed: 0 }),
    finishReplaySql(log, value, "completed"),
    noteReplayErrorSql(log, value, value),
    replayByIdSql(log, value),
    clearTableSql(tableName("accounts"), "org_id", value),
    unadoptedRowsSql(log, target, value, 10),
    adoptionEventSql(log, target, event),
    adoptionEventSql(log, target, { ...event, previousId: value }),
    removeAdoptedRowSql(log, target, value, value),
    rekeyBlockedSql(log, target),
    laterAdoptionSql(log, value, value, 0n),
  ];
}

describe("replay statements: injection", () => {
  test("hostile values in every value slot leave the text as it is and travel as parameters", () => {
    const benign = everyStatement("plain");
    const plainJson = JSON.stringify({ plain: "plain" });
    for (const value of HOSTILE_VALUES) {
      everyStatement(value).forEach((s, i) => {
        const b = benign[i]!;
        assert.equal(s.text, b.text, `statement ${i} with ${JSON.stringify(value)}`);
        assert.ok(!s.text.includes(value), `statement ${i} text contains ${JSON.stringify(value)}`);
        assert.deepEqual(
          s.params,
          b.params.map((p) => (p === "plain" ? value : p === plainJson ? JSON.stringify({ [value]: value }) : p)),
        );
      });
    }
  });

  test("hostile values in an adopted row travel only inside its JSON parameter", () => {
    for (const value of HOSTILE_VALUES) {
      for (const kind of ["insert", "update"] as const) {
        const s = adoptedRowSql(log, adoptTarget, kind, { id: value, owner: value }, value);
        assert.equal(s.text, adoptedRowSql(log, adoptTarget, kind, { id: "a", owner: "b" }, "e").text);
        assert.deepEqual(s.params, [JSON.stringify({ id: value, owner: value }), value]);
      }
    }
  });

  test("hostile tenant and key columns are TypeErrors", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      assert.throws(() => clearTableSql(tableName("accounts"), bad, "org1"), TypeError, JSON.stringify(bad));
      assert.throws(
        () => unadoptedRowsSql(log, { ...adoptTarget, primaryKeyColumn: bad }, null, 10),
        TypeError,
        JSON.stringify(bad),
      );
    }
  });
});

function model(schema: string) {
  const storeLog = defineEventLog({ table: `${schema}.events` });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    tenant: "orgId",
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), orgId: v.string(), owner: v.string() }),
    actions: ({ create }) => ({ open: create({ input: v.object({ id: v.string(), owner: v.string() }) }) }),
  });
  return { log: storeLog, Account };
}

async function sqlStateOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isEdgeEventsError(error, "STORAGE_FAILURE"), String(error));
    return (error as StorageError).sqlState;
  }
  assert.fail("expected a storage failure");
}

describeEachExecutor("replay statements on the database", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const query = async (s: SqlStatement): Promise<Row[]> => (await fx.db.query(s)).rows;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
    await store.migrate({ resourceTables: true });
    for (const value of HOSTILE_VALUES) {
      await store.resource(m.Account).open({ id: value, owner: value }, { tenant: value });
    }
  });

  test("a replay state row with hostile id, tenant, options and error note round-trips, and its checkpoint moves once", async () => {
    const id = HOSTILE_VALUES[3]!;
    const tenant = HOSTILE_VALUES[4]!;
    const options = JSON.stringify({ [id]: tenant, clear: "none" });
    const [, inserted] = await fx.db.batch([
      exclusiveFenceSql(m.log),
      insertReplaySql(m.log, id, tenant, null, options),
    ]);
    assert.deepEqual(inserted?.rows, [{ target_position: BigInt(HOSTILE_VALUES.length) }]);
    assert.deepEqual((await query(runningReplaySql(m.log))).map((r) => r["replay_id"]), [id]);

    await fx.db.query(noteReplayErrorSql(m.log, id, tenant));
    const [row] = await query(replayByIdSql(m.log, id));
    assert.equal(row?.["replay_id"], id);
    assert.equal(row?.["tenant"], tenant);
    assert.deepEqual(row?.["options"], JSON.parse(options));
    assert.equal(row?.["error"], tenant);
    const everything: ReplayBounds = { targetPosition: 1000n, tenant: null };
    assert.deepEqual(await query(countEventsInScopeSql(m.log, id, everything)), [{
      count: BigInt(HOSTILE_VALUES.length),
    }]);
    const [counted] = await query(replayByIdSql(m.log, id));
    assert.deepEqual(
      counted?.["options"],
      { ...JSON.parse(options), eventsInScope: HOSTILE_VALUES.length },
      "the count is noted on the row",
    );

    await fx.db.batch([holdForClearSql(m.log, id)]);
    assert.equal(await sqlStateOf(fx.db.batch([holdForClearSql(m.log, `${id} `)])), "EEC01");
    await fx.db.batch([checkpointSql(m.log, id, 0n, { lastPosition: 4n, applied: 3, skipped: 1, routed: 0 })]);
    assert.equal(
      await sqlStateOf(fx.db.batch([holdForClearSql(m.log, id)])),
      "EEC01",
      "no clear once a page committed",
    );
    assert.equal(
      await sqlStateOf(
        fx.db.batch([checkpointSql(m.log, id, 0n, { lastPosition: 5n, applied: 1, skipped: 0, routed: 0 })]),
      ),
      "EEC01",
    );
    assert.equal(
      await sqlStateOf(
        fx.db.batch([checkpointSql(m.log, `${id} `, 4n, { lastPosition: 5n, applied: 1, skipped: 0, routed: 0 })]),
      ),
      "EEC01",
    );
    const [moved] = await query(replayByIdSql(m.log, id));
    assert.equal(moved?.["last_position"], 4n);
    assert.equal(moved?.["applied"], 3n);
    assert.equal(moved?.["error"], null);

    assert.deepEqual(await query(finishReplaySql(m.log, `${id}' OR '1'='1`, "aborted")), []);
    assert.deepEqual(await query(finishReplaySql(m.log, id, "completed")), [{ replay_id: id }]);
    assert.deepEqual(await query(runningReplaySql(m.log)), []);
  });

  test("page reads and counts bound by a hostile tenant find exactly its events", async () => {
    const [max] = await query(maxPositionSql(m.log));
    assert.equal(max?.["position"], BigInt(HOSTILE_VALUES.length));
    for (const [i, value] of HOSTILE_VALUES.entries()) {
      const bounds: ReplayBounds = { targetPosition: 1000n, tenant: value };
      assert.deepEqual(await query(countEventsInScopeSql(m.log, "no such replay", bounds)), [{ count: 1n }]);
      const page = await query(eventPageSql(m.log, bounds, 0n, 10));
      assert.deepEqual(page.map((e) => [e["record_id"], e["tenant"], e["position"]]), [[value, value, BigInt(i + 1)]]);
      assert.deepEqual(await query(eventPositionSql(m.log, String(page[0]?.["id"]))), [{ position: BigInt(i + 1) }]);
    }
    assert.deepEqual(await query(eventPositionSql(m.log, "' OR 1=1 --")), []);
  });

  test("a tenant clear deletes exactly that tenant's rows", async () => {
    const table = tableName(`${fx.schema}.accounts`);
    await fx.db.batch([
      clearTableSql(table, "org_id", HOSTILE_VALUES[0]!),
      clearTableSql(table, "org_id", `${HOSTILE_VALUES[1]}' OR '1'='1`),
    ]);
    const left = await fx.db.query({ text: `SELECT org_id FROM ${fx.schema}.accounts`, params: [] });
    assert.deepEqual(left.rows.map((r) => r["org_id"]).sort(), HOSTILE_VALUES.slice(1).sort());
  });

  test("rows without a create event, with hostile keys, are listed and adopted exactly once", async () => {
    const extra = HOSTILE_VALUES.map((value) => `legacy ${value}`);
    for (const value of extra) {
      await fx.db.query({
        text: `INSERT INTO ${fx.schema}.accounts (id, org_id, owner) VALUES ($1, $2, $3)`,
        params: [value, value, value],
      });
    }
    const target: AdoptTarget = {
      resource: "account",
      table: tableName(`${fx.schema}.accounts`),
      primaryKeyColumn: "id",
      tenantColumn: "org_id",
    };
    const listed = await query(unadoptedRowsSql(m.log, target, null, 100));
    assert.deepEqual(listed.map((r) => r["__ee_record_id"]).sort(), [...extra].sort());
    for (const r of listed) assert.deepEqual(r["__ee_row"], { id: r["id"], org_id: r["id"], owner: r["id"] });
    const after = String(listed[0]?.["__ee_record_id"]);
    const rest = await query(unadoptedRowsSql(m.log, target, after, 100));
    assert.deepEqual(rest.map((r) => r["__ee_record_id"]), listed.slice(1).map((r) => r["__ee_record_id"]));

    const [value] = extra as [string];
    const event = {
      id: "01HZX3NDEKTSV4RRFFQ69G5FAV",
      recordId: value,
      action: "adopt",
      version: 1,
      changes: JSON.stringify({ id: value, [value]: value }),
      tenant: value,
      correlationId: value,
      metadata: JSON.stringify({ note: value }),
    };
    // An adoption takes the batch's stamp: it runs after the write prelude.
    const prelude = writePreludeSql(m.log, [GLOBAL_LOCK_KEY], [value], AT);
    const [, inserted] = await fx.db.batch([prelude, adoptionEventSql(m.log, target, event)]);
    assert.equal(inserted?.rowCount, 1);
    const [, again] = await fx.db.batch([
      prelude,
      adoptionEventSql(m.log, target, { ...event, id: "01HZX3NDEKTSV4RRFFQ69G5FAW" }),
    ]);
    assert.equal(again?.rowCount, 0, "a second adoption of the record writes nothing");
    const [stored] = await fx.db.query({ text: `SELECT * FROM ${fx.schema}.events WHERE id = $1`, params: [event.id] })
      .then((r) => r.rows);
    assert.equal(stored?.["record_id"], value);
    assert.equal(stored?.["tenant"], value);
    assert.equal(stored?.["correlation_id"], value);
    assert.deepEqual(stored?.["changes"], { id: value, [value]: value });
    assert.deepEqual(stored?.["metadata"], { note: value });
    assert.deepEqual(await query(laterAdoptionSql(m.log, "account", value, 0n)), [{ position: stored?.["position"] }]);
    assert.deepEqual(await query(laterAdoptionSql(m.log, "account", `${value}' OR '1'='1`, 0n)), []);
    const remaining = await query(unadoptedRowsSql(m.log, target, null, 100));
    assert.ok(!remaining.some((r) => r["__ee_record_id"] === value));
  });
});
