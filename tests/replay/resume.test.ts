// Interrupted replays through the real neon driver and the local SQL-over-HTTP server: a
// page batch whose response is lost after its commit, a page batch refused before it runs,
// an AbortSignal, bounded steps with a 1 ms budget, and two resumes racing for one page.
// Each ends, after resuming, in exactly the state of an uninterrupted replay.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
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
import { describeEachExecutor } from "../support/each-executor.ts";
import { DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";
import type { ReplayResult } from "../../src/replay/replay-types.ts";
import { replayStatuses, settle, type Snapshot, snapshot, tickingClock } from "./replay-helpers.ts";
import { gatedExecutor } from "./gated-executor.ts";
import type { SqlStatement } from "../../src/core/executor.ts";

const PAGE = 5;

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
      updatedAt: v.optional(v.date()),
      closedAt: v.optional(v.nullable(v.date())),
    }),
    timestamps: { updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ id: v.string(), owner: v.string() }), defaults: { balance: 0 } }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      close: destroy({ soft: "closedAt" }),
      remove: destroy(),
    }),
  });
  return {
    log,
    Account,
    events: t("events"),
    replayTable: t("events_replay"),
    replayName: `${prefix}_events_replay`,
    tables: [t("accounts")],
  };
}

type Model = ReturnType<typeof model>;

/** The same history of 43 events in every log: creates, updates of every kind, destroys. */
async function history(store: EventStore, m: Model): Promise<void> {
  const ids: string[] = [];
  await store.transaction((tx) => {
    for (let i = 0; i < 12; i++) {
      ids.push(tx.resource(m.Account).open({ id: `acc-${String(i).padStart(2, "0")}`, owner: `owner ${i}` }).recordId);
    }
  });
  await store.transaction((tx) => {
    for (const [i, id] of ids.entries()) tx.resource(m.Account).deposit(id, { amount: i * 10 });
  });
  await store.transaction((tx) => {
    for (const [i, id] of ids.entries()) tx.resource(m.Account).rename(id, { owner: `renamed ${i}` });
  });
  await store.transaction((tx) => {
    for (const id of ids.slice(0, 3)) tx.resource(m.Account).close(id);
    for (const id of ids.slice(3, 6)) tx.resource(m.Account).remove(id);
    tx.resource(m.Account).deposit(ids[11]!, { amount: 0.5 });
  });
}

describeEachExecutor("interrupted replays", { needs: ["http-faults"] }, (fx) => {
  let prefixes = 0;
  let reference: string[];

  const fresh = async (): Promise<{ m: Model; store: EventStore; events: number }> => {
    const m = model(fx.schema, `s${++prefixes}`);
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account],
      clock: tickingClock(),
      replay: { clear: "tracked-tables", pageSize: PAGE },
    });
    await store.migrate({ resourceTables: true });
    await history(store, m);
    return { m, store, events: await countRows(fx.db, m.events) };
  };
  /** The accounts, with the table name taken out so that runs in different tables compare. */
  const accounts = async (m: Model): Promise<string[]> => {
    const shot: Snapshot = await snapshot(fx.db, m.tables);
    return shot[m.tables[0]!]!;
  };
  /** Whether a request is a batch that moves this log's checkpoint (a page, or one event of it). */
  const isPageBatch = (m: Model, body: unknown): boolean => {
    const queries = (body as { queries?: { query?: string }[] }).queries;
    return Array.isArray(queries) &&
      queries.some((q) =>
        typeof q.query === "string" && q.query.includes("WITH moved AS") && q.query.includes(fx.schema) &&
        q.query.includes(m.replayName)
      );
  };
  /** Match the Nth page batch of this log's replay (the batch that moves its checkpoint). */
  const nthPageBatch = (m: Model, n: number): (body: unknown) => boolean => {
    let seen = 0;
    return (body) => {
      return isPageBatch(m, body) && ++seen === n;
    };
  };
  const checkpoint = async (m: Model): Promise<{ status: string; lastPosition: bigint; applied: number }> => {
    const row = (await fx.db.query({
      text: `SELECT status, last_position, applied FROM ${m.replayTable} ORDER BY started_at DESC LIMIT 1`,
      params: [],
    })).rows[0]!;
    return {
      status: String(row["status"]),
      lastPosition: BigInt(row["last_position"] as bigint),
      applied: Number(row["applied"]),
    };
  };

  before(async () => {
    // The reference: an uninterrupted replay of the same history.
    const { m, store, events } = await fresh();
    const live = await accounts(m);
    const result = await replay(store);
    assert.equal(result.applied, events);
    reference = await accounts(m);
    assert.deepEqual(reference, live);
  });
  after(() => {
    fx.server?.faults.clear();
  });

  test("a page batch whose response is lost after its commit fails the call; resume finishes from the checkpoint", async () => {
    const { m, store, events } = await fresh();
    fx.server!.faults.once("drop-after-commit", { match: nthPageBatch(m, 3) });

    const { error } = await settle(replay(store));
    // Node and Bun report the lost answer (outcome unknown). Deno's fetch silently sends the
    // POST again on a fresh connection: the resent page is refused by the checkpoint it
    // already moved, and no event is blamed for it.
    const lost = isEdgeEventsError(error, "STORAGE_FAILURE") && error.outcomeUnknown;
    const resent = isEdgeEventsError(error, "REPLAY_CONFLICT");
    assert.ok(lost || resent, `the call fails without blaming an event, got ${String(error)}`);
    assert.deepEqual(
      await checkpoint(m),
      { status: "running", lastPosition: BigInt(3 * PAGE), applied: 3 * PAGE },
      "page 3 committed",
    );
    await rejectsWith(store.resource(m.Account).open({ id: "refused", owner: "refused" }), "REPLAY_IN_PROGRESS");

    const resumed = await replay(store, { resume: true });
    assert.equal(resumed.done, true);
    assert.equal(resumed.applied, events);
    assert.equal(resumed.pages, Math.ceil(events / PAGE) - 3);
    assert.deepEqual(await accounts(m), reference);
  });

  test("a page batch refused before it runs fails the call without blaming an event; resume finishes", async () => {
    const { m, store, events } = await fresh();
    fx.server!.faults.once("fail-before-execution", { match: nthPageBatch(m, 2) });

    const error = await settle(replay(store));
    assert.ok(isEdgeEventsError(error.error, "STORAGE_FAILURE"), `a storage failure, got ${String(error.error)}`);
    assert.deepEqual(await checkpoint(m), { status: "running", lastPosition: BigInt(PAGE), applied: PAGE });

    const resumed = await replay(store, { resume: true });
    assert.equal(resumed.done, true);
    assert.equal(resumed.applied, events);
    assert.deepEqual(await accounts(m), reference);
  });

  test('with onError: "skip", a network failure is never mistaken for an event that cannot be applied', async () => {
    const { m, store, events } = await fresh();
    // The second and third checkpoint batches are refused: a page, then whatever comes next.
    let seen = 0;
    fx.server!.faults.once("fail-before-execution", { match: (body) => isPageBatch(m, body) && ++seen >= 2, times: 2 });

    let result: ReplayResult | undefined;
    let failures = 0;
    for (let call = 0; call < 4 && result === undefined; call++) {
      const outcome = await settle(call === 0 ? replay(store, { onError: "skip" }) : replay(store, { resume: true }));
      if (outcome.error === undefined) result = outcome.value;
      else {
        assert.ok(
          isEdgeEventsError(outcome.error, "STORAGE_FAILURE"),
          `a storage failure, got ${String(outcome.error)}`,
        );
        failures++;
      }
    }
    assert.ok(result !== undefined);
    assert.equal(failures, 2, "each refused batch failed its call");
    assert.equal(result.skipped, 0);
    assert.deepEqual(result.skippedEvents, []);
    assert.equal(result.applied, events);
    assert.deepEqual(await accounts(m), reference);
  });

  test("an AbortSignal stops at a page boundary with the fence up; resume finishes", async () => {
    const { m, store, events } = await fresh();
    const controller = new AbortController();
    let pages = 0;
    const stopped = await replay(store, {
      signal: controller.signal,
      onProgress: () => {
        if (++pages === 2) controller.abort();
      },
    });
    assert.equal(stopped.done, false);
    assert.equal(stopped.pages, 2);
    assert.equal(stopped.lastPosition, BigInt(2 * PAGE));
    assert.equal(stopped.remaining, events - 2 * PAGE);
    assert.deepEqual(await replayStatuses(fx.db, m.replayTable), { running: 1 });
    await rejectsWith(store.resource(m.Account).open({ id: "refused", owner: "refused" }), "REPLAY_IN_PROGRESS");

    const resumed = await replay(store, { resume: true });
    assert.equal(resumed.replayId, stopped.replayId);
    assert.equal(resumed.done, true);
    assert.deepEqual(await accounts(m), reference);
  });

  test("replayStep with a 1 ms budget does one page per call, returns the same cursor, and reaches the same state", async () => {
    const { m, store, events } = await fresh();
    const first = await replayStep(store, { budgetMs: 1 });
    assert.equal(first.done, false);
    assert.equal(first.pages, 1);
    let cursor = first.replayId;
    let steps = 1;
    let last = first;
    while (!last.done) {
      await rejectsWith(store.resource(m.Account).open({ id: "refused", owner: "refused" }), "REPLAY_IN_PROGRESS");
      last = await replayStep(store, { cursor, budgetMs: 1 });
      assert.equal(last.replayId, cursor);
      assert.ok(last.pages <= 1);
      cursor = last.replayId;
      steps++;
      assert.ok(steps <= events, "steps end");
    }
    assert.equal(steps, Math.ceil(events / PAGE) + 1, "one step per page, and one that finds no page and finishes");
    assert.equal(last.applied, events);
    assert.deepEqual(await accounts(m), reference);
    await rejectsWith(replayStep(store, { cursor, budgetMs: 1 }), "REPLAY_FAILED");
    await store.resource(m.Account).open({ id: "later", owner: "writable again" });
  });

  test("two resumes racing from one checkpoint never both apply a page: one fails with REPLAY_CONFLICT", async () => {
    const { m, store, events } = await fresh();
    fx.server!.faults.once("drop-after-commit", { match: nthPageBatch(m, 2) });
    await settle(replay(store));
    assert.equal((await checkpoint(m)).lastPosition, BigInt(2 * PAGE));
    // Forced, not hoped for: the first resumer loads the checkpoint, then waits at the gate
    // before its first page batch; the second loads the same checkpoint and runs to the end;
    // then the first sends its page, from a checkpoint that has moved. (Without the gate one
    // resume could finish before the other started, and that one would find no replay.)
    const isPage = (statements: readonly SqlStatement[]): boolean =>
      statements.some((q) => q.text.includes("WITH moved AS") && q.text.includes(m.replayName));
    const gated = gatedExecutor(fx.db, isPage);
    const first = createEventStore({
      db: gated.db,
      log: m.log,
      resources: [m.Account],
      replay: { clear: "tracked-tables", pageSize: PAGE },
    });
    const other = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account],
      replay: { clear: "tracked-tables", pageSize: PAGE },
    });

    const firstOutcome = settle(replay(first, { resume: true }));
    await gated.gate.reached;
    const otherOutcome = await settle(replay(other, { resume: true }));
    gated.gate.release();
    const outcomes = [await firstOutcome, otherOutcome];
    assert.equal(
      outcomes[0]!.error !== undefined,
      true,
      "the gated resumer, whose checkpoint moved while it waited, is the one that fails",
    );

    const failed = outcomes.filter((o) => o.error !== undefined);
    assert.equal(failed.length, 1, `exactly one resume fails: ${failed.map((f) => String(f.error)).join("; ")}`);
    assert.ok(
      isEdgeEventsError(failed[0]!.error, "REPLAY_CONFLICT"),
      `a ReplayConflictError, got ${String(failed[0]!.error)}`,
    );
    assert.equal(
      failed[0]!.error.replayId,
      outcomes.find((o) => o.error === undefined)!.value!.replayId,
      "it names the replay it lost",
    );
    assert.deepEqual(
      await checkpoint(m),
      { status: "completed", lastPosition: BigInt(events), applied: events },
      "each event counted once",
    );
    assert.deepEqual(await accounts(m), reference);
  });
});
