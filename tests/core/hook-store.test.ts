// What an `after` hook receives as `store`: only the store's actions (resource clients,
// transaction, withContext), scoped to the event; not the log, the executor, migrate, reads or
// replay, neither in its type (tests/types/public-api.types.ts) nor at run time (here).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as v from "valibot";
import { type ActionStore, createEventStore, defineEventLog, defineResource, type EventStore } from "../../mod.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";

function model(schema: string, seen: ActionStore[]) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Echo = defineResource({
    name: "echo",
    table: `${schema}.echoes`,
    attributes: v.object({ id: v.string(), text: v.string() }),
    actions: ({ create }) => ({ write: create({ input: v.object({ text: v.string() }) }) }),
  });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    attributes: v.object({ id: v.string(), text: v.string() }),
    actions: ({ create }) => ({
      write: create({
        input: v.object({ text: v.string() }),
        after: async (note, { store }) => {
          seen.push(store);
          const scoped = store.withContext({ metadata: { from: "hook" } });
          seen.push(scoped);
          await scoped.transaction((tx) => {
            tx.resource(Echo).write({ text: note.text });
          });
        },
      }),
    }),
  });
  return { log, Echo, Note };
}

for (const testCase of executorCases(["pglite"])) {
  describe(`the store an after hook receives [${testCase.name}]`, () => {
    let fx: ExecutorFixture;
    let m: ReturnType<typeof model>;
    let store: EventStore<never>;
    const seen: ActionStore[] = [];

    before(async () => {
      fx = await testCase.setup();
      m = model(fx.schema, seen);
      store = createEventStore({
        db: fx.db,
        log: m.log,
        resources: [m.Echo, m.Note],
        replay: { clear: "tracked-tables" },
      });
      await store.migrate({ resourceTables: true });
    });
    after(() => fx?.close());

    test("holds resource, transaction and withContext only, also after withContext, and its actions work", async () => {
      const result = await store.resource(m.Note).write({ text: "hello" });
      assert.equal(result.hookError, undefined);
      assert.equal(seen.length, 2);
      for (const hookStore of seen) {
        assert.deepEqual(Object.keys(hookStore).sort(), ["resource", "transaction", "withContext"]);
        assert.ok(Object.isFrozen(hookStore));
        for (const name of ["migrate", "db", "log", "resources", "readEvents", "readFeed", "replayConfig", "clock"]) {
          assert.equal(name in hookStore, false, `${name} is not on the hook's store`);
        }
      }
      const events = await store.readEvents();
      assert.deepEqual(events.map((e) => [e.resource, e.data]), [["note", { text: "hello" }], ["echo", {
        text: "hello",
      }]]);
      assert.deepEqual(events[1]!.metadata, { from: "hook" });
      assert.equal(events[1]!.causationId, result.event!.id);
      assert.equal(events[1]!.correlationId, result.event!.correlationId);
    });
  });
}
