// Resumers racing for one replay at checkpoint 0, on real Postgres (through the neon driver
// and the local server, and through node-postgres). A resumer at checkpoint 0 clears the
// tables again; its clear must never run once another resumer's page committed, nor after
// the replay finished: the clearing request holds the replay's row and checks its state in the
// same transaction. The gated tests pause one resumer's clearing request while another clears,
// rebuilds (part of the way, or all of it) and completes; then a bounded randomized run of
// several resumers at once. Both clear strategies: "tracked-tables" and a clear function (also
// one that swallows the refusal of its own statement).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  replay,
  replayStep,
} from "../../mod.ts";
import type { Executor, SqlStatement } from "../../src/core/executor.ts";
import type { ReplayClear } from "../../src/replay/replay-types.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";
import { gatedExecutor, jitteredExecutor } from "./gated-executor.ts";
import { mulberry32, replayStatuses, settle, snapshot, tickingClock } from "./replay-helpers.ts";

const PAGE = 5;
/** A clear function that swallows its own failures must not make a lost race look won either. */
const STRATEGIES = ["tracked-tables", "function", "function that swallows errors"] as const;
type Strategy = typeof STRATEGIES[number];

function model(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events") });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({
      id: v.string(),
      owner: v.string(),
      balance: v.number(),
      closedAt: v.optional(v.nullable(v.date())),
    }),
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ id: v.string(), owner: v.string() }), defaults: { balance: 0 } }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      close: destroy({ soft: "closedAt" }),
      remove: destroy(),
    }),
  });
  return { log, Account, prefix, events: t("events"), accounts: t("accounts"), replayTable: t("events_replay") };
}

type Model = ReturnType<typeof model>;

/** 42 events: opens, deposits, renames, soft and hard destroys. */
async function history(store: EventStore, m: Model): Promise<void> {
  const ids = Array.from({ length: 12 }, (_, i) => `acc-${String(i).padStart(2, "0")}`);
  await store.transaction((tx) => {
    for (const [i, id] of ids.entries()) tx.resource(m.Account).open({ id, owner: `owner ${i}` });
  });
  await store.transaction((tx) => {
    for (const [i, id] of ids.entries()) tx.resource(m.Account).deposit(id, { amount: i * 10 + 1 });
  });
  await store.transaction((tx) => {
    for (const [i, id] of ids.entries()) tx.resource(m.Account).rename(id, { owner: `renamed ${i}` });
  });
  await store.transaction((tx) => {
    for (const id of ids.slice(0, 3)) tx.resource(m.Account).close(id);
    for (const id of ids.slice(3, 6)) tx.resource(m.Account).remove(id);
  });
}

/** Whether a request clears this model's table (the tracked-tables batch, or a clear function's statement). */
function clears(m: Model): (statements: readonly SqlStatement[]) => boolean {
  return (statements) =>
    statements.some((s) => s.text.startsWith("DELETE FROM") && s.text.includes(`${m.prefix}_accounts`));
}

describeEachExecutor("resumers racing at checkpoint 0", { needs: ["concurrency"] }, (fx) => {
  let prefixes = 0;

  const clearOf = (m: Model, strategy: Strategy): ReplayClear =>
    strategy === "tracked-tables" ? "tracked-tables" : async ({ db }) => {
      const deleting = db.query({ text: `DELETE FROM ${m.accounts}`, params: [] });
      await (strategy === "function" ? deleting : deleting.catch(() => undefined));
    };
  const storeOn = (db: Executor, m: Model, strategy: Strategy): EventStore =>
    createEventStore({
      db,
      log: m.log,
      resources: [m.Account],
      replay: { clear: clearOf(m, strategy), pageSize: PAGE },
    });
  /** A log with its history, its live accounts, and a replay left running at checkpoint 0 (started, cleared, no page). */
  const atCheckpointZero = async (
    strategy: Strategy,
  ): Promise<{ m: Model; live: string[]; events: number; replayId: string }> => {
    const m = model(fx.schema, `c${++prefixes}`);
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account],
      clock: tickingClock(),
      replay: { clear: clearOf(m, strategy), pageSize: PAGE },
    });
    await store.migrate({ resourceTables: true });
    await history(store, m);
    const live = (await snapshot(fx.db, [m.accounts]))[m.accounts]!;
    const started = await replay(store, { signal: AbortSignal.abort() });
    assert.equal(started.done, false);
    assert.equal(started.lastPosition, 0n);
    assert.equal(await countRows(fx.db, m.accounts), 0, "the start cleared the table");
    return { m, live, events: await countRows(fx.db, m.events), replayId: started.replayId };
  };
  const accounts = async (m: Model): Promise<string[]> => (await snapshot(fx.db, [m.accounts]))[m.accounts]!;
  const replayRow = async (m: Model): Promise<{ status: string; lastPosition: bigint; applied: number }> => {
    const row = (await fx.db.query({ text: `SELECT status, last_position, applied FROM ${m.replayTable}`, params: [] }))
      .rows[0]!;
    return {
      status: String(row["status"]),
      lastPosition: BigInt(row["last_position"] as bigint),
      applied: Number(row["applied"]),
    };
  };

  for (const strategy of STRATEGIES) {
    test(`[${strategy}] a resumer whose clear is held up while another resumes and completes fails with REPLAY_CONFLICT and wipes nothing`, async () => {
      const { m, live, events, replayId } = await atCheckpointZero(strategy);
      const { db: slow, gate } = gatedExecutor(fx.db, clears(m));
      const resumerA = replay(storeOn(slow, m, strategy), { resume: true });
      resumerA.catch(() => undefined);
      await gate.reached;

      const b = await replay(storeOn(fx.db, m, strategy), { resume: true });
      assert.equal(b.done, true);
      assert.equal(b.applied, events);
      assert.deepEqual(await accounts(m), live, "B rebuilt the live state");

      gate.release();
      const a = await settle(resumerA);
      assert.deepEqual(await accounts(m), live, "the rebuilt rows are all still there");
      assert.deepEqual(await replayRow(m), { status: "completed", lastPosition: BigInt(events), applied: events });
      assert.ok(
        isEdgeEventsError(a.error, "REPLAY_CONFLICT"),
        `A fails with REPLAY_CONFLICT, got ${String(a.error ?? "a result")}`,
      );
      assert.equal(a.error.replayId, replayId);
      assert.deepEqual(await replayStatuses(fx.db, m.replayTable), { completed: 1 });
    });

    test(`[${strategy}] a resumer whose clear is held up while another is mid-way fails with REPLAY_CONFLICT; the other finishes`, async () => {
      const { m, live, events, replayId } = await atCheckpointZero(strategy);
      const { db: slow, gate } = gatedExecutor(fx.db, clears(m));
      const resumerA = replay(storeOn(slow, m, strategy), { resume: true });
      resumerA.catch(() => undefined);
      await gate.reached;

      const storeB = storeOn(fx.db, m, strategy);
      let step = await replayStep(storeB, { cursor: replayId, budgetMs: 1 });
      step = await replayStep(storeB, { cursor: replayId, budgetMs: 1 });
      assert.equal(step.lastPosition, BigInt(2 * PAGE));
      const midway = await accounts(m);
      assert.ok(midway.length > 0);

      gate.release();
      const a = await settle(resumerA);
      assert.deepEqual(await accounts(m), midway, "B's two pages are all still there");
      assert.deepEqual(await replayRow(m), { status: "running", lastPosition: BigInt(2 * PAGE), applied: 2 * PAGE });
      assert.ok(
        isEdgeEventsError(a.error, "REPLAY_CONFLICT"),
        `A fails with REPLAY_CONFLICT, got ${String(a.error ?? "a result")}`,
      );
      await rejectsWith(storeB.resource(m.Account).open({ id: "refused", owner: "refused" }), "REPLAY_IN_PROGRESS");

      while (!step.done) step = await replayStep(storeB, { cursor: replayId, budgetMs: 1 });
      assert.equal(step.applied, events);
      assert.deepEqual(await accounts(m), live);
      assert.deepEqual(await replayRow(m), { status: "completed", lastPosition: BigInt(events), applied: events });
    });
  }

  test("several resumers at once, with random delays before each request: one completes, the others lose, the live state is rebuilt", async () => {
    const seed = Number(process.env["SEED"] ?? 20261129);
    for (let round = 0; round < 6; round++) {
      const strategy = STRATEGIES[round % STRATEGIES.length]!;
      const { m, live, events } = await atCheckpointZero(strategy);
      const random = mulberry32(seed + round);
      const resumers = Array.from({ length: 4 }, () => storeOn(jitteredExecutor(fx.db, random, 3), m, strategy));

      const outcomes = await Promise.all(resumers.map((store) => settle(replay(store, { resume: true }))));

      const why = `round ${round} (${strategy}, SEED=${seed}): ${
        outcomes.map((o) => String(o.error ?? "done")).join("; ")
      }`;
      assert.deepEqual(await accounts(m), live, `the live state is rebuilt: ${why}`);
      assert.deepEqual(await replayRow(m), { status: "completed", lastPosition: BigInt(events), applied: events }, why);
      assert.equal(outcomes.filter((o) => o.error === undefined).length, 1, `exactly one resumer completes: ${why}`);
      for (const { error } of outcomes.filter((o) => o.error !== undefined)) {
        // A resumer that lost the race; or one that only looked after the replay had completed.
        const lost = isEdgeEventsError(error, "REPLAY_CONFLICT");
        const late = isEdgeEventsError(error, "REPLAY_FAILED") && error.eventId === undefined &&
          /No replay is running/.test(error.message);
        assert.ok(lost || late, `every other resumer lost the race: ${why}`);
      }
    }
  });
});
