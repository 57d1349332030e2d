// Hostile identifiers at definition time (fast-check): every name that reaches SQL text (event
// table and its schema, actor type names and columns, resource tables, attribute columns) is
// accepted exactly when it is a plain identifier (letters, digits and underscores, not starting
// with a digit, at most 63 bytes) and otherwise refused with a TypeError before anything runs:
// quotes, dots, spaces, semicolons, comment markers, NUL, unicode letters and lone surrogates
// included. No other kind of error ever escapes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import * as v from "valibot";
import { type ActionBuilders, defineEventLog, defineResource } from "../../mod.ts";

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isPlain = (name: string): boolean => PLAIN.test(name) && new TextEncoder().encode(name).length <= 63;
/** A table name: `plain` or `plain.plain`. */
const isTable = (qualified: string): boolean => {
  const parts = qualified.split(".");
  return parts.length <= 2 && parts.every(isPlain);
};

/** Names mixing plain identifiers with the characters that break SQL text. */
const hostileName: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,70}$/),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.tuple(
    fc.stringMatching(/^[a-z_]{1,8}$/),
    fc.constantFrom(`"`, `'`, ".", " ", ";", "--", "/*", "\0", "$1", "é", "\uD800", "\u202E", "`"),
    fc.stringMatching(/^[a-z_]{0,8}$/),
  )
    .map(([a, b, c]) => a + b + c),
);

/** Run `define` and classify: accepted, or refused with a TypeError (anything else fails). */
function outcome(define: () => unknown): "accepted" | "refused" {
  try {
    define();
    return "accepted";
  } catch (error) {
    assert.ok(error instanceof TypeError, `not a TypeError: ${String(error)}`);
    return "refused";
  }
}

const RUNS = { numRuns: 300 };

describe("hostile identifiers are refused at definition time", () => {
  test("event table names: plain or schema.plain accepted, everything else a TypeError", () => {
    fc.assert(
      fc.property(hostileName, fc.option(hostileName, { nil: undefined }), (name, schema) => {
        const qualified = schema === undefined ? name : `${schema}.${name}`;
        // Derived names (<table>_replay, <table>_begin_write, ...) must fit too: long plain names may be refused.
        const expectedOk = isTable(qualified);
        const got = outcome(() => defineEventLog({ table: qualified }));
        if (!expectedOk) assert.equal(got, "refused", `accepted ${JSON.stringify(qualified)}`);
        if (expectedOk && qualified.split(".").at(-1)!.length <= 40) {
          assert.equal(got, "accepted", `refused ${JSON.stringify(qualified)}`);
        }
      }),
      RUNS,
    );
  });

  test("actor type names and columns", () => {
    fc.assert(
      fc.property(hostileName, hostileName, (name, column) => {
        const got = outcome(() => defineEventLog({ actors: { [name]: { column, type: "text" } } }));
        if (!isPlain(name) || !isPlain(column)) {
          assert.equal(got, "refused", `accepted ${JSON.stringify([name, column])}`);
        }
      }),
      RUNS,
    );
  });

  test("resource tables and attribute columns", () => {
    fc.assert(
      fc.property(hostileName, hostileName, (table, column) => {
        const got = outcome(() =>
          defineResource({
            name: "thing",
            table,
            attributes: v.object({ id: v.string(), title: v.string() }),
            columns: { title: column },
            actions: ({ create }: ActionBuilders<{ id: string; title: string }>) => ({
              add: create({ input: v.object({ title: v.string() }) }),
            }),
          } as never)
        );
        if (!isTable(table) || !isPlain(column)) {
          assert.equal(got, "refused", `accepted ${JSON.stringify([table, column])}`);
        }
        if (isTable(table) && isPlain(column) && column !== "id") {
          assert.equal(got, "accepted", `refused ${JSON.stringify([table, column])}`);
        }
      }),
      RUNS,
    );
  });

  test("attribute names whose derived column is not plain", () => {
    fc.assert(
      fc.property(hostileName, (attribute) => {
        fc.pre(attribute !== "id" && attribute !== "__proto__");
        const got = outcome(() =>
          defineResource({
            name: "thing",
            table: "things",
            attributes: v.object({ id: v.string(), [attribute]: v.string() }),
            actions: ({ create }: ActionBuilders<{ id: string; title: string }>) => ({
              add: create({ input: v.object({}) }),
            }),
          } as never)
        );
        if (!isPlain(attribute)) assert.equal(got, "refused", `accepted ${JSON.stringify(attribute)}`);
      }),
      RUNS,
    );
  });
});
