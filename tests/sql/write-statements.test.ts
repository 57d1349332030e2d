// The statements of the write path (src/sql/write-statements.ts): exact text and params of
// the prelude, the record-and-event CTEs and the reads; every value slot holds hostile values
// as parameters only; and on PGlite and Postgres (neon-http), records, events, metadata and
// event data written through the store with hostile values come back exactly.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "../../mod.ts";
import type { SqlParam, SqlStatement } from "../../src/core/executor.ts";
import { writeTarget } from "../../src/core/write-plan.ts";
import { ref, sql } from "../../src/sql/fragment.ts";
import {
  deleteRecordSql,
  type EventValues,
  type IgnoredCallValues,
  insertRecordSql,
  readIgnoredCallsSql,
  readRecordSql,
  updateRecordSql,
  type WriteTarget,
} from "../../src/sql/write-statements.ts";
import { fenceCheckSql, fenceLockKey, writePreludeSql } from "../../src/sql/write-prelude.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { HOSTILE_IDENTIFIERS, HOSTILE_VALUES } from "../support/hostile-values.ts";
import { rejectsWith } from "../support/store-helpers.ts";

const AT = new Date("2024-01-02T03:04:05.678Z");
const EVENT_ID = "01HZX3NDEKTSV4RRFFQ69G5FAV";

const log = defineEventLog({
  table: "audit.events",
  actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
});
const plainLog = defineEventLog();
const Account = defineResource({
  name: "account",
  table: "bank.accounts",
  tenant: "orgId",
  attributes: v.object({
    id: v.string(),
    orgId: v.string(),
    balance: v.number(),
    deletedAt: v.optional(v.nullable(v.date())),
  }),
  columns: { balance: "bal" },
  actions: ({ create, update, destroy }) => ({
    open: create(),
    deposit: update(),
    close: destroy({ soft: "deletedAt" }),
  }),
});
const Tag = defineResource({
  name: "tag",
  table: "tags",
  attributes: v.object({ id: v.string(), label: v.string() }),
  actions: ({ create }) => ({ add: create() }),
});
const account = writeTarget(Account);
const tag = writeTarget(Tag);

function eventOf(overrides: Partial<EventValues> = {}): EventValues {
  return {
    id: EVENT_ID,
    action: "open",
    actionType: "create",
    version: 2,
    data: `{"a":1}`,
    changes: "{}",
    metadata: `{"m":true}`,
    tenant: "org1",
    correlationId: "corr",
    causationId: null,
    actor: { column: "user_id", type: "uuid", id: "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21" },
    ...overrides,
  };
}

const STAMP = `current_setting('edge_events.occurred_at')`;
const EVENT_COLUMNS =
  `"id", "occurred_at", "resource", "record_id", "action", "action_type", "version", "data", "changes", ` +
  `"metadata", "tenant", "correlation_id", "causation_id"`;
const FINISH_WITH_EVENT = `SELECT "audit"."events_expect"(EXISTS (SELECT 1 FROM event), $N::text) AS "__ee_ok", ` +
  `"audit"."events_expect"(NOT EXISTS (SELECT 1 FROM "audit"."events_idempotency" WHERE "id" = $I::text), $U::text) AS "__ee_unused", w.*, ` +
  `w."id"::text AS "__ee_record_id", e."position" AS "__ee_position", ${STAMP} AS "__ee_occurred_at" FROM (SELECT 1) AS one ` +
  `LEFT JOIN written AS w ON true LEFT JOIN event AS e ON true`;
/** The final select of a write with an event: expect() an event, and its id unused by an ignored call. */
const finishWithEvent = (n: number): string =>
  FINISH_WITH_EVENT.replace("$N", `$${n}`).replace("$I", `$${n + 1}`).replace("$U", `$${n + 2}`);

describe("write statements: golden text and params", () => {
  test("fenceLockKey() is 'eefe' and the FNV-1a 32 hash of the quoted event table", () => {
    assert.deepEqual(fenceLockKey(log), [0x65656665, 330843763]);
    assert.deepEqual(fenceLockKey(plainLog), [0x65656665, -442792142]);
  });

  test("the prelude: one begin_write call with the fence key, each distinct write key once in sorted order, each distinct tenant once", () => {
    const prelude = writePreludeSql(log, [5n, [1, 2], 5n, -3n, [1, 2], [1, -2]], ["org1", null, "org1", null], AT);
    assert.deepEqual({ text: prelude.text, params: prelude.params }, {
      text:
        `SELECT "audit"."events_begin_write"($1::int, $2::int, $3::bigint[], $4::int[], $5::int[], $6::text[], $7::timestamptz)`,
      params: [0x65656665, 330843763, [-3n, 5n], [1, 1], [-2, 2], ["org1", null], AT],
    });
    assert.ok(Object.isFrozen(prelude) && Object.isFrozen(prelude.params));
    for (const p of prelude.params.slice(2, 6)) assert.ok(Object.isFrozen(p));
  });

  test("the prelude keeps the order of one statement per lock: every bigint key, then every pair, each by its text", () => {
    // The order of earlier versions (one statement per key, sorted by "b<key>" / "p<a>,<b>"),
    // so that old and new writers on one database still take shared keys in one order.
    const prelude = writePreludeSql(plainLog, [10n, 9n, -1n, [10, 0], [9, 0], [-1, 5]], [], AT);
    assert.deepEqual(prelude.params.slice(2, 6), [[-1n, 10n, 9n], [-1, 10, 9], [5, 0, 0], []]);
  });

  test("the prelude orders keys the same whatever order the calls came in", () => {
    const keys = [7n, [3, -4] as const, 2147483647n, -9n, [3, 4] as const];
    const forward = writePreludeSql(plainLog, keys, [null], AT);
    const backward = writePreludeSql(plainLog, [...keys].reverse(), [null], AT);
    assert.deepEqual(backward, forward);
  });

  test("fenceCheckSql() calls the log's assert_writable function, unqualified for an unqualified log", () => {
    assert.deepEqual({ ...fenceCheckSql(plainLog, null) }, {
      text: `SELECT "events_assert_writable"($1::text)`,
      params: [null],
    });
  });

  test("insertRecordSql() with an event: the row, then the event selected from it, then expect()", () => {
    const s = insertRecordSql(log, account, { id: "a1", orgId: "org1", balance: 3 }, eventOf());
    assert.equal(
      s.text,
      `WITH written AS (INSERT INTO "bank"."accounts" ("id", "org_id", "bal") VALUES ($1, $2, $3) RETURNING *), ` +
        `event AS (INSERT INTO "audit"."events" (${EVENT_COLUMNS}, "user_id") SELECT $4::text, ${STAMP}::timestamptz, $5::text, ` +
        `w."id"::text, $6::text, $7::text, $8::int, $9::jsonb, $10::jsonb, $11::jsonb, $12::text, $13::text, $14::text, ` +
        `$15::uuid FROM written AS w RETURNING "position") ${finishWithEvent(16)}`,
    );
    assert.deepEqual(s.params, [
      "a1",
      "org1",
      3,
      EVENT_ID,
      "account",
      "open",
      "create",
      2,
      `{"a":1}`,
      "{}",
      `{"m":true}`,
      "org1",
      "corr",
      null,
      "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21",
      "EEN01",
      EVENT_ID,
      "23505",
    ]);
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });

  test("an event with a parent names parent_id, its value a parameter before the actor's; without one the column is left out", () => {
    const parent = "01HZX3NDEKTSV4RRFFQ69G5FAP";
    const s = updateRecordSql(
      log,
      account,
      { id: "a1", tenant: "org1" },
      { balance: 4 },
      eventOf({ parentId: parent }),
    );
    assert.ok(
      s.text.includes(
        `(${EVENT_COLUMNS}, "parent_id", "user_id") SELECT $`,
      ),
      s.text,
    );
    const at = s.params.indexOf(parent);
    assert.ok(at > 0 && s.params[at + 1] === "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21");
    assert.ok(s.text.includes(`$${at + 1}::text, $${at + 2}::uuid FROM written`));
    const without = updateRecordSql(
      log,
      account,
      { id: "a1", tenant: "org1" },
      { balance: 4 },
      eventOf({ parentId: null }),
    );
    assert.ok(!without.text.includes("parent_id"));
  });

  test("insertRecordSql() without an event (ignored actions) expects the written row", () => {
    const s = insertRecordSql(plainLog, tag, { id: "t1", label: "x" }, null);
    assert.deepEqual({ ...s }, {
      text: `WITH written AS (INSERT INTO "tags" ("id", "label") VALUES ($1, $2) RETURNING *) ` +
        `SELECT "events_expect"(EXISTS (SELECT 1 FROM written), $3::text) AS "__ee_ok", w.*, w."id"::text AS "__ee_record_id" ` +
        `FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`,
      params: ["t1", "x", "EEN01"],
    });
  });

  test("an ignored call's write records its id in the idempotency table, expires a few old ids, and expects both", () => {
    const ignored: IgnoredCallValues = { id: EVENT_ID, action: "credit", tenant: "org1", data: `{"amount":5}` };
    const s = updateRecordSql(
      log,
      account,
      { id: "a1", tenant: "org1" },
      { balance: sql`${ref("balance")} + ${5}` },
      null,
      { ignored },
    );
    assert.deepEqual({ ...s }, {
      text: `WITH written AS (UPDATE "bank"."accounts" SET "bal" = ("bal" + $1) WHERE "id" = $2 AND "org_id" = $3 ` +
        `AND "deleted_at" IS NULL RETURNING *), ` +
        `ignored AS (INSERT INTO "audit"."events_idempotency" ("id", "resource", "record_id", "action", "tenant", "data") ` +
        `SELECT $4::text, $5::text, w."id"::text, $6::text, $7::text, $8::jsonb FROM written AS w RETURNING 1), ` +
        `expired AS (DELETE FROM "audit"."events_idempotency" WHERE "id" IN (SELECT "id" FROM "audit"."events_idempotency" ` +
        `WHERE "created_at" < now() - $9::bigint * interval '1 millisecond' ORDER BY "created_at" LIMIT 8 FOR UPDATE SKIP LOCKED)) ` +
        `SELECT "audit"."events_expect"(EXISTS (SELECT 1 FROM ignored), $10::text) AS "__ee_ok", ` +
        `"audit"."events_expect"(NOT EXISTS (SELECT 1 FROM "audit"."events" WHERE "id" = $11::text), $12::text) AS "__ee_unused", ` +
        `w.*, w."id"::text AS "__ee_record_id" FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`,
      params: [
        5,
        "a1",
        "org1",
        EVENT_ID,
        "account",
        "credit",
        "org1",
        `{"amount":5}`,
        86_400_000,
        "EEN01",
        EVENT_ID,
        "23505",
      ],
    });
    const created = insertRecordSql(plainLog, tag, { id: "t1", label: "x" }, null, {
      ignored: { ...ignored, tenant: null, data: "{}" },
    });
    assert.ok(created.text.includes(`ignored AS (INSERT INTO "events_idempotency"`));
    assert.deepEqual(created.params.slice(2), [
      EVENT_ID,
      "tag",
      "credit",
      null,
      "{}",
      86_400_000,
      "EEN01",
      EVENT_ID,
      "23505",
    ]);
    const removed = deleteRecordSql(defineEventLog({ ignoredCallRetentionMs: 1000 }), tag, { id: "t1" }, null, ignored);
    assert.ok(
      removed.text.startsWith(`WITH written AS (DELETE FROM "tags" WHERE "id" = $1 RETURNING *), ignored AS (`),
    );
    assert.equal(removed.params[6], 1000);
  });

  test("updateRecordSql() with an atomic expression adds its result from the row to changes", () => {
    const s = updateRecordSql(
      log,
      account,
      { id: "a1", tenant: "org1" },
      { balance: sql`${ref("balance")} + ${5}` },
      eventOf({ action: "deposit", actionType: "update", actor: null }),
    );
    assert.equal(
      s.text,
      `WITH written AS (UPDATE "bank"."accounts" SET "bal" = ("bal" + $1) WHERE "id" = $2 AND "org_id" = $3 ` +
        `AND "deleted_at" IS NULL RETURNING *), ` +
        `event AS (INSERT INTO "audit"."events" (${EVENT_COLUMNS}) SELECT $5::text, ${STAMP}::timestamptz, $6::text, w."id"::text, ` +
        `$7::text, $8::text, $9::int, $10::jsonb, $11::jsonb || jsonb_build_object($4::text, CASE WHEN pg_typeof(w."bal") = ` +
        `'bigint'::regtype THEN to_jsonb(w."bal"::text) ELSE to_jsonb(w."bal") END), $12::jsonb, $13::text, $14::text, ` +
        `$15::text FROM written AS w RETURNING "position") ${finishWithEvent(16)}`,
    );
    assert.deepEqual(s.params, [
      5,
      "a1",
      "org1",
      "balance",
      EVENT_ID,
      "account",
      "deposit",
      "update",
      2,
      `{"a":1}`,
      "{}",
      `{"m":true}`,
      "org1",
      "corr",
      null,
      "EEN01",
      EVENT_ID,
      "23505",
    ]);
  });

  test("stamped attributes take the batch's stamp through their column's type, and its text in changes", () => {
    const stampOf = (n: number, column: string): string =>
      `(jsonb_populate_record(NULL::"bank"."accounts", jsonb_build_object($${n}::text, ${STAMP}))).${column}`;
    const created = insertRecordSql(
      log,
      account,
      { id: "a1", orgId: "org1", balance: 3, deletedAt: AT },
      eventOf({ actor: null }),
      { stamped: ["deletedAt"] },
    );
    assert.equal(
      created.text,
      `WITH written AS (INSERT INTO "bank"."accounts" ("id", "org_id", "bal", "deleted_at") VALUES ($1, $2, $3, ${
        stampOf(4, `"deleted_at"`)
      }) RETURNING *), ` +
        `event AS (INSERT INTO "audit"."events" (${EVENT_COLUMNS}) SELECT $6::text, ${STAMP}::timestamptz, $7::text, ` +
        `w."id"::text, $8::text, $9::text, $10::int, $11::jsonb, $12::jsonb || jsonb_build_object($5::text, ${STAMP}), $13::jsonb, ` +
        `$14::text, $15::text, $16::text FROM written AS w RETURNING "position") ${finishWithEvent(17)}`,
    );
    assert.deepEqual(created.params, [
      "a1",
      "org1",
      3,
      "deleted_at",
      "deletedAt",
      EVENT_ID,
      "account",
      "open",
      "create",
      2,
      `{"a":1}`,
      "{}",
      `{"m":true}`,
      "org1",
      "corr",
      null,
      "EEN01",
      EVENT_ID,
      "23505",
    ]);
    const closed = updateRecordSql(log, account, { id: "a1", tenant: "org1" }, { deletedAt: AT }, null, {
      stamped: ["deletedAt"],
    });
    assert.deepEqual({ ...closed }, {
      text:
        `WITH written AS (UPDATE "bank"."accounts" SET "deleted_at" = ${
          stampOf(1, `"deleted_at"`)
        } WHERE "id" = $2 AND "org_id" = $3 ` +
        `AND "deleted_at" IS NULL RETURNING *) ` +
        `SELECT "audit"."events_expect"(EXISTS (SELECT 1 FROM written), $4::text) AS "__ee_ok", w.*, w."id"::text AS "__ee_record_id" ` +
        `FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`,
      params: ["deleted_at", "a1", "org1", "EEN01"],
    });
  });

  test("updateRecordSql() with plain values binds each one", () => {
    const s = updateRecordSql(plainLog, tag, { id: "t1" }, { label: "new" }, null);
    assert.deepEqual({ ...s }, {
      text: `WITH written AS (UPDATE "tags" SET "label" = $1 WHERE "id" = $2 RETURNING *) ` +
        `SELECT "events_expect"(EXISTS (SELECT 1 FROM written), $3::text) AS "__ee_ok", w.*, w."id"::text AS "__ee_record_id" ` +
        `FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`,
      params: ["new", "t1", "EEN01"],
    });
  });

  test("updateRecordSql() conditional on the last position touches the key when nothing is set, and raises the stale code", () => {
    const s = updateRecordSql(log, account, { id: "a1", tenant: "org1", lastPosition: 7n }, {}, null);
    assert.deepEqual({ ...s }, {
      text:
        `WITH written AS (UPDATE "bank"."accounts" SET "id" = "id" WHERE "id" = $1 AND "org_id" = $2 AND "deleted_at" IS NULL ` +
        `AND (SELECT max("position") FROM "audit"."events" WHERE "resource" = $3::text AND "record_id" = "bank"."accounts"."id"::text) ` +
        `IS NOT DISTINCT FROM $4::bigint RETURNING *) ` +
        `SELECT "audit"."events_expect"(EXISTS (SELECT 1 FROM written), $5::text) AS "__ee_ok", w.*, w."id"::text AS "__ee_record_id" ` +
        `FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`,
      params: ["a1", "org1", "account", 7n, "EEC01"],
    });
    const none = updateRecordSql(log, account, { id: "a1", tenant: "org1", lastPosition: null }, {}, null);
    assert.deepEqual(none.params, ["a1", "org1", "account", null, "EEC01"]);
  });

  test("updateRecordSql() with the caller's expected position raises the expected-position code, never the stale one", () => {
    const s = updateRecordSql(log, account, { id: "a1", tenant: "org1", lastPosition: 7n, expected: true }, {}, null);
    assert.equal(s.text, updateRecordSql(log, account, { id: "a1", tenant: "org1", lastPosition: 7n }, {}, null).text);
    assert.deepEqual(s.params, ["a1", "org1", "account", 7n, "EEP01"]);
    const deleted = deleteRecordSql(
      log,
      account,
      { id: "a1", tenant: "org1", lastPosition: null, expected: true },
      null,
    );
    assert.deepEqual(deleted.params, ["a1", "org1", "account", null, "EEP01"]);
  });

  test("a held record adds one comparison per attribute: as is, as jsonb, or to the millisecond", () => {
    const s = updateRecordSql(
      log,
      account,
      {
        id: "a1",
        tenant: "org1",
        lastPosition: 7n,
        expected: true,
        held: {
          balance: { value: 5, compare: "value" },
          orgId: { value: `{"a":1}`, compare: "json" },
          deletedAt: { value: AT, compare: "milliseconds" },
        },
      },
      { balance: 10 },
      null,
    );
    assert.deepEqual({ ...s }, {
      text:
        `WITH written AS (UPDATE "bank"."accounts" SET "bal" = $1 WHERE "id" = $2 AND "org_id" = $3 AND "deleted_at" IS NULL ` +
        `AND (SELECT max("position") FROM "audit"."events" WHERE "resource" = $4::text AND "record_id" = "bank"."accounts"."id"::text) ` +
        `IS NOT DISTINCT FROM $5::bigint AND "bal" IS NOT DISTINCT FROM $6 AND "org_id"::jsonb IS NOT DISTINCT FROM $7::jsonb ` +
        `AND date_trunc('milliseconds', "deleted_at") IS NOT DISTINCT FROM $8 RETURNING *) ` +
        `SELECT "audit"."events_expect"(EXISTS (SELECT 1 FROM written), $9::text) AS "__ee_ok", w.*, w."id"::text AS "__ee_record_id" ` +
        `FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`,
      params: [10, "a1", "org1", "account", 7n, 5, `{"a":1}`, AT, "EEP01"],
    });
    assert.throws(
      () => updateRecordSql(log, account, { id: "a1", held: { nope: { value: 1, compare: "value" } } }, {}, null),
      TypeError,
    );
  });

  test("deleteRecordSql() with an event", () => {
    const s = deleteRecordSql(
      plainLog,
      tag,
      { id: "t1" },
      eventOf({ action: "remove", actionType: "destroy", tenant: null, actor: null }),
    );
    assert.deepEqual({ ...s }, {
      text: `WITH written AS (DELETE FROM "tags" WHERE "id" = $1 RETURNING *), ` +
        `event AS (INSERT INTO "events" (${EVENT_COLUMNS}) SELECT $2::text, ${STAMP}::timestamptz, $3::text, w."id"::text, ` +
        `$4::text, $5::text, $6::int, $7::jsonb, $8::jsonb, $9::jsonb, $10::text, $11::text, $12::text ` +
        `FROM written AS w RETURNING "position") ` +
        `SELECT "events_expect"(EXISTS (SELECT 1 FROM event), $13::text) AS "__ee_ok", ` +
        `"events_expect"(NOT EXISTS (SELECT 1 FROM "events_idempotency" WHERE "id" = $14::text), $15::text) AS "__ee_unused", ` +
        `w.*, w."id"::text AS "__ee_record_id", ` +
        `e."position" AS "__ee_position", ${STAMP} AS "__ee_occurred_at" FROM (SELECT 1) AS one LEFT JOIN written AS w ON true LEFT JOIN event AS e ON true`,
      params: [
        "t1",
        EVENT_ID,
        "tag",
        "remove",
        "destroy",
        2,
        `{"a":1}`,
        "{}",
        `{"m":true}`,
        null,
        "corr",
        null,
        "EEN01",
        EVENT_ID,
        "23505",
      ],
    });
  });

  test("readRecordSql() reads a live record with the position of its last event", () => {
    assert.deepEqual({ ...readRecordSql(log, account, { id: "a1", tenant: "org1" }) }, {
      text: `SELECT r.*, r."id"::text AS "__ee_record_id", (SELECT max("position") FROM "audit"."events" ` +
        `WHERE "resource" = $3::text AND "record_id" = r."id"::text) AS "__ee_last_position" ` +
        `FROM "bank"."accounts" AS r WHERE "id" = $1 AND "org_id" = $2 AND "deleted_at" IS NULL`,
      params: ["a1", "org1", "account"],
    });
  });
});

/** Every builder of this file, with `value` in every string value slot. */
function everyStatement(value: string): SqlStatement[] {
  const json = JSON.stringify({ [value]: value });
  const event = eventOf({
    id: value,
    action: value,
    data: json,
    changes: json,
    metadata: json,
    tenant: value,
    correlationId: value,
    causationId: value,
    actor: { column: "system_actor", type: "text", id: value },
  });
  const target: WriteTarget = { ...account, resource: value };
  const ignored: IgnoredCallValues = { id: value, action: value, tenant: value, data: json };
  return [
    writePreludeSql(log, [1n], [value], AT),
    insertRecordSql(log, target, { id: value, orgId: value, balance: 1 }, event),
    updateRecordSql(
      log,
      target,
      { id: value, tenant: value },
      { balance: sql`${ref("balance")} + ${value}::int` },
      event,
    ),
    updateRecordSql(log, target, { id: value, tenant: value, lastPosition: 1n }, { orgId: value }, event),
    deleteRecordSql(log, target, { id: value, tenant: value, lastPosition: null }, event),
    updateRecordSql(
      log,
      target,
      {
        id: value,
        tenant: value,
        lastPosition: 1n,
        expected: true,
        held: { orgId: { value, compare: "value" }, balance: { value: json, compare: "json" } },
      },
      { orgId: value },
      event,
    ),
    readRecordSql(log, target, { id: value, tenant: value }),
    insertRecordSql(log, target, { id: value, orgId: value, balance: 1 }, null, { ignored }),
    updateRecordSql(
      log,
      target,
      { id: value, tenant: value },
      { balance: sql`${ref("balance")} + ${value}::int` },
      null,
      { ignored },
    ),
    deleteRecordSql(log, target, { id: value, tenant: value }, null, ignored),
    readIgnoredCallsSql(log, [value]),
  ];
}

describe("write statements: injection", () => {
  const benign = everyStatement("plain");
  const plainJson = JSON.stringify({ plain: "plain" });

  test("hostile values in every value slot leave the text as it is and travel as parameters", () => {
    for (const value of HOSTILE_VALUES) {
      const hostile = everyStatement(value);
      assert.equal(hostile.length, benign.length);
      hostile.forEach((s, i) => {
        const b = benign[i]!;
        assert.equal(s.text, b.text, `statement ${i} with ${JSON.stringify(value)}`);
        assert.ok(!s.text.includes(value), `statement ${i} text contains ${JSON.stringify(value)}`);
        const swap = (
          p: SqlParam,
        ): SqlParam => (p === "plain" ? value : p === plainJson ? JSON.stringify({ [value]: value }) : p);
        const expected = b.params.map((
          p,
        ): SqlParam => (Array.isArray(p) ? p.map((e) => swap(e as SqlParam)) as SqlParam : swap(p)));
        assert.deepEqual(s.params, expected, `statement ${i} params with ${JSON.stringify(value)}`);
      });
    }
  });

  test("a target forged with hostile columns, and unknown attributes, are TypeErrors", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      const forged: WriteTarget = { ...tag, columns: { id: "id", label: bad } };
      assert.throws(
        () => insertRecordSql(plainLog, forged, { id: "t", label: "x" }, null),
        TypeError,
        JSON.stringify(bad),
      );
      assert.throws(
        () => updateRecordSql(plainLog, forged, { id: "t" }, { label: "x" }, null),
        TypeError,
        JSON.stringify(bad),
      );
      const forgedKey: WriteTarget = { ...tag, columns: { id: bad, label: "label" } };
      assert.throws(() => readRecordSql(plainLog, forgedKey, { id: "t" }), TypeError, JSON.stringify(bad));
      assert.throws(() => deleteRecordSql(plainLog, forgedKey, { id: "t" }, null), TypeError, JSON.stringify(bad));
      const badActor = eventOf({ actor: { column: bad, type: "text", id: "x" } });
      assert.throws(
        () => insertRecordSql(plainLog, tag, { id: "t", label: "x" }, badActor),
        TypeError,
        JSON.stringify(bad),
      );
    }
    assert.throws(() => insertRecordSql(plainLog, tag, { id: "t", "label; DROP TABLE x": "x" }, null), TypeError);
    assert.throws(() => updateRecordSql(plainLog, tag, { id: "t" }, { "label = 1; --": "x" }, null), TypeError);
    assert.throws(
      () => updateRecordSql(plainLog, tag, { id: "t" }, { label: sql`${ref("label; --")}` }, null),
      TypeError,
    );
  });
});

const RESOURCE_NAME = `doc's "x";-- ' OR 1=1 --`;

function model(schema: string) {
  const storeLog = defineEventLog({
    table: `${schema}.events`,
    actors: { system: { column: "system_actor", type: "text" } },
  });
  const Doc = defineResource({
    name: RESOURCE_NAME,
    table: `${schema}.docs`,
    primaryKey: { attribute: "id", generate: "none" },
    tenant: "orgId",
    attributes: v.object({
      id: v.string(),
      orgId: v.string(),
      title: v.string(),
      tags: v.array(v.string()),
      deletedAt: v.optional(v.nullable(v.date())),
    }),
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ id: v.string(), title: v.string(), tags: v.array(v.string()) }) }),
      retitle: update({ input: v.object({ title: v.string() }) }),
      shout: update({ change: (doc) => ({ title: `${doc.title}!` }) }),
      archive: destroy({ soft: "deletedAt" }),
      remove: destroy(),
    }),
  });
  return { log: storeLog, Doc };
}

describeEachExecutor("write statements on the database", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Doc] });
    await store.migrate({ resourceTables: true });
  });

  test("hostile values in records, tenants, actors, metadata, links and event data come back exactly", async () => {
    const docs = store.resource(m.Doc);
    for (const [i, value] of HOSTILE_VALUES.entries()) {
      const ctx = {
        tenant: value,
        actor: { system: value },
        metadata: { [value]: value, nested: [value] },
        correlationId: value,
        causationId: value,
      };
      const created = await docs.write({ id: value, title: value, tags: [value, "plain"] }, ctx);
      assert.deepEqual(created.record, {
        id: value,
        orgId: value,
        title: value,
        tags: [value, "plain"],
        deletedAt: null,
      });
      const event = created.event!;
      assert.equal(event.resource, RESOURCE_NAME);
      assert.equal(event.recordId, value);
      assert.equal(event.tenant, value);
      assert.deepEqual(event.actor, { type: "system", id: value });
      assert.deepEqual(event.data, { id: value, title: value, tags: [value, "plain"] });
      assert.deepEqual(event.changes, { orgId: value });
      assert.deepEqual(event.metadata, { [value]: value, nested: [value] });
      assert.equal(event.correlationId, value);
      assert.equal(event.causationId, value);
      assert.deepEqual(
        await store.withContext({ tenant: value }).readEvents({ resource: RESOURCE_NAME, recordId: value }),
        [event],
      );

      const row = await fx.db.query({
        text: `SELECT id, org_id, title, tags FROM ${fx.schema}.docs WHERE id = $1`,
        params: [value],
      });
      assert.deepEqual(row.rows, [{ id: value, org_id: value, title: value, tags: [value, "plain"] }]);

      // A near miss in the tenant or the id matches nothing: the values were compared, not parsed.
      await rejectsWith(docs.retitle(value, { title: "x" }, { tenant: `${value}' OR '1'='1` }), "NOT_FOUND");
      await rejectsWith(docs.retitle(`${value} `, { title: "x" }, { tenant: value }), "NOT_FOUND");

      const retitled = await docs.retitle(value, { title: `${value}2` }, ctx);
      assert.equal(retitled.record.title, `${value}2`);
      const shouted = await docs.shout(value, {}, ctx);
      assert.equal(shouted.record.title, `${value}2!`);
      assert.deepEqual(shouted.event?.changes, { title: `${value}2!` });
      const destroyed = i % 2 === 0 ? await docs.archive(value, {}, ctx) : await docs.remove(value, {}, ctx);
      assert.equal(destroyed.event?.recordId, value);
    }
    const events = await fx.db.query({
      text: `SELECT record_id, tenant, action FROM ${fx.schema}.events WHERE resource = $1 ORDER BY position`,
      params: [RESOURCE_NAME],
    });
    assert.equal(events.rows.length, HOSTILE_VALUES.length * 4);
    const live = await fx.db.query({ text: `SELECT id FROM ${fx.schema}.docs WHERE deleted_at IS NULL`, params: [] });
    assert.deepEqual(live.rows, []);
    const archived = await fx.db.query({ text: `SELECT id FROM ${fx.schema}.docs`, params: [] });
    assert.deepEqual(archived.rows.map((r) => r["id"]).sort(), HOSTILE_VALUES.filter((_, i) => i % 2 === 0).sort());
  });
});
