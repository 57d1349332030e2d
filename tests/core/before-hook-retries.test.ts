// `before` hooks run once per attempt: a change-function update whose record changed between its
// read and its write is built again, and its `before` hook runs again with the newly read record
// (documented on the option). Forced deterministically: the first attempt's hook itself commits a
// competing update of the same record.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, ref, sql } from "../../mod.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";

for (const testCase of executorCases(["pglite", "neon-http"])) {
  describe(`before hooks on conflict retries [${testCase.name}]`, () => {
    let fx: ExecutorFixture;
    let store: EventStore;
    const seen: number[] = [];
    let competing: (() => Promise<unknown>) | undefined;

    const Counter = (schema: string) =>
      defineResource({
        name: "counter",
        table: `${schema}.counters`,
        primaryKey: { attribute: "id", generate: "none" },
        attributes: v.object({ id: v.string(), count: v.pipe(v.number(), v.integer()), note: v.optional(v.string()) }),
        columnTypes: { count: "integer" },
        actions: ({ create, update }) => ({
          start: create({ input: v.object({ id: v.string() }), defaults: { count: 0 } }),
          add: update({
            input: v.object({ by: v.number() }),
            set: ({ by }) => ({ count: sql`${ref("count")} + ${by}` }),
          }),
          double: update({
            change: (counter) => ({ count: counter.count * 2 }),
            before: async (attributes, { record }) => {
              seen.push(record!.count);
              const race = competing;
              competing = undefined;
              if (race !== undefined) await race(); // only on the first attempt
              return { ...attributes, note: `doubled from ${record!.count}` };
            },
          }),
        }),
      });
    let m: ReturnType<typeof Counter>;

    before(async () => {
      fx = await testCase.setup();
      m = Counter(fx.schema);
      store = createEventStore({ db: fx.db, log: defineEventLog({ table: `${fx.schema}.events` }), resources: [m] });
      await store.migrate({ resourceTables: true });
    });
    after(() => fx?.close());

    test("a change-function update that conflicts runs its before hook again, with the record read again", async () => {
      await store.resource(m).start({ id: "c" });
      await store.resource(m).add("c", { by: 3 });
      seen.length = 0;
      competing = () => store.resource(m).add("c", { by: 2 });
      const { record } = await store.resource(m).double("c");
      assert.deepEqual(seen, [3, 5], "once per attempt: first with 3, then, after the competing +2, with 5");
      assert.equal(record.count, 10);
      assert.equal(record.note, "doubled from 5");
    });
  });
}
