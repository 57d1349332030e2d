// Time order agrees with position order within a lock scope: the batch's stamp is fixed under
// the write locks (the store's clock, never earlier than the latest occurred_at of the log),
// so a call planned early but committed late cannot carry an older time than an event before
// it; the record's timestamps and the timestamps pinned in `changes` equal its occurred_at;
// and a time-bounded replay rebuilds the state after a prefix of the log.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type LockOption,
  replay,
  type StoredEvent,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import type { ExecutorFixture } from "../support/executors.ts";
import { prefixedTables, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { eventRows } from "../support/store-helpers.ts";

const SLOW = { timeout: 120_000 };
const T0 = Date.UTC(2025, 0, 1, 12);

/** A gate: `wait()` resolves once `open()` was called; `entered` resolves when someone waits. */
function gate(): { wait: () => Promise<void>; open: () => void; entered: Promise<void> } {
  let open!: () => void;
  let enter!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const entered = new Promise<void>((resolve) => (enter = resolve));
  return { wait: () => (enter(), opened), open, entered };
}

/** A clock the test moves: each call returns the current value, then steps it by `step` ms. */
function steppingClock(step = 1_000): { clock: () => Date; set: (ms: number) => void } {
  let next = T0;
  return { clock: () => new Date((next += step) - step), set: (ms) => (next = ms) };
}

interface Hold {
  gate: ReturnType<typeof gate> | undefined;
  attempts: number;
}

function model(schema: string, prefix: string, lock: LockOption, hold: Hold) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events"), lock });
  const Doc = defineResource({
    name: "doc",
    table: t("docs"),
    tenant: "orgId",
    attributes: v.object({
      id: v.string(),
      orgId: v.string(),
      title: v.string(),
      label: v.string(),
      ...TIMESTAMP_ENTRIES,
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ title: v.string(), label: v.string() }) }),
      // The slow update: its before hook waits on the test's gate (once).
      retitle: update({
        input: v.object({ title: v.string() }),
        before: async (attributes) => {
          const g = hold.gate;
          hold.gate = undefined;
          await g?.wait();
          return attributes;
        },
      }),
      relabel: update({ input: v.object({ label: v.string() }) }),
      // A change-function update whose first attempt waits on the gate, so that it conflicts.
      bump: update({
        change: (doc) => ({ label: `${doc.label}+` }),
        before: async (attributes) => {
          hold.attempts++;
          const g = hold.gate;
          hold.gate = undefined;
          await g?.wait();
          return attributes;
        },
      }),
      close: destroy({ soft: "deletedAt" }),
    }),
  });
  return { log, Doc, docs: t("docs"), events: t("events") };
}

type Model = ReturnType<typeof model>;

interface State {
  title: string;
  label: string;
  updatedAt: string | undefined;
}

async function docState(fx: ExecutorFixture, m: Model, id: string): Promise<State | undefined> {
  const row =
    (await fx.db.query({ text: `SELECT title, label, updated_at FROM ${m.docs} WHERE id = $1`, params: [id] })).rows[0];
  if (row === undefined) return undefined;
  return {
    title: String(row["title"]),
    label: String(row["label"]),
    updatedAt: (row["updated_at"] as Date | null)?.toISOString(),
  };
}

function stateOf(record: Record<string, unknown>): State {
  return {
    title: String(record["title"]),
    label: String(record["label"]),
    updatedAt: (record["updatedAt"] as Date | undefined)?.toISOString(),
  };
}

/** occurred_at never decreases in position order, among the rows given. */
function assertNonDecreasing(rows: readonly Record<string, unknown>[], what: string): void {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!];
    assert.ok(
      (a["occurred_at"] as Date).getTime() <= (b["occurred_at"] as Date).getTime(),
      `${what}: position ${String(b["position"])} occurred at ${
        (b["occurred_at"] as Date).toISOString()
      }, before position ${String(a["position"])} (${(a["occurred_at"] as Date).toISOString()})`,
    );
  }
}

describeEachExecutor("time order agrees with position order", { needs: ["concurrency"] }, (fx) => {
  let prefixes = 0;

  const fresh = async (lock: LockOption, clock: () => Date): Promise<{ m: Model; store: EventStore; hold: Hold }> => {
    const hold: Hold = { gate: undefined, attempts: 0 };
    const m = model(fx.schema, `t${++prefixes}`, lock, hold);
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Doc],
      clock,
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
    return { m, store, hold };
  };

  for (const lock of [{ scope: "global" }, { scope: "tenant" }] as const) {
    test(
      `a call stamped early that commits late is stamped no earlier than the event before it, and a time-bounded replay rebuilds a prefix of the log (${lock.scope} scope)`,
      SLOW,
      async () => {
        const { clock } = steppingClock();
        const { m, store, hold } = await fresh(lock, clock);
        const docs = store.resource(m.Doc);
        const ctx = { tenant: "org1" };
        const created = await docs.write({ title: "t0", label: "l0" }, ctx);
        const id = created.record.id as string;

        // A reads its clock value (t1), then its before hook waits; B reads t2, commits; then A commits.
        hold.gate = gate();
        const slow = hold.gate;
        const late = docs.retitle(id, { title: "slow" }, ctx);
        await slow.entered;
        const early = await docs.relabel(id, { label: "quick" }, ctx);
        slow.open();
        const lateResult = await late;
        assert.ok(lateResult.event!.position > early.event!.position, "the slow call commits after the quick one");

        // The state after each prefix of the log, in position order.
        const prefixes: { position: bigint; at: Date; state: State }[] = [created, early, lateResult]
          .map((r) => ({ position: r.event!.position, at: r.event!.occurredAt, state: stateOf(r.record) }))
          .sort((a, b) => (a.position < b.position ? -1 : 1));
        const stateAt = (at: number): State | undefined => prefixes.filter((p) => p.at.getTime() <= at).at(-1)?.state;
        // Every instant of interest: each clock value handed out, each stamp, and between them.
        const instants = new Set<number>();
        for (let ms = T0 - 500; ms <= T0 + 4_000; ms += 500) instants.add(ms);
        for (const p of prefixes) instants.add(p.at.getTime());
        for (const at of [...instants].sort((a, b) => a - b)) {
          for (const scope of [{}, { tenant: "org1" }]) {
            await replay(store, { untilTime: new Date(at), ...scope });
            assert.deepEqual(
              await docState(fx, m, id),
              stateAt(at),
              `replay until ${new Date(at).toISOString()} ${JSON.stringify(scope)}`,
            );
          }
        }
        const rows = await eventRows(fx.db, m.events);
        assertNonDecreasing(rows, "the log");
        // What the slow call reports is what was stored, and its record says the same.
        const stored = rows.find((r) => r["id"] === lateResult.event!.id)!;
        assert.equal(lateResult.event!.occurredAt.toISOString(), (stored["occurred_at"] as Date).toISOString());
        assert.equal(
          (lateResult.record["updatedAt"] as Date).toISOString(),
          lateResult.event!.occurredAt.toISOString(),
        );
        assert.equal(
          (stored["changes"] as Record<string, unknown>)["updatedAt"],
          lateResult.event!.occurredAt.toISOString(),
        );
      },
    );
  }

  test(
    "a change-function update retried after a conflict is stamped with the clock value of its retry",
    SLOW,
    async () => {
      const { clock } = steppingClock();
      const { m, store, hold } = await fresh({ scope: "global" }, clock);
      const docs = store.resource(m.Doc);
      const ctx = { tenant: "org1" };
      const created = await docs.write({ title: "t0", label: "l0" }, ctx); // T0
      const id = created.record.id as string;
      hold.gate = gate();
      const g = hold.gate;
      const late = docs.bump(id, {}, ctx); // attempt 1 planned with T0 + 1 s, waits in before
      await g.entered;
      const quick = await docs.relabel(id, { label: "l1" }, ctx); // T0 + 2 s
      g.open();
      const result = await late; // attempt 1 is stale; attempt 2 reads the clock again: T0 + 3 s
      assert.equal(hold.attempts, 2);
      assert.equal(quick.event!.occurredAt.toISOString(), new Date(T0 + 2_000).toISOString());
      assert.equal(
        result.event!.occurredAt.toISOString(),
        new Date(T0 + 3_000).toISOString(),
        "the retry's own clock value",
      );
      assert.equal((result.record["updatedAt"] as Date).toISOString(), new Date(T0 + 3_000).toISOString());
      assert.equal(result.record["label"], "l1+");
    },
  );

  test(
    "with a clock that goes backwards, the record's timestamps and changes equal the event's occurred_at, and replay rebuilds them",
    SLOW,
    async () => {
      const { clock, set } = steppingClock(0);
      const { m, store } = await fresh({ scope: "global" }, clock);
      const docs = store.resource(m.Doc);
      const ctx = { tenant: "org1" };
      set(T0 + 60_000);
      const created = await docs.write({ title: "t0", label: "l0" }, ctx);
      set(T0); // a minute back
      const renamed = await docs.relabel(created.record.id as string, { label: "l1" }, ctx);
      const other = await docs.write({ title: "t1", label: "l0" }, ctx);
      set(T0 - 1);
      const closed = await docs.close(other.record.id as string, undefined, ctx);
      const [tx1, tx2] = await store.transaction((tx) => {
        tx.resource(m.Doc).write({ title: "t2", label: "l2" }, ctx);
        tx.resource(m.Doc).relabel(created.record.id as string, { label: "l3" }, ctx);
      });
      const expected = new Date(T0 + 60_000).toISOString();
      for (const result of [created, renamed, other, closed, tx1!, tx2!]) {
        assert.equal(
          result.event!.occurredAt.toISOString(),
          expected,
          `${result.event!.action} is stamped with the log's latest time`,
        );
      }
      assert.equal((renamed.record["updatedAt"] as Date).toISOString(), expected);
      assert.equal((renamed.record["createdAt"] as Date).toISOString(), expected);
      assert.deepEqual(renamed.event!.changes, { updatedAt: expected });
      assert.deepEqual(other.event!.changes, {
        createdAt: expected,
        updatedAt: expected,
        id: other.record.id,
        orgId: "org1",
      });
      assert.equal((closed.record["deletedAt"] as Date).toISOString(), expected);
      assert.deepEqual(closed.event!.changes, { deletedAt: expected, updatedAt: expected });
      const rows = await eventRows(fx.db, m.events);
      for (const row of rows) {
        assert.equal((row["occurred_at"] as Date).toISOString(), expected);
        const changes = row["changes"] as Record<string, unknown>;
        for (const key of ["createdAt", "updatedAt", "deletedAt"]) {
          if (key in changes) assert.equal(changes[key], expected, `${String(row["action"])} ${key}`);
        }
      }
      const returned = [created, renamed, other, closed, tx1!, tx2!].map((r) => r.event as StoredEvent);
      assert.deepEqual(
        returned.map((e) => e.changes),
        returned.map((e) => rows.find((r) => r["id"] === e.id)!["changes"]),
        "returned changes equal stored ones",
      );

      const before = (await fx.db.query({ text: `SELECT * FROM ${m.docs} ORDER BY id`, params: [] })).rows;
      await replay(store);
      assert.deepEqual((await fx.db.query({ text: `SELECT * FROM ${m.docs} ORDER BY id`, params: [] })).rows, before);
    },
  );

  for (const lock of [{ scope: "global" }, { scope: "tenant" }] as const) {
    test(
      `under 8 concurrent writers with a jittery clock, occurred_at never decreases in position order (${lock.scope} scope${
        lock.scope === "tenant" ? ", per tenant" : ""
      })`,
      SLOW,
      async () => {
        // Each writer's clock is off by up to ±2 s, as between instances: the stamp fixes it.
        let seed = 7;
        const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
        const { m, store } = await fresh(lock, () => new Date(Date.now() + Math.floor((random() - 0.5) * 4_000)));
        const docs = store.resource(m.Doc);
        const tenants = ["org1", "org2", "org3"];
        await Promise.all(Array.from({ length: 8 }, async (_, w) => {
          const ctx = { tenant: tenants[w % tenants.length]! };
          const { record } = await docs.write({ title: `w${w}`, label: "0" }, ctx);
          for (let i = 1; i <= 12; i++) await docs.relabel(record.id as string, { label: String(i) }, ctx);
        }));
        const rows = await eventRows(fx.db, m.events);
        assert.equal(rows.length, 8 * 13);
        if (lock.scope === "global") assertNonDecreasing(rows, "the log");
        for (const tenant of tenants) assertNonDecreasing(rows.filter((r) => r["tenant"] === tenant), tenant);
      },
    );
  }
});
