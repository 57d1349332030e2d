// The statements of audit queries (src/sql/audit-statements.ts): exact text and params of a
// page with each filter and all of them, forward and backward, of the summary (with and
// without actors), the limit's bounds, and hostile values only ever as parameters.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import { AUDIT_MAX_LIMIT, auditSql, summarySql } from "../../src/sql/audit-statements.ts";
import { HOSTILE_VALUES } from "../support/hostile-values.ts";

const plain = defineEventLog();
const log = defineEventLog({
  table: "audit.events",
  actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
});
const from = new Date("2025-01-01T00:00:00Z");
const to = new Date("2025-02-01T00:00:00Z");
const HORIZON = `"tx_id" < pg_snapshot_xmin(pg_current_snapshot())`;

describe("auditSql(): golden text and params", () => {
  test("no filter: the first page of the log, one row more than the limit", () => {
    const s = auditSql(plain);
    assert.deepEqual({ ...s }, { text: `SELECT * FROM "events" ORDER BY "position" LIMIT $1::int`, params: [101] });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });

  test("each filter alone is one condition with one parameter", () => {
    const cases: [Parameters<typeof auditSql>[1], string, unknown][] = [
      [{ resource: "account" }, `"resource" = $1::text`, "account"],
      [{ action: "deposit" }, `"action" = $1::text`, "deposit"],
      [{ actionType: "destroy" }, `"action_type" = $1::text`, "destroy"],
      [{ tenant: "acme" }, `"tenant" = $1::text`, "acme"],
      [{ correlationId: "c1" }, `"correlation_id" = $1::text`, "c1"],
      [{ causationId: "e1" }, `"causation_id" = $1::text`, "e1"],
      [{ from }, `"occurred_at" >= $1::timestamptz`, from],
      [{ to }, `"occurred_at" < $1::timestamptz`, to],
      [{ position: 41n }, `"position" > $1::bigint`, 41n],
      [{ actor: { column: "user_id", columnType: "uuid", id: "u" } }, `"user_id" = $1::uuid`, "u"],
      [{ actor: { column: "system_actor", columnType: "text", id: "cron" } }, `"system_actor" = $1::text`, "cron"],
    ];
    for (const [filter, condition, value] of cases) {
      assert.deepEqual({ ...auditSql(log, { ...filter, limit: 10 }) }, {
        text: `SELECT * FROM "audit"."events" WHERE ${condition} ORDER BY "position" LIMIT $2::int`,
        params: [value, 11],
      });
    }
    assert.deepEqual({ ...auditSql(log, { tenant: null }) }, {
      text: `SELECT * FROM "audit"."events" WHERE "tenant" IS NULL ORDER BY "position" LIMIT $1::int`,
      params: [101],
    });
  });

  test("every filter together, backward, below the horizon", () => {
    const s = auditSql(log, {
      position: 99n,
      direction: "backward",
      horizon: true,
      resource: "account",
      tenant: "acme",
      from,
      to,
      action: "deposit",
      actionType: "update",
      actor: { column: "user_id", columnType: "uuid", id: "u" },
      correlationId: "c1",
      causationId: "e1",
      limit: AUDIT_MAX_LIMIT,
    });
    assert.deepEqual({ ...s }, {
      text: `SELECT * FROM "audit"."events" WHERE "position" < $1::bigint AND ${HORIZON} AND "resource" = $2::text ` +
        `AND "tenant" = $3::text AND "occurred_at" >= $4::timestamptz AND "occurred_at" < $5::timestamptz ` +
        `AND "action" = $6::text AND "action_type" = $7::text AND "user_id" = $8::uuid AND "correlation_id" = $9::text ` +
        `AND "causation_id" = $10::text ORDER BY "position" DESC LIMIT $11::int`,
      params: [99n, "account", "acme", from, to, "deposit", "update", "u", "c1", "e1", 1001],
    });
  });

  test("backward without a position starts at the end", () => {
    assert.equal(
      auditSql(plain, { direction: "backward" }).text,
      `SELECT * FROM "events" ORDER BY "position" DESC LIMIT $1::int`,
    );
  });

  test(`limit must be an integer from 1 to ${AUDIT_MAX_LIMIT}`, () => {
    for (const limit of [1, AUDIT_MAX_LIMIT]) assert.doesNotThrow(() => auditSql(plain, { limit }));
    for (const limit of [0, -1, AUDIT_MAX_LIMIT + 1, 1.5, Number.NaN, "10" as unknown as number]) {
      assert.throws(() => auditSql(plain, { limit }), RangeError);
    }
  });

  test("hostile values are parameters only", () => {
    const filterOf = (value: string) => ({
      resource: value,
      action: value,
      actionType: value,
      tenant: value,
      correlationId: value,
      causationId: value,
      actor: { column: "system_actor", columnType: "text" as const, id: value },
    });
    const benign = auditSql(log, filterOf("plain"));
    for (const value of HOSTILE_VALUES) {
      const s = auditSql(log, filterOf(value));
      assert.equal(s.text, benign.text);
      assert.deepEqual(s.params, [value, value, value, value, value, value, value, 101]);
    }
  });
});

describe("summarySql(): golden text and params", () => {
  test("a log without actors: null actor keys, the range as two parameters", () => {
    assert.deepEqual({ ...summarySql(plain, { from, to }) }, {
      text:
        `WITH "scoped" AS MATERIALIZED (SELECT "position", "id", "occurred_at", "action_type", "resource", "action", ` +
        `NULL::text AS "actor_type", NULL::text AS "actor_id" FROM "events" ` +
        `WHERE "occurred_at" >= $1::timestamptz AND "occurred_at" < $2::timestamptz), ` +
        `"counts" AS (SELECT GROUPING("action_type", "resource", "action", "actor_type", "actor_id") AS "grouping", ` +
        `"action_type", "resource", "action", "actor_type", "actor_id", count(*) AS "count", ` +
        `min("position") AS "first_position", max("position") AS "last_position" FROM "scoped" ` +
        `GROUP BY GROUPING SETS (("action_type"), ("resource", "action"), ("actor_type", "actor_id"), ())) ` +
        `SELECT CASE c."grouping" WHEN 15 THEN 'action_type' WHEN 19 THEN 'action' WHEN 28 THEN 'actor' ELSE 'total' END ` +
        `AS "kind", c."action_type", c."resource", c."action", c."actor_type", c."actor_id", c."count", ` +
        `f."position" AS "first_position", f."id" AS "first_id", f."occurred_at" AS "first_occurred_at", ` +
        `l."position" AS "last_position", l."id" AS "last_id", l."occurred_at" AS "last_occurred_at" ` +
        `FROM "counts" AS c ` +
        `LEFT JOIN "scoped" AS f ON c."grouping" = 31 AND f."position" = c."first_position" ` +
        `LEFT JOIN "scoped" AS l ON c."grouping" = 31 AND l."position" = c."last_position" ` +
        `ORDER BY c."grouping", c."count" DESC, c."action_type", c."resource", c."action", c."actor_type", c."actor_id"`,
      params: [from, to],
    });
  });

  test("actor types are parameters (bound after the conditions); resource, tenant and the horizon are conditions", () => {
    const s = summarySql(log, { from, to, resource: "account", tenant: "acme", horizon: true });
    assert.ok(
      s.text.includes(
        `CASE WHEN "user_id" IS NOT NULL THEN $5::text WHEN "system_actor" IS NOT NULL THEN $6::text END AS "actor_type", ` +
          `COALESCE("user_id"::text, "system_actor"::text) AS "actor_id" FROM "audit"."events" ` +
          `WHERE ${HORIZON} AND "resource" = $1::text AND "tenant" = $2::text ` +
          `AND "occurred_at" >= $3::timestamptz AND "occurred_at" < $4::timestamptz)`,
      ),
      s.text,
    );
    assert.deepEqual(s.params, ["account", "acme", from, to, "user", "system"]);
    assert.match(summarySql(log, { from, to, tenant: null }).text, /WHERE "tenant" IS NULL AND "occurred_at"/);
  });

  test("hostile values are parameters only", () => {
    const benign = summarySql(log, { from, to, resource: "plain", tenant: "plain" });
    for (const value of HOSTILE_VALUES) {
      const s = summarySql(log, { from, to, resource: value, tenant: value });
      assert.equal(s.text, benign.text);
      assert.deepEqual(s.params, [value, value, from, to, "user", "system"]);
    }
  });
});
