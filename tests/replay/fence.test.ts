// The replay fence under fire, on real Postgres (through the neon driver and the local
// SQL-over-HTTP server, and through node-postgres): writers hammer every kind of action
// while a replay starts, runs and ends. Every write either commits before the fence and is
// replayed, or is refused with REPLAY_IN_PROGRESS having written nothing; nothing is lost or
// half written; after the replay ends (or is aborted), writes go through again.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import {
  abortReplay,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  newEventId,
  replay,
  replayStep,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";
import { rejectsWith } from "../support/store-helpers.ts";
import { mulberry32, snapshot } from "./replay-helpers.ts";

const SEED_ACCOUNTS = 6;
const WRITERS = 4;

/** What a test may do between the read and the write of `bumpAfterPause` (its `before` hook). */
interface Pause {
  between?: () => Promise<void>;
}

function model(schema: string, prefix: string, pause: Pause = {}) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events") });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), owner: v.string(), balance: v.number() }),
    actions: ({ create, update }) => ({
      open: create({ input: v.object({ id: v.string(), owner: v.string() }), defaults: { balance: 0 } }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      bump: update({ change: (record) => ({ balance: record.balance + 1 }) }),
      bumpAfterPause: update({
        change: (record) => ({ balance: record.balance + 1 }),
        before: async () => {
          await pause.between?.();
        },
      }),
    }),
  });
  return { log, Account, events: t("events"), accounts: t("accounts") };
}

type Model = ReturnType<typeof model>;

/** One write a writer attempted: its events, and what it would add to which balances. */
interface Attempt {
  readonly eventIds: readonly string[];
  readonly opens: readonly string[];
  readonly adds: Readonly<Record<string, number>>;
  outcome: "ok" | "refused" | "conflict" | "missing" | "pending";
  error?: unknown;
}

/** Writers that call actions in a loop until stopped, recording every attempt. */
function hammer(store: EventStore, m: Model, seed: number, opensOnly = false) {
  const attempts: Attempt[] = [];
  let stopped = false;
  const random = mulberry32(seed);
  const writer = async (w: number): Promise<void> => {
    const accounts = store.resource(m.Account);
    for (let i = 0; !stopped; i++) {
      const kind = opensOnly ? 0 : Math.floor(random() * 4);
      const target = `seed-${Math.floor(random() * SEED_ACCOUNTS)}`;
      const amount = 1 + Math.floor(random() * 9);
      const id = `${seed.toString(36)}-w${w}-${i}`;
      const ids = [newEventId(), newEventId()];
      let attempt: Attempt;
      let call: () => Promise<unknown>;
      if (kind === 0) {
        attempt = { eventIds: [ids[0]!], opens: [id], adds: {}, outcome: "pending" };
        call = () => accounts.open({ id, owner: `writer ${w}` }, { eventId: ids[0]! });
      } else if (kind === 1) {
        attempt = { eventIds: [ids[0]!], opens: [], adds: { [target]: amount }, outcome: "pending" };
        call = () => accounts.deposit(target, { amount }, { eventId: ids[0]! });
      } else if (kind === 2) {
        attempt = { eventIds: [ids[0]!], opens: [], adds: { [target]: 1 }, outcome: "pending" };
        call = () => accounts.bump(target, {}, { eventId: ids[0]! });
      } else {
        attempt = { eventIds: ids, opens: [id], adds: { [id]: amount }, outcome: "pending" };
        call = () =>
          store.transaction((tx) => {
            tx.resource(m.Account).open({ id, owner: `writer ${w}` }, { eventId: ids[0]! });
            tx.resource(m.Account).deposit(id, { amount }, { eventId: ids[1]! });
          });
      }
      attempts.push(attempt);
      try {
        await call();
        attempt.outcome = "ok";
      } catch (error) {
        attempt.error = error;
        if (isEdgeEventsError(error, "REPLAY_IN_PROGRESS")) attempt.outcome = "refused";
        else if (isEdgeEventsError(error, "CONFLICT")) attempt.outcome = "conflict";
        // A change-function update reads first: under the fence, its record may not be rebuilt yet.
        else if (isEdgeEventsError(error, "NOT_FOUND")) attempt.outcome = "missing";
        else throw error;
      }
    }
  };
  const running = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  return {
    attempts,
    count: (outcome: Attempt["outcome"]): number => attempts.filter((a) => a.outcome === outcome).length,
    async stop(): Promise<void> {
      stopped = true;
      await running;
    },
  };
}

describeEachExecutor("the replay fence under concurrent writers", { needs: ["concurrency"] }, (fx) => {
  let prefixes = 0;

  const fresh = async (pause?: Pause): Promise<{ m: Model; store: EventStore }> => {
    const m = model(fx.schema, `f${++prefixes}`, pause);
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account],
      replay: { clear: "tracked-tables", pageSize: 5 },
      conflictRetry: { maxAttempts: 50, baseDelayMs: 1, maxDelayMs: 20 },
    });
    await store.migrate({ resourceTables: true });
    await store.transaction((tx) => {
      for (let i = 0; i < SEED_ACCOUNTS; i++) tx.resource(m.Account).open({ id: `seed-${i}`, owner: "seed" });
    });
    return { m, store };
  };
  const until = async (condition: () => boolean): Promise<void> => {
    for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(condition(), "the writers made progress");
  };
  const eventPositions = async (m: Model): Promise<Map<string, bigint>> => {
    const rows = (await fx.db.query({ text: `SELECT id, position FROM ${m.events}`, params: [] })).rows;
    return new Map(rows.map((row) => [String(row["id"]), BigInt(row["position"] as bigint)]));
  };
  /** Balances the successful attempts add up to (seed accounts start at 0). */
  const expectedAccounts = (attempts: readonly Attempt[]): Map<string, number> => {
    const balances = new Map<string, number>();
    for (let i = 0; i < SEED_ACCOUNTS; i++) balances.set(`seed-${i}`, 0);
    for (const attempt of attempts.filter((a) => a.outcome === "ok")) {
      for (const id of attempt.opens) balances.set(id, 0);
      for (const [id, add] of Object.entries(attempt.adds)) balances.set(id, balances.get(id)! + add);
    }
    return balances;
  };
  const actualAccounts = async (m: Model): Promise<Map<string, number>> => {
    const rows = (await fx.db.query({ text: `SELECT id, balance FROM ${m.accounts}`, params: [] })).rows;
    return new Map(rows.map((row) => [String(row["id"]), Number(row["balance"])]));
  };
  /** Every attempt wrote all its events or none; refused and conflicting ones none. */
  const assertAllOrNothing = (attempts: readonly Attempt[], positions: ReadonlyMap<string, bigint>): void => {
    for (const attempt of attempts) {
      const written = attempt.eventIds.filter((id) => positions.has(id)).length;
      assert.equal(
        written,
        attempt.outcome === "ok" ? attempt.eventIds.length : 0,
        `events of an attempt that was ${attempt.outcome}`,
      );
    }
  };
  const sortedEntries = (map: Map<string, number>): [string, number][] =>
    [...map.entries()].sort(([a], [b]) => a.localeCompare(b));

  test("writes racing a replay either commit before the fence and are replayed, or are refused having written nothing", async () => {
    const { m, store } = await fresh();
    const writers = hammer(store, m, 0x5eed);
    await until(() => writers.count("ok") >= 30);

    // The fence goes up with the first step; writers keep going while the replay runs.
    let step = await replayStep(store, { budgetMs: 1 });
    const target = step.targetPosition;
    while (step.remaining > 0) {
      step = await replayStep(store, { cursor: step.replayId, budgetMs: 1 });
    }
    await until(() => writers.count("refused") >= 3 * WRITERS);
    // Stop the writers before the step that finishes, so that every write below happened under the fence.
    await writers.stop();
    const finished = await replayStep(store, { cursor: step.replayId, budgetMs: 1 });
    assert.equal(finished.done, true);

    const positions = await eventPositions(m);
    assertAllOrNothing(writers.attempts, positions);
    for (const attempt of writers.attempts.filter((a) => a.outcome === "ok")) {
      for (const id of attempt.eventIds) {
        assert.ok(positions.get(id)! <= target, "a write that succeeded committed before the fence");
      }
    }
    assert.equal(
      [...positions.values()].reduce((a, b) => (a > b ? a : b)),
      target,
      "no event was written while the fence was up",
    );
    assert.deepEqual(
      sortedEntries(await actualAccounts(m)),
      sortedEntries(expectedAccounts(writers.attempts)),
      "the replayed state holds exactly the writes that succeeded",
    );
    assert.ok(writers.count("refused") >= 3 * WRITERS);

    const afterwards = hammer(store, m, 0xaf7e2);
    await until(() => afterwards.count("ok") >= 2 * WRITERS);
    await afterwards.stop();
    assert.equal(
      afterwards.count("refused") + afterwards.count("missing"),
      0,
      "after the replay, writes go through again",
    );
  });

  test("writers hammering through a whole replay call lose nothing: live state equals a replay of the log", async () => {
    const { m, store } = await fresh();
    const writers = hammer(store, m, 0xbeef);
    await until(() => writers.count("ok") >= 20);
    const replayed = await replay(store);
    assert.equal(replayed.done, true);
    const okAtEnd = writers.count("ok");
    await until(() => writers.count("ok") >= okAtEnd + 2 * WRITERS);
    await writers.stop();

    const positions = await eventPositions(m);
    assertAllOrNothing(writers.attempts, positions);
    const live = await actualAccounts(m);
    assert.deepEqual(sortedEntries(live), sortedEntries(expectedAccounts(writers.attempts)));
    const before = await snapshot(fx.db, [m.accounts]);
    await replay(store);
    assert.deepEqual(await snapshot(fx.db, [m.accounts]), before, "a quiet replay changes nothing");
  });

  test("a change-function update cannot read a record half rebuilt by a replay, even if the replay ends before it writes", async () => {
    const pause: Pause = {};
    const { m, store } = await fresh(pause);
    const accounts = store.resource(m.Account);
    for (const amount of [10, 20, 30]) await accounts.deposit("seed-0", { amount });
    const step = await replayStep(store, { budgetMs: 1, pageSize: SEED_ACCOUNTS + 1 });
    assert.equal(step.done, false, "seed-0 is rebuilt up to its first deposit");
    let paused = false;
    pause.between = async () => {
      paused = true;
      // Finish the replay between the read and the write: the record's last event is
      // unchanged (replay writes none), so only the fenced read stands in the way.
      let next = step;
      while (!next.done) next = await replayStep(store, { cursor: step.replayId, budgetMs: 1_000 });
    };

    await rejectsWith(accounts.bumpAfterPause("seed-0"), "REPLAY_IN_PROGRESS");
    assert.equal(paused, false, "refused at the read");
    let next = step;
    while (!next.done) next = await replayStep(store, { cursor: step.replayId, budgetMs: 1_000 });
    assert.equal((await actualAccounts(m)).get("seed-0"), 60);
    delete pause.between;
    const bumped = await accounts.bumpAfterPause("seed-0");
    assert.equal(bumped.record.balance, 61);
  });

  test("after abortReplay() the fence is lifted and writes go through again", async () => {
    const { m, store } = await fresh();
    const writers = hammer(store, m, 0xab07, true);
    await until(() => writers.count("ok") >= 10);
    const step = await replayStep(store, { budgetMs: 1 });
    assert.equal(step.done, false);
    await until(() => writers.count("refused") >= 2 * WRITERS);
    assert.equal(await abortReplay(store), true);
    const startedAfterAbort = writers.attempts.length;
    await until(() =>
      writers.attempts.slice(startedAfterAbort).filter((a) => a.outcome === "ok").length >= 2 * WRITERS
    );
    await writers.stop();
    assert.deepEqual(
      new Set(writers.attempts.slice(startedAfterAbort).map((a) => a.outcome)),
      new Set(["ok"]),
      "every write sent after the abort goes through",
    );

    assertAllOrNothing(writers.attempts, await eventPositions(m));
    await replay(store);
    assert.deepEqual(sortedEntries(await actualAccounts(m)), sortedEntries(expectedAccounts(writers.attempts)));
  });
});
