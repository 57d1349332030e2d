// Concurrent writers against real Postgres (PGlite runs one statement at a time, so it cannot
// race): change-function updates never lose an update, and under the default global lock
// positions become visible in commit order, so a reader that follows the feed never skips or
// repeats an event, and reads its writes at once.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { eventRows } from "../support/store-helpers.ts";
import { stressSize } from "../support/stress.ts";

const WRITERS = 16;
// Rounds per writer (EDGE_EVENTS_STRESS=full runs the long ones); 16 writers race either way.
const INCREMENTS = stressSize(50, 10);
const CREATES = stressSize(100, 25);
// Seconds of work on a loaded 2-core machine: more than Bun's default 5 s per test.
const SLOW = { timeout: 120_000 };

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function model(schema: string) {
  // Its own lock key, not the global one that every log in the database shares by default: the
  // 16 callers race each other for the one counter exactly as before, but other test files that
  // write under the global key at the same time no longer queue with them (their traffic made
  // this test's duration depend on what else the suite was running).
  const counterKey = BigInt(`0x${schema.slice(-12)}`);
  const counterLog = defineEventLog({ table: `${schema}.counter_events`, lock: { key: () => counterKey } });
  const Counter = defineResource({
    name: "counter",
    table: `${schema}.counters`,
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), count: v.pipe(v.number(), v.integer()) }),
    columnTypes: { count: "integer" },
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ id: v.string() }), defaults: { count: 0 } }),
      increment: update({ change: (counter) => ({ count: counter.count + 1 }) }),
    }),
  });
  const orderLog = defineEventLog({ table: `${schema}.order_events` });
  const Item = defineResource({
    name: "item",
    table: `${schema}.items`,
    attributes: v.object({ id: v.string(), writer: v.number(), seq: v.number() }),
    columnTypes: { writer: "integer", seq: "integer" },
    actions: ({ create }) => ({ add: create({ input: v.object({ writer: v.number(), seq: v.number() }) }) }),
  });
  return { counterLog, Counter, orderLog, Item };
}

describeEachExecutor("concurrent writers", { needs: ["concurrency"] }, (fx) => {
  let m: ReturnType<typeof model>;

  before(async () => {
    m = model(fx.schema);
    await createEventStore({ db: fx.db, log: m.counterLog, resources: [m.Counter] }).migrate({ resourceTables: true });
    await createEventStore({ db: fx.db, log: m.orderLog, resources: [m.Item] }).migrate({ resourceTables: true });
  });

  test(
    `${WRITERS} callers incrementing one counter ${INCREMENTS} times each through a change function lose no update`,
    SLOW,
    async () => {
      // Every increment reads the counter, then writes only if no other event touched it
      // since; with 16 callers on one record most attempts find it changed and retry. The
      // default of 10 attempts is meant for ordinary traffic, and under this contention some
      // caller would give up with a ConflictError (by design: no lost update, a typed error
      // instead). So this store retries generously, as a hot-counter application would, and
      // lets the backoff grow to 400 ms: spread-out retries waste far fewer round trips than
      // eager ones (measured over HTTP: about 4k requests with a 400 ms cap, 22k with 50 ms).
      const store: EventStore = createEventStore({
        db: fx.db,
        log: m.counterLog,
        resources: [m.Counter],
        conflictRetry: { maxAttempts: 200, baseDelayMs: 5, maxDelayMs: 400 },
      });
      const counters = store.resource(m.Counter);
      await counters.start({ id: "hot" });
      await Promise.all(
        range(WRITERS).map(async () => {
          for (let i = 0; i < INCREMENTS; i++) await counters.increment("hot");
        }),
      );
      const total = WRITERS * INCREMENTS;
      const row = await fx.db.query({ text: `SELECT count FROM ${fx.schema}.counters WHERE id = 'hot'`, params: [] });
      assert.equal(row.rows[0]?.["count"], total);
      const increments = (await eventRows(fx.db, `${fx.schema}.counter_events`)).filter((e) =>
        e["action"] === "increment"
      );
      assert.equal(increments.length, total, "exactly one event per increment");
      // In position order the events count 1, 2, ..., total: each read the state its predecessor wrote.
      assert.deepEqual(
        increments.map((e) => (e["changes"] as { count: number }).count),
        range(total).map((i) => i + 1),
      );
    },
  );

  test(
    `${WRITERS} writers × ${CREATES} creates under the global lock: positions become visible in commit order`,
    SLOW,
    async () => {
      const store = createEventStore({ db: fx.db, log: m.orderLog, resources: [m.Item] });
      const table = `${fx.schema}.order_events`;
      const total = WRITERS * CREATES;
      let writing = true;
      const violations: string[] = [];

      // A consumer that follows the feed with its cursor. Under the global lock the feed is the
      // position order, and since nothing rolls back here, positions have no holes: any hole
      // it sees would be an event with a lower position becoming visible after a higher one.
      // It must see every event exactly once, and the first read it sends after every write
      // has resolved must return the rest: under the global scope the feed has no horizon,
      // so no other transaction can hold a committed event back (the history of this
      // assertion is in docs/architecture.md, "The horizon's lag").
      const tail = async (): Promise<{ ids: string[]; pagesWhileWriting: number }> => {
        const ids: string[] = [];
        let last = 0n;
        let cursor: string | undefined;
        let pagesWhileWriting = 0;
        for (;;) {
          const finished = !writing;
          const page = await store.readFeed({ ...(cursor === undefined ? {} : { after: cursor }), limit: 200 });
          for (const event of page.events) {
            if (event.position !== last + 1n) violations.push(`tail: saw ${event.position} right after ${last}`);
            last = event.position;
            ids.push(event.id);
          }
          cursor = page.cursor;
          if (page.events.length > 0 && !finished) pagesWhileWriting++;
          if (finished && page.events.length < 200) return { ids, pagesWhileWriting };
          await pause(5);
        }
      };
      // A poller of one statement (one snapshot): it must always see count = max(position).
      const poll = async (): Promise<number> => {
        let polls = 0;
        while (writing) {
          const { rows } = await fx.db.query({
            text: `SELECT count(*)::int AS n, coalesce(max("position"), 0)::int AS max FROM ${table}`,
            params: [],
          });
          const { n, max } = rows[0] as { n: number; max: number };
          if (n !== max) violations.push(`poll: ${n} events visible up to position ${max}`);
          polls++;
          await pause(5);
        }
        return polls;
      };
      const write = Promise.all(
        range(WRITERS).map(async (writer) => {
          for (let seq = 0; seq < CREATES; seq++) await store.resource(m.Item).add({ writer, seq });
        }),
      ).finally(() => {
        writing = false;
      });
      const [, tailed, polls] = await Promise.all([write, tail(), poll()]);

      assert.deepEqual(violations, []);
      assert.ok(tailed.pagesWhileWriting > 0 && polls > 0, "the readers ran while the writers did");
      const rows = await eventRows(fx.db, table);
      assert.equal(rows.length, total);
      assert.deepEqual(rows.map((r) => r["position"]), range(total).map((i) => BigInt(i + 1)));
      assert.equal(new Set(rows.map((r) => r["id"])).size, total);
      assert.equal(new Set(rows.map((r) => r["record_id"])).size, total);
      assert.deepEqual(tailed.ids, rows.map((r) => r["id"]), "the tailing reader saw every event once, in order");
      // Each transaction gets its xid when it first writes, which is after it took the global
      // lock: so transaction ids rise with positions exactly when commits follow lock order.
      const txIds = rows.map((r) => BigInt(r["tx_id"] as string));
      const outOfOrder = txIds.findIndex((id, i) => i > 0 && id <= txIds[i - 1]!);
      assert.equal(outOfOrder, -1, `tx_id falls at position ${outOfOrder + 1}`);
      // Every writer's own creates keep their order.
      for (const writer of range(WRITERS)) {
        const seqs = rows.filter((r) => (r["data"] as { writer: number }).writer === writer)
          .map((r) => (r["data"] as { seq: number }).seq);
        assert.deepEqual(seqs, range(CREATES));
      }
    },
  );
});
