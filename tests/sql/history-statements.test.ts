// The SQL of the history functions (src/sql/history-statements.ts): exact text and params of
// a page (both directions), of a fold read (each kind of point, routes in and away, tenants)
// of the events before an event and of an event's ancestors; every value a parameter.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import {
  ancestorsSql,
  historyPageSql,
  POSITION_MAX,
  previousEventsSql,
  recordFoldSql,
  type RecordStream,
} from "../../src/sql/history-statements.ts";

const log = defineEventLog({ table: "audit.events" });
const plain: RecordStream = { resource: "account", recordId: "a1", tenant: null, routedIn: [], routedAway: [] };
const routed: RecordStream = {
  resource: "profile",
  recordId: "m1",
  tenant: "acme",
  routedIn: [["member", "signup", 1], ["member", "bio", 1]],
  routedAway: [["legacy", 2]],
};

describe("historyPageSql()", () => {
  test("forward: after a position, in position order, one index range", () => {
    assert.deepEqual({ ...historyPageSql(log, plain, { direction: "forward", from: 0n, limit: 101 }) }, {
      text:
        `SELECT * FROM "audit"."events" WHERE "resource" = $1::text AND "record_id" = $2::text AND "tenant" IS NULL ` +
        `AND "position" > $3::bigint ORDER BY "position" LIMIT $4::int`,
      params: ["account", "a1", 0n, 101],
    });
  });

  test("backward, with routes in and away and a tenant", () => {
    const s = historyPageSql(log, routed, { direction: "backward", from: POSITION_MAX, limit: 3 });
    assert.deepEqual({ ...s }, {
      text: `SELECT * FROM "audit"."events" WHERE "resource" = ANY($1::text[]) AND "record_id" = $2::text ` +
        `AND "tenant" = $3::text AND (("resource" = $4::text AND ("action", "version") NOT IN ` +
        `(SELECT * FROM unnest($5::text[], $6::int[]))) OR ("resource", "action", "version") IN ` +
        `(SELECT * FROM unnest($7::text[], $8::text[], $9::int[]))) AND "position" < $10::bigint ` +
        `ORDER BY "position" DESC LIMIT $11::int`,
      params: [
        ["profile", "member"],
        "m1",
        "acme",
        "profile",
        ["legacy"],
        [2],
        ["member", "member"],
        ["signup", "bio"],
        [1, 1],
        POSITION_MAX,
        3,
      ],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });
});

describe("recordFoldSql()", () => {
  const stream = `"resource" = $1::text AND "record_id" = $2::text AND "tenant" = $3::text`;
  const tenantStream: RecordStream = { ...plain, tenant: "t'1" };

  test("an event point resolves in the same query, in the stream's tenant", () => {
    const at = new Date("2025-01-02T03:04:05.678Z");
    const s = recordFoldSql(log, {
      stream: tenantStream,
      after: 0n,
      points: [{ kind: "event", eventId: "01J00000000000000000000000" }, { kind: "time", at }],
    });
    assert.deepEqual({ ...s }, {
      text: `SELECT "__ee_meta".*, "__ee_event".* FROM (SELECT "p".*, (SELECT "position" FROM "audit"."events" ` +
        `WHERE ${stream} AND "action_type" = 'create' AND "position" > COALESCE("p"."__ee_point_0", 0) ` +
        `ORDER BY "position" LIMIT 1) AS "__ee_next_create", (SELECT "position" FROM "audit"."events" WHERE ${stream} ` +
        `AND "action_type" = 'create' ORDER BY "position" DESC LIMIT 1) AS "__ee_adopted" FROM (SELECT (SELECT "position" FROM "audit"."events" ` +
        `WHERE "id" = $4::text AND "tenant" = $5::text) AS "__ee_point_0", (SELECT max("position") FROM ` +
        `"audit"."events" WHERE ${stream} AND "occurred_at" <= $6::timestamptz) AS "__ee_point_1") AS "p") ` +
        `AS "__ee_meta" LEFT JOIN LATERAL (SELECT * FROM "audit"."events" WHERE ${stream} AND "position" > $7::bigint ` +
        `AND "position" <= GREATEST("__ee_meta"."__ee_point_0", "__ee_meta"."__ee_point_1") ORDER BY "position") ` +
        `AS "__ee_event" ON true ORDER BY "__ee_event"."position"`,
      params: ["account", "a1", "t'1", "01J00000000000000000000000", "t'1", at, 0n],
    });
  });

  test("a position point and a page point bind no tenant they do not use", () => {
    const s = recordFoldSql(log, {
      stream: plain,
      after: 5n,
      points: [{ kind: "position", position: 9n }, { kind: "page", after: 2n, limit: 11 }],
    });
    assert.deepEqual(s.params, ["account", "a1", 9n, 2n, 11, 5n]);
    assert.ok(s.text.includes(`(SELECT max("position") FROM (SELECT "position" FROM "audit"."events" WHERE`));
    assert.ok(s.text.includes(`ORDER BY "position" LIMIT $5::int) AS "page") AS "__ee_point_1"`));
  });

  test("a before-page point: right before the oldest of the page's events, 0 without any", () => {
    const s = recordFoldSql(log, {
      stream: plain,
      after: 0n,
      points: [{ kind: "position", position: 99n }, { kind: "before-page", before: 100n, limit: 10 }],
    });
    assert.deepEqual(s.params, ["account", "a1", 99n, 100n, 10, 0n]);
    assert.ok(s.text.includes(
      `(SELECT COALESCE(min("position") - 1, 0) FROM (SELECT "position" FROM "audit"."events" WHERE "resource" = ` +
        `$1::text AND "record_id" = $2::text AND "tenant" IS NULL AND "position" < $4::bigint ORDER BY "position" DESC ` +
        `LIMIT $5::int) AS "page") AS "__ee_point_1"`,
    ));
  });
});

describe("recordFoldSql() from a savepoint", () => {
  test("the newest usable savepoint at or before the least point, and the events from its position", () => {
    const s = recordFoldSql(log, {
      stream: plain,
      after: 0n,
      points: [{ kind: "position", position: 9n }, { kind: "position", position: 4n }],
      savepoint: { foldVersion: "f1-x'", softAttributes: ["deletedAt"], atOrBefore: "points" },
    });
    assert.ok(s.text.includes(
      `AS "__ee_adopted", "sp".* FROM (SELECT $3::bigint AS "__ee_point_0", $4::bigint AS "__ee_point_1") AS "p" ` +
        `LEFT JOIN LATERAL (SELECT s."position" AS "__ee_sp_position", s."state" AS "__ee_sp_state" FROM ` +
        `"audit"."events_savepoints" AS s WHERE s."resource" = $5::text AND s."record_id" = $6::text AND ` +
        `s."tenant" IS NOT DISTINCT FROM $7::text AND s."fold_version" = $8::text AND s."position" <= ` +
        `LEAST("p"."__ee_point_0", "p"."__ee_point_1") AND NOT EXISTS (SELECT 1 FROM jsonb_each(s."state") AS kv ` +
        `WHERE kv."key" = ANY($9::text[]) AND kv."value" <> 'null'::jsonb) ORDER BY s."position" DESC LIMIT 1) ` +
        `AS "sp" ON true`,
    ));
    assert.ok(s.text.includes(`AND "position" > COALESCE("__ee_meta"."__ee_sp_position" - 1, $10::bigint) AND`));
    assert.deepEqual(s.params, ["account", "a1", 9n, 4n, "account", "a1", null, "f1-x'", ["deletedAt"], 0n]);
  });

  test("a savepoint bounded by a position, for a resource without soft destroys", () => {
    const s = recordFoldSql(log, {
      stream: plain,
      after: 0n,
      points: [{ kind: "page", after: 7n, limit: 3 }],
      savepoint: { foldVersion: "f1-y", softAttributes: [], atOrBefore: 7n },
    });
    assert.ok(s.text.includes(`s."position" <= $5::bigint ORDER BY s."position" DESC LIMIT 1`));
    assert.ok(!s.text.includes("jsonb_each"));
    assert.deepEqual(s.params, ["account", "a1", 7n, 3, 7n, "account", "a1", null, "f1-y", 0n]);
  });
});

describe("previousEventsSql()", () => {
  test("the anchor in the store's tenant (or without one, of a resource without tenant), the earlier events in its tenant", () => {
    assert.deepEqual(
      { ...previousEventsSql(log, "01J00000000000000000000000", { tenant: "acme", untenanted: ["account"] }, 100) },
      {
        text: `SELECT "anchor"."position" AS "__ee_anchor", "__ee_event".* FROM "audit"."events" AS "anchor" ` +
          `LEFT JOIN LATERAL (SELECT "e".* FROM "audit"."events" AS "e" WHERE "e"."resource" = "anchor"."resource" ` +
          `AND "e"."record_id" = "anchor"."record_id" AND "e"."tenant" IS NOT DISTINCT FROM "anchor"."tenant" ` +
          `AND "e"."position" < "anchor"."position" ORDER BY "e"."position" DESC LIMIT $4::int) AS "__ee_event" ` +
          `ON true WHERE "anchor"."id" = $1::text AND ("anchor"."tenant" = $2::text OR ("anchor"."tenant" IS NULL ` +
          `AND "anchor"."resource" = ANY($3::text[]))) ORDER BY "__ee_event"."position" DESC`,
        params: ["01J00000000000000000000000", "acme", ["account"], 100],
      },
    );
    const none = previousEventsSql(log, "x", { tenant: null, untenanted: [] }, 1);
    assert.ok(none.text.includes(`AND "anchor"."tenant" IS NULL ORDER BY`));
    assert.deepEqual(none.params, ["x", 1]);
  });
});

describe("ancestorsSql()", () => {
  test("the event in the store's tenant scope, then its parents by primary key up to the depth bound, root first", () => {
    assert.deepEqual(
      { ...ancestorsSql(log, "01J00000000000000000000000", { tenant: "acme", untenanted: ["account"] }, 1000) },
      {
        text:
          `WITH RECURSIVE "__ee_chain" AS (SELECT "anchor".*, 0 AS "__ee_depth" FROM "audit"."events" AS "anchor" ` +
          `WHERE "anchor"."id" = $1::text AND ("anchor"."tenant" = $2::text OR ("anchor"."tenant" IS NULL ` +
          `AND "anchor"."resource" = ANY($3::text[]))) UNION ALL SELECT "p".*, "c"."__ee_depth" + 1 FROM "__ee_chain" AS "c" ` +
          `JOIN "audit"."events" AS "p" ON "p"."id" = "c"."parent_id" WHERE "c"."__ee_depth" < $4::int) ` +
          `SELECT * FROM "__ee_chain" ORDER BY "__ee_depth" DESC`,
        params: ["01J00000000000000000000000", "acme", ["account"], 1000],
      },
    );
    const hostile = `x'; DROP TABLE t;--`;
    const none = ancestorsSql(log, hostile, { tenant: null, untenanted: [] }, 1);
    assert.ok(none.text.includes(`WHERE "anchor"."id" = $1::text AND "anchor"."tenant" IS NULL UNION ALL`));
    assert.ok(!none.text.includes(hostile));
    assert.deepEqual(none.params, [hostile, 1]);
  });
});
