// Transactions that write several tenants under `lock: { scope: "tenant" }` take the tenant
// lock keys deduplicated and in one sorted order, whatever order their calls came in, so
// concurrent transactions touching the same tenants in opposite orders queue instead of
// deadlocking (no 40P01). Postgres only, through neon-http and node-postgres: PGlite runs
// one statement at a time and cannot deadlock.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  ref,
  sql,
  type StorageError,
} from "../../mod.ts";
import type { Executor, SqlStatement } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { stressSize } from "../support/stress.ts";

const WORKERS = 8;
const TRANSACTIONS = stressSize(20, 10);
// One tenant of each kind of lock key: an FNV-1a hashed string (bigint), a UUID (two int32)
// and an integer (bigint), so the sorted order spans both key forms.
const TENANTS = ["acme", "6f1c2b1e-8d4a-4c39-9a57-0e2f4b7c9d10", "42"] as const;
const PERMUTATIONS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const;
const SLOW = { timeout: 60_000 };

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events`, lock: { scope: "tenant" } });
  const Wallet = defineResource({
    name: "wallet",
    table: `${schema}.wallets`,
    tenant: "orgId",
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), orgId: v.string(), balance: v.pipe(v.number(), v.integer()) }),
    columnTypes: { balance: "integer" },
    actions: ({ create, update }) => ({
      open: create({ input: v.object({ id: v.string() }), defaults: { balance: 0 } }),
      credit: update({
        input: v.object({ amount: v.number() }),
        set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
      }),
    }),
  });
  return { log, Wallet };
}

const walletOf = (tenant: number): string => `wallet-${tenant}`;

/** An executor that records the statements of every batch it forwards. */
function recording(db: Executor): { db: Executor; batches: SqlStatement[][] } {
  const batches: SqlStatement[][] = [];
  return {
    batches,
    db: {
      kind: db.kind,
      query: (statement) => db.query(statement),
      batch: (statements, options) => {
        batches.push([...statements]);
        return db.batch(statements, options);
      },
    },
  };
}

describeEachExecutor("tenant lock order", { needs: ["concurrency"] }, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Wallet] });
    await store.migrate({ resourceTables: true });
    for (const [i, tenant] of TENANTS.entries()) await store.resource(m.Wallet).open({ id: walletOf(i) }, { tenant });
  });

  test("a transaction's lock statement is the same whichever order its calls came in", async () => {
    const rec = recording(fx.db);
    const spy = createEventStore({ db: rec.db, log: m.log, resources: [m.Wallet] });
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0, 1]]) {
      await spy.transaction((tx) => {
        for (const i of order) tx.resource(m.Wallet).credit(walletOf(i), { amount: 0 }, { tenant: TENANTS[i]! });
      });
    }
    // Every batch opens with one begin_write call, which takes the locks before any write
    // of the batch; its parameters are the fence key, the bigint keys, the pairs, the tenants.
    const preludes = rec.batches.map((batch) => {
      assert.match(batch[0]!.text, /^SELECT "[^"]+"\."events_begin_write"\(/);
      assert.equal(
        batch.filter((s) => s.text.includes("begin_write") || s.text.includes("pg_advisory")).length,
        1,
        "one lock statement",
      );
      assert.ok(batch.slice(1).every((s) => !s.text.includes("assert_writable")));
      return batch[0]!.params.slice(0, 5); // the tenants to check (params[5]) follow the calls' order
    });
    const lockCount = (params: readonly unknown[]): number =>
      (params[2] as unknown[]).length + (params[3] as unknown[]).length;
    assert.equal(lockCount(preludes[0]!), TENANTS.length, "one lock per tenant");
    assert.deepEqual(preludes[1], preludes[0]);
    assert.deepEqual(preludes[2], preludes[0], "a tenant written twice is locked once");
  });

  test(
    `${WORKERS} workers × ${TRANSACTIONS} transactions crediting ${TENANTS.length} tenants in opposite orders never deadlock`,
    SLOW,
    async () => {
      const failures: unknown[] = [];
      await Promise.all(Array.from({ length: WORKERS }, async (_, worker) => {
        for (let t = 0; t < TRANSACTIONS; t++) {
          // Row locks in the order of the calls: without the sorted tenant locks in front of
          // them, two transactions with opposite orders would each hold the row the other wants.
          const order = PERMUTATIONS[(worker * 7 + t) % PERMUTATIONS.length]!;
          try {
            await store.transaction((tx) => {
              for (const i of order) tx.resource(m.Wallet).credit(walletOf(i), { amount: 1 }, { tenant: TENANTS[i]! });
            });
          } catch (error) {
            failures.push(error);
          }
        }
      }));
      const deadlocks = failures.filter((e) =>
        isEdgeEventsError(e, "STORAGE_FAILURE") && (e as StorageError).sqlState === "40P01"
      );
      assert.equal(deadlocks.length, 0, "deadlocks");
      assert.deepEqual(failures.map(String), []);

      const total = WORKERS * TRANSACTIONS;
      const balances = await fx.db.query({ text: `SELECT org_id, balance FROM ${fx.schema}.wallets`, params: [] });
      assert.deepEqual(
        Object.fromEntries(balances.rows.map((r) => [r["org_id"], r["balance"]])),
        Object.fromEntries(TENANTS.map((tenant) => [tenant, total])),
      );
      const credits = await fx.db.query({
        text:
          `SELECT tenant, count(*)::int AS n FROM ${fx.schema}.events WHERE action = 'credit' AND data = '{"amount":1}' GROUP BY tenant`,
        params: [],
      });
      assert.deepEqual(
        Object.fromEntries(credits.rows.map((r) => [r["tenant"], r["n"]])),
        Object.fromEntries(TENANTS.map((tenant) => [tenant, total])),
      );
    },
  );
});
