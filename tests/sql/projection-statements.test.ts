// The SQL of projections' checkpoints (src/sql/projection-statements.ts): exact text and params of
// the load, reset, the end of an inline rebuild and the write path's guard; every value a parameter,
// hostile names and scopes included.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import {
  finishRebuildSql,
  inlineGuardSql,
  loadCheckpointSql,
  projectionScope,
  resetCheckpointSql,
} from "../../src/sql/projection-statements.ts";

const log = defineEventLog({ table: "audit.events" });
const T = `"audit"."events_projections"`;

describe("projection checkpoint statements", () => {
  test("projectionScope(): every tenant, no tenant, one tenant", () => {
    assert.deepEqual([projectionScope(undefined), projectionScope(null), projectionScope("acme")], [
      "all",
      "none",
      "tenant:acme",
    ]);
  });

  test("loadCheckpointSql(): creates the row when missing, then reads its point and rebuilding mark", () => {
    assert.deepEqual(loadCheckpointSql(log, "p", "all").map((s) => ({ ...s })), [
      {
        text: `INSERT INTO ${T} ("name", "scope") VALUES ($1::text, $2::text) ON CONFLICT ("name", "scope") DO NOTHING`,
        params: ["p", "all"],
      },
      {
        text: `SELECT "tx_id"::text AS "tx_id", "position", "rebuilding" FROM ${T} WHERE "name" = $1::text ` +
          `AND "scope" = $2::text`,
        params: ["p", "all"],
      },
    ]);
  });

  test("resetCheckpointSql(): back to the start, rebuilt now, the rebuilding mark a parameter", () => {
    assert.deepEqual({ ...resetCheckpointSql(log, "p", "tenant:acme", true) }, {
      text: `INSERT INTO ${T} ("name", "scope", "rebuilding", "rebuilt_at") VALUES ($1::text, $2::text, $3::boolean, ` +
        `now()) ON CONFLICT ("name", "scope") DO UPDATE SET "tx_id" = '0', "position" = 0, "events" = 0, ` +
        `"rebuilt_at" = now(), "updated_at" = now(), "rebuilding" = $3::boolean`,
      params: ["p", "tenant:acme", true],
    });
    assert.deepEqual(resetCheckpointSql(log, "p", "all").params, ["p", "all", false]);
  });

  test("finishRebuildSql(): a compare-and-set at the point unless an event of the scope lies after it", () => {
    const at = { txId: "42", position: 7n };
    assert.deepEqual({ ...finishRebuildSql(log, "p", "tenant:acme", at, { tenant: "acme", resources: ["account"] }) }, {
      text: `WITH "pending" AS (SELECT EXISTS (SELECT 1 FROM "audit"."events" WHERE ("tx_id", "position") > ` +
        `($3::xid8, $4::bigint) AND "tenant" = $5::text AND "resource" = ANY($6::text[])) AS "pending"), ` +
        `"done" AS (UPDATE ${T} SET "rebuilding" = false, "updated_at" = now() WHERE "name" = $1::text AND ` +
        `"scope" = $2::text AND "tx_id" = $3::xid8 AND "position" = $4::bigint AND "rebuilding" AND NOT ` +
        `(SELECT "pending" FROM "pending") RETURNING 1) SELECT (SELECT "pending" FROM "pending") AS "pending", ` +
        `"audit"."events_expect"(EXISTS (SELECT 1 FROM "done") OR (SELECT "pending" FROM "pending"), $7::text) AS "ok"`,
      params: ["p", "tenant:acme", "42", 7n, "acme", ["account"], "EEC01"],
    });
    const everything = finishRebuildSql(log, "p", "none", at, { tenant: null, resources: undefined });
    assert.match(everything.text, /> \(\$3::xid8, \$4::bigint\) AND "tenant" IS NULL\) AS "pending"/);
    assert.deepEqual(everything.params, ["p", "none", "42", 7n, "EEC01"]);
  });

  test("inlineGuardSql(): raises EEB01 while the projection is rebuilt in one of the scopes", () => {
    assert.deepEqual({ ...inlineGuardSql(log, "p", ["all", "tenant:acme"]) }, {
      text: `SELECT "audit"."events_expect"(NOT EXISTS (SELECT 1 FROM ${T} WHERE "name" = $1::text AND ` +
        `"scope" = ANY($2::text[]) AND "rebuilding"), $3::text) AS "ok"`,
      params: ["p", ["all", "tenant:acme"], "EEB01"],
    });
  });

  test("hostile names, scopes and tenants stay parameters", () => {
    const hostile = `x'); DROP TABLE t; --`;
    const statements = [
      ...loadCheckpointSql(log, hostile, `tenant:${hostile}`),
      resetCheckpointSql(log, hostile, hostile, true),
      finishRebuildSql(log, hostile, hostile, { txId: "1", position: 1n }, { tenant: hostile, resources: [hostile] }),
      inlineGuardSql(log, hostile, [hostile]),
    ];
    for (const s of statements) {
      assert.ok(!s.text.includes(hostile) && !s.text.includes("DROP"), s.text);
      assert.ok(JSON.stringify(s.params, (_k, v) => typeof v === "bigint" ? String(v) : v).includes("DROP TABLE"));
    }
  });
});
