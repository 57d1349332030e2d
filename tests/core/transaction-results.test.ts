// A transaction plan that returns its planned actions gets their results in that order (typed per
// action); one that returns anything else is refused before anything is sent.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, type PlannedAction } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { countRows } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    attributes: v.object({ id: v.string(), text: v.string() }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  return { log, Note };
}

describeEachExecutor("transaction results", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore<never>;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note] });
    await store.migrate({ resourceTables: true });
  });

  test("the returned planned actions' results come back in the returned order", async () => {
    const [second, first] = await store.transaction((tx) => {
      const a = tx.resource(m.Note).write({ text: "first" });
      const b = tx.resource(m.Note).write({ text: "second" });
      return [b, a];
    });
    assert.equal(first.record.text, "first");
    assert.equal(second.record.text, "second");
    assert.ok(first.event!.position < second.event!.position, "planning order is still the write order");
  });

  test("without a return value, every result in planning order", async () => {
    const results = await store.transaction((tx) => {
      tx.resource(m.Note).write({ text: "x" });
      tx.resource(m.Note).write({ text: "y" });
    });
    assert.deepEqual(results.map((r) => (r.record as { text: string }).text), ["x", "y"]);
  });

  test("returning something it did not plan is a TypeError and nothing is written", async () => {
    const before = await countRows(fx.db, `${fx.schema}.events`);
    const foreign: PlannedAction<unknown> = Object.freeze({ recordId: "x" });
    await assert.rejects(
      store.transaction((tx) => [tx.resource(m.Note).write({ text: "z" }), foreign]),
      (error: unknown) => error instanceof TypeError && /index 1/.test(error.message),
    );
    assert.equal(await countRows(fx.db, `${fx.schema}.events`), before);
  });
});
