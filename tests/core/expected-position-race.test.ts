// Racing writers that hold the same position. Deterministic: the first writer's write batch is
// held back before it is sent while the second commits, so the first must fail with STALE_RECORD
// and write nothing (every executor: the gate needs no second session). Randomized, on real
// Postgres: writers race with expectedPosition and held records on one counter; exactly the
// successful calls wrote events, their positions form a chain, and no update is lost.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import {
  type ActionResult,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  newEventId,
  type ResourceClient,
  type StaleRecordError,
} from "../../mod.ts";
import type { SqlStatement } from "../../src/core/executor.ts";
import { describeEachExecutor, needing } from "../support/each-executor.ts";
import { eventRows, rejectsWith } from "../support/store-helpers.ts";
import { stressSize } from "../support/stress.ts";
import { gatedExecutor } from "../replay/gated-executor.ts";
import pg from "pg";
import { pgPool } from "../../src/drivers/pg-pool/mod.ts";
import { databaseUrl } from "../support/database.ts";

const WRITERS = 16;
// Successful increments per writer (EDGE_EVENTS_STRESS=full runs the long one); 16 writers race either way.
const WINS = stressSize(12, 3);
const SLOW = { timeout: 120_000 };

type Counter = { id: string; count: number; label: string };

function model(schema: string) {
  // A lock key of its own, as in concurrency.test.ts: other suites' writes under the global key
  // do not queue with these writers.
  const key = BigInt(`0x${schema.slice(-12)}`);
  const log = defineEventLog({ table: `${schema}.events`, lock: { key: () => key } });
  const Counter = defineResource({
    name: "counter",
    table: `${schema}.counters`,
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), count: v.pipe(v.number(), v.integer()), label: v.string() }),
    columnTypes: { count: "integer" },
    actions: ({ create, update, destroy }) => ({
      start: create({ input: v.object({ id: v.string() }), defaults: { count: 0, label: "" } }),
      increment: update({ change: (counter) => ({ count: counter.count + 1 }) }),
      relabel: update({ input: v.object({ label: v.string() }) }),
      remove: destroy(),
    }),
  });
  return { log, Counter, key };
}

type CounterResource = ReturnType<typeof model>["Counter"];

/** Whether a request is a write batch (it opens with the write prelude). */
const isWrite = (statements: readonly SqlStatement[]): boolean =>
  statements.some((s) => s.text.includes('_begin_write"('));

describeEachExecutor("writers holding the same position", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const events = () => eventRows(fx.db, `${fx.schema}.events`);
  const counterRow = async (id: string) =>
    (await fx.db.query({ text: `SELECT * FROM ${fx.schema}.counters WHERE id = $1`, params: [id] })).rows[0];

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Counter] });
    await store.migrate({ resourceTables: true });
  });

  describe("the first writer's batch held back while the second commits", () => {
    /** The first writer's call, given what both hold: the record and its position. */
    type First = (counters: ResourceClient<CounterResource>, held: ActionResult<Counter>) => Promise<unknown>;
    const firsts: Record<string, First> = {
      "a change-function update with the record held": (counters, held) =>
        counters.increment(held.record.id, {}, { expectedPosition: held.event!.position, record: held.record }),
      "a change-function update that reads": (counters, held) =>
        counters.increment(held.record.id, {}, { expectedPosition: held.event!.position }),
      "an update from its input": (counters, held) =>
        counters.relabel(held.record.id, { label: "first" }, { expectedPosition: held.event!.position }),
      "a destroy": (counters, held) => counters.remove(held.record.id, {}, { expectedPosition: held.event!.position }),
    };
    for (const [kind, first] of Object.entries(firsts)) {
      test(`${kind} fails with STALE_RECORD and writes nothing`, async () => {
        const id = `race-${kind.replaceAll(" ", "-")}`;
        const held = await store.resource(m.Counter).start({ id });
        const gated = gatedExecutor(fx.db, isWrite);
        const slow = createEventStore({ db: gated.db, log: m.log, resources: [m.Counter] });
        const before = (await events()).length;

        const firstCall = first(slow.resource(m.Counter), held);
        firstCall.catch(() => undefined); // awaited below
        await gated.gate.reached; // the first writer's batch is built and held back
        const second = await store.resource(m.Counter).increment(id, {}, {
          expectedPosition: held.event!.position,
          record: held.record,
        });
        gated.gate.release();
        const error = await rejectsWith<StaleRecordError>(firstCall, "STALE_RECORD");

        assert.equal(error.expectedPosition, held.event!.position);
        assert.equal(error.actualPosition, second.event!.position);
        const after = await events();
        assert.equal(after.length, before + 1, "only the second writer's event");
        assert.equal(after.at(-1)!["id"], second.event!.id);
        assert.deepEqual(await counterRow(id), { id, count: 1, label: "" });
      });
    }
  });

  test(
    "a write waiting in the database on the lock checks the position after the writer ahead of it committed",
    needing(fx, ["concurrency"]),
    async () => {
      const id = "queued";
      const held = await store.resource(m.Counter).start({ id });
      // A session of its own holds the write key in an open transaction; the second writer runs
      // on it later, inside that transaction, and its COMMIT releases the key.
      const session = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
      try {
        await session.query("BEGIN");
        await session.query("SELECT pg_advisory_xact_lock($1::bigint)", [String(m.key)]);
        const first = store.resource(m.Counter).increment(id, {}, {
          expectedPosition: held.event!.position,
          record: held.record,
        });
        first.catch(() => undefined); // awaited below
        // Wait until the first writer's batch is in the database, queued behind the session.
        for (;;) {
          const { rows } = await session.query(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted ` +
              `AND classid = $1::bigint AND objid = $2::bigint AND objsubid = 1`,
            [String(m.key >> 32n), String(m.key & 0xffffffffn)],
          );
          if (rows[0].n > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const ahead = createEventStore({ db: pgPool(session), log: m.log, resources: [m.Counter] });
        const second = await ahead.resource(m.Counter).relabel(id, { label: "second" }, {
          expectedPosition: held.event!.position,
        });
        const error = await rejectsWith<StaleRecordError>(first, "STALE_RECORD");
        assert.equal(error.actualPosition, second.event!.position);
        assert.deepEqual(await counterRow(id), { id, count: 0, label: "second" });
      } finally {
        await session.query("ROLLBACK").catch(() => undefined);
        await session.end();
      }
    },
  );

  test(
    `${WRITERS} writers × ${WINS} increments with expectedPosition and held records: the successes form a chain`,
    { ...SLOW, ...needing(fx, ["concurrency"]) },
    async () => {
      const counters = store.resource(m.Counter);
      const id = "hot";
      await counters.start({ id });
      const table = `${fx.schema}.counters`;
      /** The counter and its last event position, read in one statement (one snapshot). */
      const read = async (): Promise<{ record: Counter; position: bigint }> => {
        const { rows } = await fx.db.query({
          text: `SELECT c.id, c.count, c.label, (SELECT max("position") FROM ${fx.schema}.events ` +
            `WHERE resource = 'counter' AND record_id = c.id) AS position FROM ${table} AS c WHERE c.id = $1`,
          params: [id],
        });
        const { position, ...record } = rows[0] as Counter & { position: bigint };
        return { record, position };
      };
      const wins: { expected: bigint; eventId: string; position: bigint; count: number }[] = [];
      let stale = 0;
      const attempted: string[] = [];
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let won = 0; won < WINS;) {
            const { record, position } = await read();
            const eventId = newEventId();
            attempted.push(eventId);
            try {
              const result = await counters.increment(id, {}, { eventId, expectedPosition: position, record });
              wins.push({ expected: position, eventId, position: result.event!.position, count: result.record.count });
              won++;
            } catch (error) {
              if (!isEdgeEventsError(error, "STALE_RECORD")) throw error;
              assert.ok(error.actualPosition > position, "a stale call saw the record move on");
              stale++;
            }
          }
        }),
      );
      const total = WRITERS * WINS;
      const increments = (await events()).filter((e) => e["action"] === "increment" && e["record_id"] === id);
      // Exactly the successful calls wrote events; every failed attempt wrote none.
      assert.deepEqual(increments.map((e) => e["id"]).sort(), wins.map((w) => w.eventId).sort());
      assert.equal(attempted.length, total + stale);
      // In position order each success expected the position of the event before it, and
      // counted one more: a chain, no lost update.
      const byPosition = [...wins].sort((a, b) => (a.position < b.position ? -1 : 1));
      const started = (await events()).find((e) => e["action"] === "start" && e["record_id"] === id)!;
      let previous = started["position"] as bigint;
      for (const [i, win] of byPosition.entries()) {
        assert.equal(win.expected, previous, `the win at ${win.position} expected the event before it`);
        assert.equal(win.count, i + 1);
        previous = win.position;
      }
      assert.equal((await counterRow(id))?.["count"], total);
    },
  );
});
