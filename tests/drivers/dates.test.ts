// Dates at the edges of what Postgres stores travel exactly through every executor: BC years
// (ISO year 0 is 1 BC), the earliest instant (4714-11-24 BC) and years beyond 9999. Earlier, a
// Date before year 1 reached Postgres as `0000-...` and failed as a bare STORAGE_FAILURE; the
// write path now refuses a Date before 4714-11-24 BC as VALIDATION_FAILED naming its field.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as v from "valibot";
import { defineResource, isEdgeEventsError } from "../../mod.ts";
import { toParam } from "../../src/core/record-mapping.ts";
import { toJson } from "../../src/core/json.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";

const EDGES = [
  new Date("0000-12-31T23:59:59.999Z"), // 1 BC
  new Date("-000100-06-15T12:00:00.000Z"), // 101 BC
  new Date(Date.UTC(-4713, 10, 24)), // the earliest instant Postgres stores
  new Date("0001-01-01T00:00:00.000Z"),
  new Date("9999-12-31T23:59:59.999Z"),
  new Date("+010000-01-01T00:00:00.000Z"),
  new Date("+275760-09-13T00:00:00.000Z"), // the latest Date JavaScript makes
];

for (const testCase of executorCases(["pglite", "neon-http", "pg-pool"])) {
  describe(`dates at the edges [${testCase.name}]`, () => {
    let fx: ExecutorFixture;
    before(async () => (fx = await testCase.setup()));
    after(() => fx?.close());

    test("round-trip exactly as timestamptz parameters", async () => {
      for (const date of EDGES) {
        const { rows } = await fx.db.query({ text: "SELECT $1::timestamptz AS t", params: [date] });
        assert.equal((rows[0]!["t"] as Date).toISOString(), date.toISOString());
      }
    });
  });
}

describe("dates the write path refuses", () => {
  test("a Date before 4714-11-24 BC for a timestamp column is VALIDATION_FAILED naming the attribute; inside JSON it is ISO text", () => {
    const early = new Date(Date.UTC(-4713, 10, 23));
    const Event = defineResource({
      name: "meeting",
      table: "meetings",
      attributes: v.object({ id: v.string(), at: v.date() }),
      actions: ({ create }) => ({ plan: create({ input: v.object({ at: v.date() }) }) }),
    });
    assert.throws(
      () => toParam(Event, "at", early),
      (error: unknown) => isEdgeEventsError(error, "VALIDATION_FAILED") && error.issues[0]?.path === "at",
    );
    assert.equal(toParam(Event, "at", new Date(Date.UTC(-4713, 10, 24))) instanceof Date, true);
    assert.deepEqual(toJson({ at: early }), { at: early.toISOString() });
  });
});
