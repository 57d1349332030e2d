// The statements of upserts: the live upsert (INSERT ... ON CONFLICT (identity) DO UPDATE, the
// event selecting from it with `changes` completed from the row), replay's bulk upsert by key,
// and the unique index: exact text and params; hostile identifiers are refused, hostile values
// stay parameters.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { defineEventLog, defineResource } from "../../mod.ts";
import { writeTarget } from "../../src/core/write-plan.ts";
import { upsertTargetOf } from "../../src/core/upsert.ts";
import { bulkUpsertSql } from "../../src/sql/bulk-writes.ts";
import { tableName } from "../../src/sql/identifier.ts";
import { uniqueIndexName, uniqueIndexSql } from "../../src/sql/unique-index.ts";
import { upsertRecordSql, type UpsertTarget, type WriteTarget } from "../../src/sql/write-statements.ts";
import { HOSTILE_IDENTIFIERS, HOSTILE_VALUES } from "../support/hostile-values.ts";

const log = defineEventLog();
const User = defineResource({
  name: "user",
  table: "users",
  attributes: v.object({
    id: v.string(),
    email: v.string(),
    name: v.string(),
    createdAt: v.date(),
    deletedAt: v.nullish(v.date()),
  }),
  timestamps: { createdAt: "createdAt" },
  actions: ({ create, destroy }) => ({
    join: create({ upsert: { identity: ["email"] } }),
    close: destroy({ soft: "deletedAt" }),
  }),
});
const user = writeTarget(User);
const upsert = upsertTargetOf(User, User.actions.join)!;

describe("upsert statements", () => {
  test("upsertTargetOf(): the identity, the live rows of its index, what the update path keeps", () => {
    assert.deepEqual(upsert, {
      identity: ["email"],
      live: ["deletedAt"],
      kept: ["id", "createdAt"],
      createdAt: "createdAt",
    });
    assert.equal(upsertTargetOf(User, User.actions.close), undefined);
  });

  test("upsertRecordSql() without an event: the insert, its conflict clause and the inserted flag", () => {
    const s = upsertRecordSql(log, user, { id: "u1", email: "a@b.c", name: "Ada" }, null, { upsert });
    assert.equal(
      s.text,
      `WITH written AS (INSERT INTO "users" ("id", "email", "name") VALUES ($1, $2, $3) ` +
        `ON CONFLICT ("email") WHERE "deleted_at" IS NULL DO UPDATE SET "email" = EXCLUDED."email", "name" = EXCLUDED."name" ` +
        `RETURNING *, (xmax = 0) AS "__ee_inserted") ` +
        `SELECT "events_expect"(EXISTS (SELECT 1 FROM written), $4::text) AS "__ee_ok", w.*, w."id"::text AS "__ee_record_id" ` +
        `FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`,
    );
    assert.deepEqual(s.params, ["u1", "a@b.c", "Ada", "EEN01"]);
  });

  test("upsertRecordSql() with an event: changes pin the row's key, and on the update path its createdAt", () => {
    const event = {
      id: "01HZX3NDEKTSV4RRFFQ69G5FAV",
      action: "join",
      actionType: "create" as const,
      version: 1,
      data: "{}",
      changes: "{}",
      metadata: "{}",
      tenant: null,
      correlationId: "corr",
      causationId: null,
      actor: null,
    };
    const s = upsertRecordSql(log, user, { id: "u1", email: "a@b.c", name: "Ada" }, event, {
      upsert,
      stamped: ["createdAt"],
    });
    assert.match(
      s.text,
      /\$\d+::jsonb \|\| jsonb_build_object\(\$\d+::text, current_setting\('edge_events\.occurred_at'\), \$\d+::text, CASE WHEN pg_typeof\(w\."id"\) = 'bigint'::regtype THEN to_jsonb\(w\."id"::text\) ELSE to_jsonb\(w\."id"\) END\) \|\| CASE WHEN w\."__ee_inserted" THEN '\{\}'::jsonb ELSE jsonb_build_object\(\$\d+::text, to_jsonb\(w\."created_at"\)\) END/,
    );
    assert.match(s.text, /RETURNING "position", "changes"\)/);
    assert.match(s.text, /e\."changes" AS "__ee_changes"/);
    assert.ok(s.params.includes("createdAt") && s.params.includes("id"));
  });

  test("bulkUpsertSql(): replay's insert-or-update by primary key, from one JSON parameter", () => {
    const s = bulkUpsertSql(user, ["id", "email", "name", "createdAt"], [{ id: "u1" }], ["id", "createdAt"]);
    assert.equal(
      s.text,
      `INSERT INTO "users" ("id", "email", "name", "created_at") SELECT "id", "email", "name", "created_at" ` +
        `FROM jsonb_populate_recordset(NULL::"users", $1::jsonb) ` +
        `ON CONFLICT ("id") DO UPDATE SET "email" = EXCLUDED."email", "name" = EXCLUDED."name"`,
    );
    assert.deepEqual(s.params, [JSON.stringify([{ id: "u1" }])]);
  });

  test("uniqueIndexSql(): named after the table and columns, partial over live rows", () => {
    assert.equal(
      uniqueIndexSql(tableName("users"), ["email"], []).text,
      `CREATE UNIQUE INDEX IF NOT EXISTS "users_email_key" ON "users" ("email")`,
    );
    const partial = uniqueIndexSql(tableName("app.users"), ["org_id", "email"], ["deleted_at"]).text;
    assert.match(
      partial,
      /^CREATE UNIQUE INDEX IF NOT EXISTS "users_[0-9a-f]{8}_key" ON "app"\."users" \("org_id", "email"\) WHERE "deleted_at" IS NULL$/,
    );
    const long = uniqueIndexName(tableName("t".repeat(60)), ["email"], []);
    assert.ok(new TextEncoder().encode(long).length <= 63);
    assert.notEqual(long, uniqueIndexName(tableName("t".repeat(60)), ["name"], []));
  });

  test("hostile identifiers are refused; hostile values stay parameters", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      const badColumn: WriteTarget = { ...user, columns: { ...user.columns, email: bad } };
      assert.throws(() => upsertRecordSql(log, badColumn, { email: "x" }, null, { upsert }), TypeError);
      assert.throws(() => bulkUpsertSql(badColumn, ["email"], [], ["id"]), TypeError);
      assert.throws(() => uniqueIndexSql(tableName("users"), [bad], []), TypeError);
      const badIdentity: UpsertTarget = { ...upsert, identity: [bad] };
      assert.throws(() => upsertRecordSql(log, user, { email: "x" }, null, { upsert: badIdentity }), TypeError);
    }
    for (const value of HOSTILE_VALUES) {
      const s = upsertRecordSql(log, user, { id: "u1", email: value, name: value }, null, { upsert });
      assert.ok(!s.text.includes(value), JSON.stringify(value));
      assert.ok(s.params.includes(value));
    }
  });
});
