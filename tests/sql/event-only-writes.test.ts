// The read of an event-only record from its newest savepoint (src/sql/event-only-writes.ts):
// exact text and params; every value a parameter.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import { readRecordFromSavepointSql } from "../../src/sql/event-only-writes.ts";

const log = defineEventLog({ table: "audit.events" });

describe("readRecordFromSavepointSql()", () => {
  test("the newest savepoint of the fold version and the record's events after it, in one statement", () => {
    const s = readRecordFromSavepointSql(log, { resource: "note", recordId: "n'1", tenant: "acme" }, "f1-x");
    assert.deepEqual({ ...s }, {
      text: `SELECT "sp".*, "e".* FROM (SELECT 1 AS "__ee_one") AS "one" LEFT JOIN LATERAL (SELECT ` +
        `s."position" AS "__ee_sp_position", s."state" AS "__ee_sp_state" FROM "audit"."events_savepoints" AS s ` +
        `WHERE s."resource" = $1::text AND s."record_id" = $2::text AND s."tenant" IS NOT DISTINCT FROM $3::text ` +
        `AND s."fold_version" = $4::text ORDER BY s."position" DESC LIMIT 1) AS "sp" ON true LEFT JOIN LATERAL ` +
        `(SELECT * FROM "audit"."events" WHERE "resource" = $5::text AND "record_id" = $6::text AND ` +
        `"tenant" = $7::text AND "position" > COALESCE("sp"."__ee_sp_position", 0) ORDER BY "position") AS "e" ` +
        `ON true ORDER BY "e"."position"`,
      params: ["note", "n'1", "acme", "f1-x", "note", "n'1", "acme"],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
    const untenanted = readRecordFromSavepointSql(log, { resource: "note", recordId: "n1", tenant: undefined }, "f");
    assert.deepEqual(untenanted.params, ["note", "n1", null, "f", "note", "n1"]);
  });
});
