// Hostile options at the read, replay and adoption entry points (fast-check): whatever a caller
// passes (wrong types, NaN, huge numbers, bigints, invalid Dates, text with NUL or lone
// surrogates, SQL-looking text, nested objects), each call resolves, or fails with a typed error
// (`VALIDATION_FAILED`, or a TypeError/RangeError for misuse) before it can reach the database as
// a bare STORAGE_FAILURE or crash inside the library, and nothing is written.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as v from "valibot";
import {
  adopt,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  replay,
} from "../../mod.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";
import { snapshot } from "../replay/replay-helpers.ts";
import { stressSize } from "../support/stress.ts";

/** Values a careless or hostile caller may put in any option. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    NaN,
    Infinity,
    -Infinity,
    -1,
    0,
    1.5,
    2 ** 53 + 2,
    10_001,
    "",
    "0",
    "'; DROP TABLE x; --",
    "\0",
    "\uD800",
    "a\u0000b",
    true,
    [],
    {},
  ),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.date({ noInvalidDate: false }),
  fc.object({ maxDepth: 2 }),
);

const KEYS = [
  "limit",
  "resource",
  "recordId",
  "afterPosition",
  "after",
  "tenant",
  "untilEventId",
  "untilTime",
  "pageSize",
  "onError",
  "budgetMs",
  "cursor",
  "metadata",
] as const;
const options: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(fc.constantFrom(...KEYS), hostile, { maxKeys: 4 });

/** Whether an error is one a caller can handle: typed, or misuse named by a built-in. */
function acceptable(error: unknown): boolean {
  if (isEdgeEventsError(error)) return error.code !== "STORAGE_FAILURE";
  if (error instanceof TypeError || error instanceof RangeError) {
    // A built-in thrown from deep inside (a property of undefined, a BigInt in JSON.stringify) is a crash, not a check.
    return !/Cannot read|is not a function|is not iterable|serialize a BigInt|Cannot convert/.test(error.message);
  }
  return false;
}

for (const testCase of executorCases(["pglite"])) {
  describe(`hostile options at the read, replay and adoption entry points [${testCase.name}]`, () => {
    let fx: ExecutorFixture;
    let store: EventStore;
    let m: ReturnType<typeof model>;
    const model = (schema: string) => ({
      log: defineEventLog({ table: `${schema}.events`, lock: { scope: "tenant" } }),
      Note: defineResource({
        name: "note",
        table: `${schema}.notes`,
        tenant: "orgId",
        attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
        actions: ({ create, update }) => ({
          write: create({ input: v.object({ text: v.string() }) }),
          edit: update({ input: v.object({ text: v.string() }) }),
        }),
      }),
    });
    const state = () => snapshot(fx.db, [`${fx.schema}.notes`, `${fx.schema}.events`, `${fx.schema}.events_replay`]);

    before(async () => {
      fx = await testCase.setup();
      m = model(fx.schema);
      store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note], replay: { clear: "tracked-tables" } });
      await store.migrate({ resourceTables: true });
      for (const org of ["acme", "globex"]) {
        const notes = store.withContext({ tenant: org }).resource(m.Note);
        const { record } = await notes.write({ text: `${org} 1` });
        await notes.edit(record.id, { text: `${org} 2` });
      }
    });
    after(() => fx?.close());

    const entryPoints: Record<string, (o: Record<string, unknown>) => Promise<unknown>> = {
      "readEvents": (o) => store.readEvents(o as never),
      "readEvents on a tenant's store": (o) =>
        store.withContext({ tenant: o["tenant"] as never }).readEvents(o as never),
      "readFeed": (o) => store.readFeed(o as never),
      "readFeed on a tenant's store": (o) => store.withContext({ tenant: o["tenant"] as never }).readFeed(o as never),
      "readAllTenantsFeed": (o) => store.readAllTenantsFeed(o as never),
      "replay (dry run)": (o) => replay(store, { ...o, dryRun: true } as never),
      "adopt": (o) => adopt(store, m.Note, o as never),
    };

    for (const [name, call] of Object.entries(entryPoints)) {
      test(`${name}: resolves, or a typed error, and nothing is written`, async () => {
        const before = await state();
        await fc.assert(
          fc.asyncProperty(options, async (o) => {
            try {
              await call(o);
            } catch (error) {
              assert.ok(acceptable(error), `${name}(${fc.stringify(o)}) threw ${String(error)}`);
            }
          }),
          { numRuns: stressSize(60, 25) },
        );
        assert.deepEqual(await state(), before, "nothing was written");
      });
    }
  });
}
