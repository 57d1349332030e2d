// The read of a record's last event (src/sql/last-event.ts): exact text and params, the tenant
// as a filter when given, every value a parameter.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import { readLastEventSql } from "../../src/sql/last-event.ts";
import { HOSTILE_VALUES } from "../support/hostile-values.ts";

const log = defineEventLog({ table: "audit.events" });

describe("readLastEventSql()", () => {
  test("the position and action type of the record's newest event, of its tenant when it has one", () => {
    const s = readLastEventSql(log, { resource: "account", recordId: "a1", tenant: "acme" });
    assert.deepEqual({ ...s }, {
      text: `SELECT "position", "action_type" FROM "audit"."events" WHERE "resource" = $1::text ` +
        `AND "record_id" = $2::text AND "tenant" = $3::text ORDER BY "position" DESC LIMIT 1`,
      params: ["account", "a1", "acme"],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
    const untenanted = readLastEventSql(log, { resource: "account", recordId: "a1", tenant: undefined });
    assert.equal(untenanted.text, s.text.replace(` AND "tenant" = $3::text`, ""));
    assert.deepEqual(untenanted.params, ["account", "a1"]);
  });

  test("hostile values travel as parameters only", () => {
    const plain = readLastEventSql(log, { resource: "r", recordId: "i", tenant: "t" });
    for (const value of HOSTILE_VALUES) {
      const s = readLastEventSql(log, { resource: value, recordId: value, tenant: value });
      assert.equal(s.text, plain.text);
      assert.deepEqual(s.params, [value, value, value]);
    }
  });
});
