// readEvents' afterPosition beyond a bigint column (2^63 and more) is VALIDATION_FAILED naming
// it, before anything is sent; it used to reach Postgres as a bare STORAGE_FAILURE (22003).
// Found by the entry-points property test (tests/adversarial/entry-points.property.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEventStore, defineEventLog, type Executor, isEdgeEventsError } from "../../mod.ts";

const nothingSent: Executor = {
  kind: "nothing-sent",
  query: () => Promise.reject(new Error("a statement was sent")),
  batch: () => Promise.reject(new Error("a batch was sent")),
};

test("afterPosition past the largest position is VALIDATION_FAILED on afterPosition, and nothing is sent", async () => {
  const store = createEventStore({ db: nothingSent, log: defineEventLog(), resources: [] });
  for (const afterPosition of [1n << 63n, (1n << 64n) + 5n]) {
    await assert.rejects(store.readEvents({ afterPosition, recordId: "" }), (error: unknown) => {
      assert.ok(isEdgeEventsError(error, "VALIDATION_FAILED"), String(error));
      assert.equal(error.issues[0]?.path, "afterPosition");
      return true;
    });
  }
  // The largest position itself is a valid bound: it reaches the executor.
  await assert.rejects(store.readEvents({ afterPosition: (1n << 63n) - 1n, recordId: "a" }), /a statement was sent/);
});
