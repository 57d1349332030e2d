// The fault matrix: every action kind (ignored ones included, and a transaction of several)
// against every fault the local server injects into the write request (a response dropped after
// the commit, the connection dropped before the commit after every statement ran, a reset before
// anything ran, a 503, latency), once and more often than the store resends. Afterwards each call
// took effect exactly once, the call either resolved with its own outcome or failed with a typed
// error, and the log and the tables agree exactly: replaying the log reproduces every table row
// for row.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  newEventId,
  ref,
  replay,
  sql,
} from "../../mod.ts";
import type { FaultMode } from "../../src/dev/faults.ts";
import { describeEachExecutor } from "../support/each-executor.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({
      id: v.string(),
      owner: v.string(),
      balance: v.number(),
      bumps: v.pipe(v.number(), v.integer()),
      closedAt: v.optional(v.nullable(v.date())),
    }),
    columnTypes: { bumps: "integer" },
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ id: v.string(), owner: v.string() }), defaults: { balance: 0, bumps: 0 } }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({
        input: v.object({ amount: v.number() }),
        set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
      }),
      bump: update({ change: (account) => ({ bumps: account.bumps + 1 }) }),
      close: destroy({ soft: "closedAt" }),
      remove: destroy(),
      importRow: create({
        input: v.object({ id: v.string(), owner: v.string() }),
        defaults: { balance: 0, bumps: 0 },
        ignored: true,
      }),
      correct: update({
        input: v.object({ amount: v.number() }),
        set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
        ignored: true,
      }),
    }),
  });
  return { log, Account, tables: [`${schema}.accounts`] };
}

type Model = ReturnType<typeof model>;

/** One action kind: what to set up, the call (with an event id), and the exact effect. */
interface Case {
  readonly name: string;
  /** Event-writing calls it makes when applied once. */
  readonly events: number;
  setup(store: EventStore, m: Model, id: string): Promise<void>;
  call(store: EventStore, m: Model, id: string, eventId: string): Promise<unknown>;
  /** The row of `id` (or null) after exactly one application. */
  expected(id: string): Record<string, unknown> | null;
}

const open = (store: EventStore, m: Model, id: string) =>
  store.resource(m.Account).open({ id, owner: "ada" }).then(() => undefined);
const row = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  owner: "ada",
  balance: 0,
  bumps: 0,
  closed: false,
  ...fields,
});

const transactionIds = new Map<string, string[]>();

const CASES: readonly Case[] = [
  {
    name: "create",
    events: 1,
    setup: async () => {},
    call: (s, m, id, eventId) => s.resource(m.Account).open({ id, owner: "ada" }, { eventId }),
    expected: (id) => row(id),
  },
  {
    name: "update from input",
    events: 1,
    setup: open,
    call: (s, m, id, eventId) => s.resource(m.Account).rename(id, { owner: "bea" }, { eventId }),
    expected: (id) => row(id, { owner: "bea" }),
  },
  {
    name: "atomic update",
    events: 1,
    setup: open,
    call: (s, m, id, eventId) => s.resource(m.Account).deposit(id, { amount: 5 }, { eventId }),
    expected: (id) => row(id, { balance: 5 }),
  },
  {
    name: "change-function update",
    events: 1,
    setup: open,
    call: (s, m, id, eventId) => s.resource(m.Account).bump(id, {}, { eventId }),
    expected: (id) => row(id, { bumps: 1 }),
  },
  {
    name: "soft destroy",
    events: 1,
    setup: open,
    call: (s, m, id, eventId) => s.resource(m.Account).close(id, {}, { eventId }),
    expected: (id) => row(id, { closed: true }),
  },
  {
    name: "hard destroy",
    events: 1,
    setup: open,
    call: (s, m, id, eventId) => s.resource(m.Account).remove(id, {}, { eventId }),
    expected: () => null,
  },
  {
    name: "ignored create",
    events: 0,
    setup: async () => {},
    call: (s, m, id, eventId) => s.resource(m.Account).importRow({ id, owner: "ada" }, { eventId }),
    expected: (id) => row(id),
  },
  {
    name: "ignored atomic update",
    events: 0,
    setup: open,
    call: (s, m, id, eventId) => s.resource(m.Account).correct(id, { amount: 7 }, { eventId }),
    expected: (id) => row(id, { balance: 7 }),
  },
  {
    name: "transaction (create, atomic update, ignored update)",
    events: 2,
    setup: open,
    call: (s, m, id, eventId) => {
      // Each action carries its own event id, the same on every retry of the transaction.
      const ids = transactionIds.get(eventId) ?? [newEventId(), newEventId()];
      transactionIds.set(eventId, ids);
      return s.withContext({ correlationId: eventId }).transaction((tx) => {
        tx.resource(m.Account).open({ id: `${id}-new`, owner: "ada" }, { eventId });
        tx.resource(m.Account).deposit(id, { amount: 3 }, { eventId: ids[0]! });
        tx.resource(m.Account).correct(id, { amount: 4 }, { eventId: ids[1]! });
      });
    },
    expected: (id) => row(id, { balance: 7 }),
  },
];

const FAULTS: readonly (FaultMode | "latency")[] = [
  "drop-after-commit",
  "drop-before-commit",
  "reset-before-execution",
  "fail-before-execution",
  "latency",
];

/** The write batch of an action: the one request that calls the write prelude. */
const isWrite = (body: unknown): boolean => JSON.stringify(body).includes("_begin_write");

describeEachExecutor("fault matrix: every action kind × every fault", { needs: ["http-faults"] }, (fx) => {
  let m: Model;
  let store: EventStore;
  let n = 0;
  /** Records that an ignored action touched (their state is not all in the log). */
  const ignoredIds = new Set<string>();

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account], replay: { clear: "tracked-tables" } });
    await store.migrate({ resourceTables: true });
  });

  const state = async (id: string): Promise<Record<string, unknown> | null> => {
    const rows = (await fx.db.query({
      text:
        `SELECT id, owner, balance, bumps, closed_at IS NOT NULL AS closed FROM ${fx.schema}.accounts WHERE id = $1`,
      params: [id],
    })).rows;
    return rows[0] === undefined ? null : { ...rows[0], balance: Number(rows[0]["balance"]) };
  };
  const eventsOf = async (ids: string[]): Promise<number> =>
    Number(
      (await fx.db.query({
        text:
          `SELECT count(*)::int AS n FROM ${fx.schema}.events WHERE id = ANY($1::text[]) OR correlation_id = ANY($1::text[])`,
        params: [ids],
      })).rows[0]!["n"],
    );

  for (const c of CASES) {
    for (const fault of FAULTS) {
      // Once: the store's own resend (lostResponseRetries = 2) recovers. Three times: the call
      // fails with outcomeUnknown, and the client retries it with the same event id.
      for (const times of [1, 3]) {
        if (fault === "latency" && times === 3) continue;
        test(`${c.name}, ${fault}${fault === "latency" ? "" : ` ×${times}`}: applied exactly once`, async () => {
          const id = `acc-${++n}`;
          if (c.name.includes("ignored")) ignoredIds.add(id);
          await c.setup(store, m, id);
          const eventId = newEventId();
          if (fault === "latency") fx.server!.faults.set({ latencyMs: 30 });
          else fx.server!.faults.once(fault, { match: isWrite, times });
          let outcome: unknown;
          try {
            outcome = await c.call(store, m, id, eventId).catch((error: unknown) => error);
          } finally {
            fx.server!.faults.clear();
          }
          if (outcome instanceof Error) {
            assert.equal(times, 3, `failed although the store could resend: ${String(outcome)}`);
            assert.equal((outcome as { code?: string }).code, "STORAGE_FAILURE");
            assert.equal((outcome as { outcomeUnknown?: boolean }).outcomeUnknown, true);
            // The client does not know whether it happened: it retries with the same event id.
            await c.call(store, m, id, eventId);
          }
          assert.deepEqual(await state(id), c.expected(id));
          assert.equal(await eventsOf([eventId]), c.events, "exactly the call's events");
          // A further retry (a client that never saw the answer) changes nothing.
          await c.call(store, m, id, eventId);
          assert.deepEqual(await state(id), c.expected(id));
          assert.equal(await eventsOf([eventId]), c.events);
        });
      }
    }
  }

  test("afterwards the log and the tables agree exactly: a replay reproduces every row whose history is in the log", async () => {
    // Ignored actions write no event by design, so rows they touched cannot come back from the
    // log; every other row must come back byte for byte.
    const rows = async (): Promise<string[]> =>
      (await fx.db.query({
        text:
          `SELECT to_jsonb(a)::text AS row FROM ${fx.schema}.accounts AS a WHERE NOT (a.id = ANY($1::text[])) ORDER BY 1`,
        params: [[...ignoredIds]],
      })).rows.map((r) => String(r["row"]));
    const live = await rows();
    assert.ok(live.length > 20, "the matrix left rows to compare");
    const result = await replay(store);
    assert.equal(result.done, true);
    assert.deepEqual(await rows(), live);
  });
});
