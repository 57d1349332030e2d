import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSchemaSql } from "../../src/sql/create-schema.ts";

describe("createSchemaSql(): golden text", () => {
  test("creates the quoted schema unless it exists, without parameters", () => {
    const s = createSchemaSql("billing");
    assert.deepEqual({ ...s }, { text: `CREATE SCHEMA IF NOT EXISTS "billing"`, params: [] });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });
});

describe("createSchemaSql(): injection", () => {
  test("a hostile schema name throws TypeError and never reaches the text", () => {
    for (const bad of [`a"; DROP SCHEMA public; --`, "x;--", "' OR 1=1", "", "a b"]) {
      assert.throws(() => createSchemaSql(bad), TypeError, JSON.stringify(bad));
    }
  });
});
