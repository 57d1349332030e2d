// The read of an event-only record from its newest savepoint, and the SQLSTATE a conditional
// change raises (src/sql/event-only-writes.ts): exact text and params; every value a parameter.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import { eventOnlyWriteSql, readRecordFromSavepointSql } from "../../src/sql/event-only-writes.ts";
import type { EventValues } from "../../src/sql/write-statements.ts";

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

describe("eventOnlyWriteSql() of a change", () => {
  const event: EventValues = {
    id: "01HZX3NDEKTSV4RRFFQ69G5FAV",
    action: "retitle",
    actionType: "update",
    version: 1,
    data: "{}",
    changes: "{}",
    metadata: "{}",
    tenant: null,
    correlationId: "c",
    causationId: null,
    actor: null,
  };
  const target = { resource: "note", columns: { id: "id" }, primaryKey: "id" };
  const record = { resource: "note", recordId: "n1", tenant: undefined };
  const codeOf = (condition: Parameters<typeof eventOnlyWriteSql>[2]["condition"]) =>
    eventOnlyWriteSql(log, target, { record, condition }, event, []).params.find((p) => /^EE/.test(String(p)));

  test("raises NOT_FOUND's code without a position, the stale one with a read position, EEP01 with an expected one", () => {
    assert.equal(codeOf({ kind: "change" }), "EEN01");
    assert.equal(codeOf({ kind: "change", lastPosition: 3n }), "EEC01");
    assert.equal(codeOf({ kind: "change", lastPosition: 3n, expected: true }), "EEP01");
    const expected = eventOnlyWriteSql(
      log,
      target,
      {
        record,
        condition: { kind: "change", lastPosition: 3n, expected: true },
      },
      event,
      [],
    );
    const read = eventOnlyWriteSql(log, target, { record, condition: { kind: "change", lastPosition: 3n } }, event, []);
    assert.equal(expected.text, read.text, "the same guard: only the code differs");
    assert.ok(expected.text.includes(`AND l."position" = $4::bigint`));
    assert.equal(expected.params[3], 3n);
  });
});
