// The names the event log's DDL derives (src/sql/event-log-names.ts): the list that
// defineEventLog checks at definition time is exactly the set of names the DDL derives, so
// the check (which no longer builds the DDL) cannot miss one.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog } from "../../mod.ts";
import { eventLogDdl } from "../../src/sql/event-log-ddl.ts";
import { checkDerivedNames, derivedNames } from "../../src/sql/event-log-names.ts";

/** Every quoted identifier of the DDL (of a chained log) that starts with `<table>_`, except the derived tables. */
function namesInDdl(table: string, ...actorColumns: string[]): string[] {
  const log = defineEventLog({
    table: `audit.${table}`,
    integrity: { chain: true },
    actors: Object.fromEntries(actorColumns.map((column, i) => [`a${i}`, { column, type: "text" as const }])),
  });
  const text = eventLogDdl(log).map((s) => s.text).join("\n");
  const names = new Set(
    [...text.matchAll(/"([A-Za-z0-9_]+)"/g)].map((m) => m[1]!).filter((n) => n.startsWith(`${table}_`)),
  );
  names.delete(`${table}_replay`);
  names.delete(`${table}_idempotency`);
  return [...names].sort();
}

describe("derived names of the event log", () => {
  test("the list is exactly the names the DDL derives, with and without actor columns", () => {
    assert.deepEqual(derivedNames("events", []).sort(), namesInDdl("events"));
    assert.deepEqual(
      derivedNames("ev", ["user_id", "system_actor"]).sort(),
      namesInDdl("ev", "user_id", "system_actor"),
    );
  });

  test("a name that would exceed 63 bytes is refused, and defineEventLog refuses the table", () => {
    const table = "t".repeat(50);
    assert.throws(() => checkDerivedNames(table, []), TypeError);
    assert.doesNotThrow(() => checkDerivedNames("t".repeat(44), []));
    assert.throws(() => defineEventLog({ table }), TypeError);
    assert.throws(() => defineEventLog({ actors: { user: { column: "u".repeat(56), type: "text" } } }), TypeError);
  });

  test("an actor column whose index would have the name of one of the log's own indexes is refused", () => {
    for (const column of ["record", "correlation", "tx", "causation", "tenant_tx", "occurred_at"]) {
      assert.throws(() => defineEventLog({ actors: { a: { column, type: "text" } } }), TypeError, column);
    }
    assert.doesNotThrow(() => defineEventLog({ actors: { a: { column: "recorder", type: "text" } } }));
  });
});
