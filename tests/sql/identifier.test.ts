// Identifier validation and quoting (src/sql/identifier.ts), and the definitions that rely
// on it: every table, schema, column and actor name is refused at definition time unless
// it is a plain identifier, so no name can carry SQL into a statement.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { defineEventLog, defineResource } from "../../mod.ts";
import { quoteIdentifier, tableName, validateIdentifier } from "../../src/sql/identifier.ts";
import { HOSTILE_IDENTIFIERS } from "../support/hostile-values.ts";

const attributes = v.object({ id: v.string(), name: v.string() });

function resource(overrides: Record<string, unknown>) {
  return () =>
    defineResource({ name: "thing", table: "things", attributes, actions: () => ({}), ...overrides } as never);
}

describe("validateIdentifier() and quoteIdentifier()", () => {
  test("plain identifiers pass unchanged and are double-quoted", () => {
    for (const name of ["a", "_x", "user_id", "CamelCase", "t1", "x".repeat(63)]) {
      assert.equal(validateIdentifier(name), name);
      assert.equal(quoteIdentifier(name), `"${name}"`);
    }
  });

  test("quotes, statement ends, comments, spaces, non-ASCII, leading digits, the empty name and 64 bytes are TypeErrors", () => {
    for (const name of [...HOSTILE_IDENTIFIERS, "a.b", "a/*b", "a$1", "é".repeat(32)]) {
      assert.throws(() => validateIdentifier(name), TypeError, JSON.stringify(name));
      assert.throws(() => quoteIdentifier(name), TypeError, JSON.stringify(name));
    }
  });

  test("non-strings are TypeErrors", () => {
    for (const name of [null, undefined, 1, {}, ["a"]]) {
      assert.throws(() => validateIdentifier(name as never), TypeError);
      assert.throws(() => quoteIdentifier(name as never), TypeError);
    }
  });

  test("the error names what was refused but never echoes the name", () => {
    assert.throws(
      () => validateIdentifier(`x"; DROP TABLE secret_table; --`, "column name"),
      (err: unknown) =>
        err instanceof TypeError && err.message.startsWith("Invalid column name") &&
        !err.message.includes("secret_table"),
    );
  });
});

describe("tableName()", () => {
  test("an unqualified name is quoted alone", () => {
    const t = tableName("events");
    assert.deepEqual({ ...t }, { schema: undefined, name: "events", sql: `"events"` });
    assert.ok(Object.isFrozen(t));
  });

  test("a schema-qualified name quotes both parts", () => {
    assert.deepEqual({ ...tableName("audit.events") }, { schema: "audit", name: "events", sql: `"audit"."events"` });
  });

  test("hostile names in either part, empty parts and a second dot are TypeErrors", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      assert.throws(() => tableName(bad), TypeError, `table ${JSON.stringify(bad)}`);
      assert.throws(() => tableName(`${bad}.events`), TypeError, `schema ${JSON.stringify(bad)}`);
      assert.throws(() => tableName(`audit.${bad}`), TypeError, `qualified table ${JSON.stringify(bad)}`);
    }
    for (const bad of ["a.b.c", ".events", "audit.", ".", `audit"."events`, 'audit"; --.events']) {
      assert.throws(() => tableName(bad), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => tableName(42 as never), TypeError);
  });
});

describe("definitions refuse hostile identifiers at definition time", () => {
  test("event log table and schema names", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      assert.throws(() => defineEventLog({ table: bad }), TypeError, `table ${JSON.stringify(bad)}`);
      assert.throws(() => defineEventLog({ table: `${bad}.events` }), TypeError, `schema ${JSON.stringify(bad)}`);
      assert.throws(
        () => defineEventLog({ table: `audit.${bad}` }),
        TypeError,
        `qualified table ${JSON.stringify(bad)}`,
      );
    }
  });

  test("actor columns and actor type names", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      assert.throws(
        () => defineEventLog({ actors: { user: { column: bad, type: "uuid" } } }),
        TypeError,
        `column ${JSON.stringify(bad)}`,
      );
      assert.throws(
        () => defineEventLog({ actors: { [bad]: { column: "user_id", type: "uuid" } } }),
        TypeError,
        `type ${JSON.stringify(bad)}`,
      );
    }
    assert.throws(
      () => defineEventLog({ actors: { user: { column: "user_id", type: "uuid; DROP TABLE x" as never } } }),
      TypeError,
    );
  });

  test("resource table and schema names", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      assert.throws(resource({ table: bad }), TypeError, `table ${JSON.stringify(bad)}`);
      assert.throws(resource({ table: `${bad}.things` }), TypeError, `schema ${JSON.stringify(bad)}`);
    }
  });

  test("column overrides, and attribute names whose default column is not an identifier", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      assert.throws(resource({ columns: { name: bad } }), TypeError, `column ${JSON.stringify(bad)}`);
    }
    const odd = v.object({ id: v.string(), "first name": v.string() });
    assert.throws(resource({ attributes: odd }), TypeError);
    const unicode = v.object({ id: v.string(), "näme": v.string() });
    assert.throws(resource({ attributes: unicode }), TypeError);
  });

  test("names derived from the event table or an actor column must fit 63 bytes too", () => {
    // <table>_replay_running_idx is the longest name derived from the table (19 more bytes).
    assert.doesNotThrow(() => defineEventLog({ table: "t".repeat(44) }));
    assert.throws(() => defineEventLog({ table: "t".repeat(45) }), TypeError);
    assert.throws(() => defineEventLog({ table: `audit.${"t".repeat(45)}` }), TypeError);
    // <table>_<column>_idx indexes each actor column.
    assert.doesNotThrow(() => defineEventLog({ actors: { u: { column: "c".repeat(52), type: "text" } } }));
    assert.throws(() => defineEventLog({ actors: { u: { column: "c".repeat(53), type: "text" } } }), TypeError);
  });
});
