// Golden and injection tests of the hash chain's SQL: the page read (every envelope field as
// text, values as parameters), the next tenant, the head, and the trigger's DDL (no parameters,
// actor columns sorted, the chain's scope in the head read).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import { chainDdl, envelopeActorColumns } from "../../src/sql/chain-ddl.ts";
import { chainHeadSql, chainPageSql, nextTenantSql } from "../../src/sql/chain-statements.ts";

const log = defineEventLog({
  table: "audit.events",
  actors: { u: { column: "user_id", type: "uuid" }, s: { column: "actor_system", type: "text" } },
  lock: { scope: "tenant" },
  integrity: { chain: true },
});
const HOSTILE = `'; DROP TABLE x; -- ' OR 1=1 $1`;

describe("hash chain SQL", () => {
  test("a page of one tenant's chain: exact text, every value a parameter", () => {
    const s = chainPageSql(log, { chain: { tenant: HOSTILE }, after: 5n, from: 0n, limit: 10 });
    assert.equal(
      s.text,
      `SELECT "id", "position", "tenant", "resource", "record_id", "action", "action_type", "version", ` +
        `to_char("occurred_at" AT TIME ZONE 'UTC', $1::text) AS "occurred_at", "correlation_id", "causation_id", "parent_id", ` +
        `"actor_system"::text AS "__ee_actor_actor_system", "user_id"::text AS "__ee_actor_user_id", ` +
        `"data"::text AS "data", "changes"::text AS "changes", "metadata"::text AS "metadata", ` +
        `encode("prev_hash", 'hex') AS "prev_hash", encode("hash", 'hex') AS "hash" FROM "audit"."events" ` +
        `WHERE "tenant" = $2::text AND "position" > $3::bigint AND "position" >= $4::bigint ORDER BY "position" ` +
        `LIMIT $5::int`,
    );
    assert.deepEqual(s.params, ['YYYY-MM-DD"T"HH24:MI:SS.US"Z"', HOSTILE, 5n, 0n, 10]);
    assert.ok(Object.isFrozen(s));
  });

  test("the chain of events without a tenant, the whole log, the next tenant and the head", () => {
    assert.match(
      chainPageSql(log, { chain: { tenant: null }, after: 0n, from: 0n, limit: 1 }).text,
      /"tenant" IS NULL/,
    );
    assert.match(chainPageSql(log, { chain: { all: true }, after: 0n, from: 0n, limit: 1 }).text, /WHERE true AND/);
    assert.deepEqual(nextTenantSql(log, HOSTILE), {
      text: `SELECT min("tenant") AS "tenant" FROM "audit"."events" WHERE "tenant" > $1::text`,
      params: [HOSTILE],
    });
    assert.deepEqual(chainHeadSql(log, { tenant: HOSTILE }), {
      text: `SELECT "id", "position", encode("hash", 'hex') AS "hash" FROM "audit"."events" WHERE "tenant" = ` +
        `$1::text AND "hash" IS NOT NULL ORDER BY "position" DESC LIMIT 1`,
      params: [HOSTILE],
    });
  });

  test("the trigger: actor columns by code point, the head read of the chain's scope, the trigger itself", () => {
    assert.deepEqual(envelopeActorColumns(log), ["actor_system", "user_id"]);
    const [fn, trigger] = chainDdl(log, "tenant");
    assert.match(fn!, /^CREATE OR REPLACE FUNCTION "audit"\."events_chain"\(\) RETURNS trigger/);
    assert.match(
      fn!,
      /IF NEW\."tenant" IS NULL THEN\n {4}SELECT "hash" INTO v_prev FROM "audit"\."events" WHERE "tenant" IS NULL/,
    );
    assert.match(fn!, /'\["edge-events\/chain\/1"'/);
    assert.ok(fn!.indexOf(`"actor_system"`) < fn!.indexOf(`"user_id"`));
    assert.doesNotMatch(fn!, /\$[0-9]/);
    assert.equal(
      trigger,
      `CREATE OR REPLACE TRIGGER "events_chain" BEFORE INSERT ON "audit"."events" FOR EACH ROW EXECUTE FUNCTION ` +
        `"audit"."events_chain"()`,
    );
    assert.doesNotMatch(chainDdl(log, "global")[0]!, /NEW\."tenant" IS NULL THEN/);
  });
});
