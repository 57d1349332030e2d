// store.transaction plans a create's key from the same attributes the write uses: a key that
// comes from map, accept (the input schema's output), defaults, change or a before hook is the
// one the later calls of the transaction address, not a key generated from the raw input.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { ACCOUNT_ENTRIES, DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";

const lower = v.pipe(v.string(), v.transform((s: string) => s.toLowerCase()));

function model(schema: string) {
  const t = prefixedTables(schema, "tk");
  const log = defineEventLog({ table: t("events") });
  // The same actions for two resources of different key types: the builders are untyped here.
  // deno-lint-ignore no-explicit-any
  const actions = ({ create, update }: { create: any; update: any }) => ({
    viaMap: create({
      input: v.object({ code: v.string(), owner: v.string() }),
      map: (i: { code: string; owner: string }) => ({ id: `m-${i.code}`, owner: i.owner, balance: 0 }),
    }),
    viaAccept: create({
      input: v.object({ id: lower, owner: v.string(), balance: v.number() }),
      accept: ["id", "owner", "balance"],
    }),
    viaDefaults: create({
      input: v.object({ owner: v.string() }),
      defaults: (i: { owner: string }) => ({ id: `d-${i.owner}`, balance: 0 }),
    }),
    viaChange: create({
      input: v.object({ owner: v.string() }),
      change: (i: { owner: string }) => ({ id: `c-${i.owner}`, balance: 0 }),
    }),
    // An async before hook (without an await) is the case under test.
    viaBefore: create({
      input: v.object({ owner: v.string() }),
      defaults: { balance: 0 },
      // deno-lint-ignore require-await
      before: async (a: Record<string, unknown>) => ({ ...a, id: `b-${String(a["owner"])}` }),
    }),
    deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
    rename: update({
      input: v.object({ owner: v.string() }),
      change: (_r: unknown, i: { owner: string }) => ({ owner: i.owner }),
    }),
  });
  // The same actions on a resource that generates its keys and on one that never does.
  const Generated = defineResource({
    name: "generated",
    table: t("generated"),
    attributes: v.object(ACCOUNT_ENTRIES),
    actions: actions as never,
  });
  const Given = defineResource({
    name: "given",
    table: t("given"),
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object(ACCOUNT_ENTRIES),
    actions: actions as never,
  });
  return { log, Generated, Given, t };
}

type Model = ReturnType<typeof model>;
type Source = "viaMap" | "viaAccept" | "viaDefaults" | "viaChange" | "viaBefore";

/** Each source of the key: the input for a unique owner `o`, and the key the write ends up with. */
const SOURCES: readonly {
  source: Source;
  input: (o: string) => Record<string, unknown>;
  key: (o: string) => string;
}[] = [
  { source: "viaMap", input: (o) => ({ code: o, owner: o }), key: (o) => `m-${o}` },
  { source: "viaAccept", input: (o) => ({ id: `ACC-${o}`, owner: o, balance: 0 }), key: (o) => `acc-${o}` },
  { source: "viaDefaults", input: (o) => ({ owner: o }), key: (o) => `d-${o}` },
  { source: "viaChange", input: (o) => ({ owner: o }), key: (o) => `c-${o}` },
  { source: "viaBefore", input: (o) => ({ owner: o }), key: (o) => `b-${o}` },
];

type AnyClient = Record<string, (...args: unknown[]) => { recordId: string }>;

describeEachExecutor("planned ids in transactions", {}, (fx) => {
  let m: Model;
  let store: EventStore;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Generated, m.Given] });
    await store.migrate({ resourceTables: true });
  });

  for (const resourceName of ["Generated", "Given"] as const) {
    for (const { source, input, key } of SOURCES) {
      test(`a create whose key comes from ${source.slice(3).toLowerCase()} (${resourceName === "Generated" ? "generated" : "never generated"} keys) is the record the transaction's later calls address`, async () => {
        const owner = `${resourceName}-${source}`.toLowerCase();
        const results = await store.transaction((tx) => {
          const client = tx.resource(m[resourceName]) as unknown as AnyClient;
          const { recordId } = client[source]!(input(owner));
          client["deposit"]!(recordId, { amount: 5 });
          client["deposit"]!(recordId, { amount: 2 });
        });
        const want = key(owner);
        assert.deepEqual(results.map((r) => (r.record as Record<string, unknown>)["id"]), [want, want, want]);
        assert.deepEqual(results.map((r) => r.event!.recordId), [want, want, want]);
        assert.equal((results[2]!.record as Record<string, unknown>)["balance"], 7);
        const rows = await fx.db.query({
          text: `SELECT id, balance FROM ${m.t(resourceName.toLowerCase())} WHERE owner = $1`,
          params: [owner],
        });
        assert.deepEqual(rows.rows, [{ id: want, balance: 7 }]);
      });
    }
  }
});
