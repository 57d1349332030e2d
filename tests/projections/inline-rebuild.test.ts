// Rebuilding an inline projection while actions write: every event reaches the read model
// exactly once, in order.
//
// The bad interleavings (found by the issue 10 review, fixed here):
// 1. A write whose inline statements run after the rebuild's reset cleared the read model, and
//    whose event the rebuild then projects again: applied twice (and, for an update of a row the
//    rebuild has not re-created yet, once to nothing).
// 2. A write in flight when the rebuild starts: it began before the reset, then its event and its
//    inline statements land after the reset cleared the model, and the rebuild projects its
//    event again.
//
// The gates are deterministic: (1) the rebuild's executor pauses before its first feed read,
// after its reset committed; (2) a trigger on the log makes the write's event insert wait
// for a session advisory lock the test holds, and the test sees the writer (and the rebuild)
// waiting in pg_locks before it lets either go. A randomized run beside them: writers and
// rebuilds at random moments, the read model exact at the end.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { type EventStore, isEdgeEventsError, project, projectionStatus, rebuildProjection } from "../../mod.ts";
import type { SqlStatement } from "../../src/core/executor.ts";
import { fenceLockKey } from "../../src/sql/write-prelude.ts";
import { databaseUrl } from "../support/database.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { gatedExecutor, interceptedExecutor } from "../replay/gated-executor.ts";
import {
  createReadModel,
  expectedTotals,
  type ProjectionModel,
  projectionModel,
  readModel,
  storeOf,
  totalsProjection,
  writeEvents,
} from "./projection-model.ts";

const WAIT_LIMIT_MS = 60_000;
const GATE_CLASS = 0x696e6c;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
// The feed read of `project()`: the log in feed order.
const isFeedRead = (statements: readonly SqlStatement[]): boolean =>
  statements.some((s) => s.text.startsWith("SELECT * FROM ") && s.text.includes(`ORDER BY "tx_id", "position"`));

/** A session of the test's own: holds gates and watches pg_locks. */
async function monitor(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  return client;
}

/** Resolve once a transaction waits for the advisory lock (a, b) of the two-int form. */
async function waiterOn(client: pg.Client, a: number, b: number, failed: () => unknown): Promise<void> {
  for (const deadline = Date.now() + WAIT_LIMIT_MS;;) {
    if (failed() !== undefined) throw failed();
    if (Date.now() > deadline) throw new Error(`nothing waited for lock (${a}, ${b})`);
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted " +
        "AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 " +
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      [a, b],
    );
    if (rows[0].n > 0) return;
    await pause(5);
  }
}

/** Remember a promise's failure without handling it for good. */
function watch(promise: Promise<unknown>): () => unknown {
  let failed: unknown;
  promise.catch((error) => (failed = error ?? new Error("failed")));
  return () => failed;
}

describeEachExecutor("rebuilding an inline projection while actions write", { needs: ["concurrency"] }, (fx) => {
  let prefixes = 0;
  let gates: pg.Client;
  before(async () => {
    gates = await monitor();
  });
  after(async () => {
    await gates?.end();
  });

  const fresh = async (): Promise<{ m: ProjectionModel; store: EventStore; name: string }> => {
    const m = projectionModel(fx.schema, `ir${++prefixes}`);
    const name = `inline-${prefixes}`;
    const store = storeOf(fx.db, m, [totalsProjection(name, m.totals, m.applied, { inline: true }) as never]);
    await store.migrate({ resourceTables: true });
    await createReadModel(fx.db, m.totals, m.applied);
    return { m, store, name };
  };

  test("a write during the rebuild is refused with PROJECTION_REBUILDING and writes nothing; after it, writes go inline", async () => {
    const { m, store, name } = await fresh();
    await writeEvents(store, m, "a", 2, 4); // 6 events, applied inline
    const inline = totalsProjection(name, m.totals, m.applied, { inline: true });
    const { db: paused, gate } = gatedExecutor(fx.db, isFeedRead);
    const rebuilding = rebuildProjection({ ...store, db: paused } as EventStore, inline);
    const rebuildFailed = watch(rebuilding);
    await gate.reached; // the reset committed: the model is empty, the checkpoint at the start
    assert.equal(rebuildFailed(), undefined);
    const status = await projectionStatus(store, inline);
    assert.equal(status.rebuilding, true);
    const refused = await store.resource(m.Account).deposit("a0", { amount: 100 }).catch((e: unknown) => e);
    assert.ok(isEdgeEventsError(refused, "PROJECTION_REBUILDING"), String(refused));
    assert.deepEqual(refused.projections, [name]);
    assert.equal((await store.readEvents({ resource: "account" })).length, 6, "the refused write left no event");
    // Writes of events the projection does not handle go on.
    await store.resource(m.Account).rename("a1", { owner: "renamed" });
    gate.release();
    const result = await rebuilding;
    assert.deepEqual([result.events, result.caughtUp], [7, true]);
    assert.equal((await projectionStatus(store, inline)).rebuilding, false);
    await store.resource(m.Account).deposit("a0", { amount: 5 }); // inline again
    const model = await readModel(fx.db, m.totals, m.applied, name);
    const expected = expectedTotals("a", 2, 4);
    expected[0] = {
      ...expected[0]!,
      deposits: Number(expected[0]!["deposits"]) + 1,
      total: String(Number(expected[0]!["total"]) + 5),
    };
    assert.deepEqual(model, { applications: 7, distinct: 7, totals: expected });
  });

  test("a write in flight when the rebuild starts commits before the reset, and its event is applied once", async () => {
    const { m, store, name } = await fresh();
    await writeEvents(store, m, "b", 2, 2); // 4 events
    const gate = 0x7a11;
    // The gate: the writer's event insert waits (a trigger on the log), before it holds any lock
    // of the read model.
    const events = m.log.table.sql;
    const fn = `${fx.schema}.ir_gate_${prefixes}`;
    await fx.db.batch([
      {
        text: `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN ` +
          `PERFORM pg_advisory_xact_lock_shared(${GATE_CLASS}, ${gate}); RETURN NEW; END $fn$`,
        params: [],
      },
      {
        text: `CREATE TRIGGER gate BEFORE INSERT ON ${events} FOR EACH ROW ` +
          `WHEN (NEW.record_id = 'b1' AND NEW.action = 'deposit') EXECUTE FUNCTION ${fn}()`,
        params: [],
      },
    ]);
    await gates.query("SELECT pg_advisory_lock($1::int, $2::int)", [GATE_CLASS, gate]);
    let held = true;
    try {
      // The writer holds its write locks and waits at the gate, before its event and its inline statements.
      const writing = store.resource(m.Account).deposit("b1", { amount: 10 });
      const writeFailed = watch(writing);
      await waiterOn(gates, GATE_CLASS, gate, writeFailed);
      // The rebuild starts; its feed reads pause after the reset, whenever the reset commits.
      const { db: paused, gate: readGate } = gatedExecutor(fx.db, isFeedRead);
      const inline = totalsProjection(name, m.totals, m.applied, { inline: true });
      const rebuilding = rebuildProjection({ ...store, db: paused } as EventStore, inline);
      const rebuildFailed = watch(rebuilding);
      // Either the reset waits for the writer (the fence), or it committed and the rebuild
      // reached its first feed read: let the writer finish only then, so that the race happens.
      const [fenceA, fenceB] = fenceLockKey(m.log);
      await Promise.race([readGate.reached, waiterOn(gates, fenceA, fenceB, rebuildFailed)]);
      await gates.query("SELECT pg_advisory_unlock($1::int, $2::int)", [GATE_CLASS, gate]);
      held = false;
      await writing;
      await readGate.reached;
      readGate.release();
      await rebuilding;
    } finally {
      if (held) await gates.query("SELECT pg_advisory_unlock($1::int, $2::int)", [GATE_CLASS, gate]);
    }
    const model = await readModel(fx.db, m.totals, m.applied, name);
    const expected = expectedTotals("b", 2, 2);
    expected[1] = {
      ...expected[1]!,
      deposits: Number(expected[1]!["deposits"]) + 1,
      total: String(Number(expected[1]!["total"]) + 10),
    };
    assert.deepEqual(model, { applications: 5, distinct: 5, totals: expected });
  });

  test("a rebuild stopped half way keeps its events' writes fenced; project() finishes it, then writes go inline", async () => {
    const { m, store, name } = await fresh();
    await writeEvents(store, m, "c", 2, 6); // 8 events
    const inline = totalsProjection(name, m.totals, m.applied, { inline: true });
    const stopped = await rebuildProjection(store, inline, { batchSize: 3, maxBatches: 1 });
    assert.deepEqual([stopped.events, stopped.caughtUp], [3, false]);
    const refused = await store.resource(m.Account).deposit("c0", { amount: 1 }).catch((e: unknown) => e);
    assert.ok(isEdgeEventsError(refused, "PROJECTION_REBUILDING"));
    const rest = await project(store, inline, { batchSize: 3 });
    assert.deepEqual([rest.events, rest.caughtUp], [5, true]);
    assert.equal((await projectionStatus(store, inline)).rebuilding, false);
    // A live inline projection is kept by the write path: project() has nothing to do.
    const idle = await project(store, inline);
    assert.deepEqual([idle.events, idle.batches, idle.caughtUp], [0, 0, true]);
    await store.resource(m.Account).deposit("c0", { amount: 1 });
    const model = await readModel(fx.db, m.totals, m.applied, name);
    assert.deepEqual([model.applications, model.distinct], [9, 9]);
    assert.equal((await projectionStatus(store, inline)).lag, 0n, "an inline projection does not lag");
  });

  test("randomized: writers and rebuilds at random moments leave every handled event applied exactly once", async () => {
    const { m, store, name } = await fresh();
    await writeEvents(store, m, "r", 4, 0);
    const inline = totalsProjection(name, m.totals, m.applied, { inline: true });
    let seed = 0x5eed;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const jittered = interceptedExecutor(fx.db, async () => {
      if (next() < 0.3) await pause(Math.floor(next() * 4));
    });
    const jitterStore = { ...store, db: jittered } as EventStore;
    const writes = Number(process.env["EDGE_EVENTS_STRESS"] === "full" ? 400 : 40);
    let committed = 0;
    const writer = async (w: number): Promise<void> => {
      for (let i = w; i < writes; i += 4) {
        for (;;) {
          try {
            await jitterStore.resource(m.Account).deposit(`r${i % 4}`, { amount: 1 });
            committed++;
            break;
          } catch (error) {
            if (!isEdgeEventsError(error, "PROJECTION_REBUILDING")) throw error;
            await pause(1 + Math.floor(next() * 3));
          }
        }
      }
    };
    const rebuilder = async (): Promise<void> => {
      for (let r = 0; r < 3; r++) {
        await pause(Math.floor(next() * 20));
        for (;;) {
          try {
            await rebuildProjection(jitterStore, inline, { batchSize: 7 });
            break;
          } catch (error) {
            if (!isEdgeEventsError(error, "PROJECTION_CONFLICT")) throw error;
          }
        }
      }
    };
    await Promise.all([writer(0), writer(1), writer(2), writer(3), rebuilder()]);
    assert.equal(committed, writes);
    const model = await readModel(fx.db, m.totals, m.applied, name);
    assert.equal(model.applications, 4 + writes);
    assert.equal(model.distinct, 4 + writes);
    const sum = model.totals.reduce((s, row) => s + Number(row["total"]), 0);
    assert.equal(sum, writes);
  });
});
