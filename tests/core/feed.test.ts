// Following the log with readFeed never skips or repeats an event, under every lock scope.
//
// The bad interleaving (issue 7 §1): under tenant or custom lock scopes an older transaction
// (smaller tx_id) can draw a larger position than a younger one. Positions then become
// visible out of order, and a reader that pages by position alone, even below the visibility
// horizon, steps over the younger transaction's smaller position when it commits last.
//
// The gates are in Postgres, so they hold the same way through the neon driver (one HTTP
// request per batch: nothing on the client side can pause between its statements) and the pg
// pool: a trigger on the resource table makes a row write whose `gate` column is set wait for
// a session advisory lock that the test holds. The test sees the writer waiting in pg_locks,
// and releases it when the other writer has taken its place. No sleeps decide anything.
//
// Beside it, a bounded randomized run: 16 writers per lock scope, a tailing consumer (and one
// per tenant) sees every committed event exactly once.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import * as v from "valibot";
import {
  type ActionResult,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventLog,
  type EventStore,
  type FeedPage,
  type LockOption,
  type StoredEvent,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { readEventsSql } from "../../src/sql/read-events.ts";
import { databaseUrl } from "../support/database.ts";
import { describeEachExecutor } from "../support/each-executor.ts";

const SLOW = { timeout: 120_000 };
// A bound on waiting for a database state (a writer at its gate, the horizon past a
// transaction), so that a test that cannot get there fails instead of hanging.
const WAIT_LIMIT_MS = 60_000;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const SCOPES: readonly { name: string; lock: LockOption }[] = [
  { name: "tenant", lock: { scope: "tenant" } },
  // Custom keys: one pair per tenant and resource, none shared with the global key.
  {
    name: "custom keys",
    lock: { key: ({ resource, tenant }) => [0x66656564, (resource.length << 8) + (tenant ?? "-").charCodeAt(0)] },
  },
];

function docResource(schema: string, prefix: string) {
  return defineResource({
    name: "doc",
    table: `${schema}.${prefix}_docs`,
    tenant: "orgId",
    attributes: v.object({
      id: v.string(),
      orgId: v.string(),
      title: v.string(),
      count: v.pipe(v.number(), v.integer()),
      gate: v.nullable(v.number()),
    }),
    columnTypes: { count: "integer", gate: "integer" },
    actions: ({ create, update }) => ({
      write: create({
        input: v.object({ title: v.string(), gate: v.optional(v.number()) }),
        defaults: { count: 0, gate: null },
      }),
      // A change-function update: a read, then a batch that locks the row (FOR UPDATE: the
      // transaction gets its tx_id there) before the conditional write draws a position.
      bump: update({
        input: v.object({ gate: v.optional(v.number()) }),
        change: (doc, input) => ({ count: doc.count + 1, gate: input.gate ?? null }),
      }),
    }),
  });
}

/** A trigger that makes every row write with `gate` set wait for the advisory lock (gateClass, gate). */
async function installGate(db: Executor, table: string, gateClass: number): Promise<void> {
  const fn = `${table}_gate`;
  await db.query({
    text: `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
      `IF NEW.gate IS NOT NULL THEN PERFORM pg_advisory_xact_lock_shared(${gateClass}, NEW.gate); END IF; RETURN NEW; END $$`,
    params: [],
  });
  await db.query({
    text: `CREATE TRIGGER gate BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    params: [],
  });
}

/** The test's side of the gates: a session of its own that holds them. */
class Gates {
  readonly #client: pg.Client;
  readonly #gateClass: number;
  constructor(client: pg.Client, gateClass: number) {
    this.#client = client;
    this.#gateClass = gateClass;
  }
  static async open(gateClass: number): Promise<Gates> {
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    return new Gates(client, gateClass);
  }
  async close(): Promise<void> {
    await this.#client.end();
  }
  async hold(gate: number): Promise<void> {
    await this.#client.query("SELECT pg_advisory_lock($1::int, $2::int)", [this.#gateClass, gate]);
  }
  async release(gate: number): Promise<void> {
    await this.#client.query("SELECT pg_advisory_unlock($1::int, $2::int)", [this.#gateClass, gate]);
  }
  /** Resolve once a writer waits at `gate` (its statement is blocked in the trigger). */
  async waiter(gate: number, writer: Promise<unknown>): Promise<void> {
    let failed: unknown;
    writer.catch((error) => (failed = error ?? new Error("the writer failed")));
    for (const deadline = Date.now() + WAIT_LIMIT_MS;;) {
      if (failed !== undefined) throw failed;
      if (Date.now() > deadline) throw new Error(`no writer reached gate ${gate}`);
      const { rows } = await this.#client.query(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted " +
          "AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 " +
          "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [this.#gateClass, gate],
      );
      if (rows[0].n > 0) return;
      await pause(5);
    }
  }
  /** Resolve once `count` transactions wait for the global key (2147483647). */
  async globalKeyWaiters(count: number): Promise<void> {
    for (const deadline = Date.now() + WAIT_LIMIT_MS;;) {
      if (Date.now() > deadline) throw new Error("the writers did not reach the global key");
      const { rows } = await this.#client.query(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 0 " +
          "AND objid = 2147483647 AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      );
      if (rows[0].n >= count) return;
      await pause(5);
    }
  }
  /**
   * Resolve once the visibility horizon is past `txId`: every transaction of the cluster
   * whose id is at most `txId` has ended. Under tenant and custom scopes the feed returns an
   * event only from then on (by design: that is what keeps it from skipping), so a test that
   * asserts "the feed has everything" first establishes this precondition; the feed's result
   * is then asserted exactly, and a horizon that never passes fails the test.
   */
  async horizonPast(txId: string): Promise<void> {
    for (const deadline = Date.now() + WAIT_LIMIT_MS;;) {
      if (Date.now() > deadline) {
        throw new Error("the visibility horizon stayed behind: a transaction of the cluster stayed open");
      }
      const { rows } = await this.#client.query("SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS past", [
        txId,
      ]);
      if (rows[0].past === true) return;
      await pause(5);
    }
  }
}

/** The events an action call or a transaction wrote. */
function eventsOf(result: ActionResult<unknown> | ActionResult<unknown>[]): StoredEvent[] {
  return (Array.isArray(result) ? result : [result]).map((r) => r.event!);
}

async function txIdOf(db: Executor, table: string, eventId: string): Promise<string> {
  const { rows } = await db.query({ text: `SELECT tx_id::text AS tx FROM ${table} WHERE id = $1`, params: [eventId] });
  return String(rows[0]!["tx"]);
}

async function maxTxId(db: Executor, table: string): Promise<string> {
  const { rows } = await db.query({ text: `SELECT max(tx_id::text::bigint)::text AS tx FROM ${table}`, params: [] });
  return String(rows[0]!["tx"]);
}

/** A consumer that follows the feed with its cursor. */
class FeedReader {
  readonly seen: StoredEvent[] = [];
  #cursor: string | undefined;
  constructor(private readonly read: (options: { after?: string; limit: number }) => Promise<FeedPage>) {}
  async drain(): Promise<void> {
    for (;;) {
      const page = await this.read({ ...(this.#cursor === undefined ? {} : { after: this.#cursor }), limit: 3 });
      this.seen.push(...page.events);
      this.#cursor = page.cursor;
      if (page.events.length < 3) return;
    }
  }
}

/** The reader of the old code: pages by position, below the horizon. */
class PositionReader {
  readonly seen: string[] = [];
  #last = 0n;
  constructor(private readonly db: Executor, private readonly log: EventLog) {}
  async drain(): Promise<void> {
    for (;;) {
      const { rows } = await this.db.query(readEventsSql(this.log, { afterPosition: this.#last, limit: 3 }, true));
      for (const row of rows) {
        this.seen.push(String(row["id"]));
        this.#last = row["position"] as bigint;
      }
      if (rows.length < 3) return;
    }
  }
}

for (const scope of SCOPES) {
  describeEachExecutor(`readFeed under the ${scope.name} lock scope: an older transaction with the larger position`, {
    needs: ["concurrency"],
  }, (fx) => {
    let gates: Gates;
    const gateClass = 1 + Math.floor(Math.random() * 0x3fffffff);
    let suite = 0;

    before(async () => {
      gates = await Gates.open(gateClass);
    });
    after(async () => {
      await gates?.close();
    });

    /** A fresh log and table per test, so each test's feed holds only its own events. */
    async function setup(): Promise<
      { store: EventStore; log: EventLog; Doc: ReturnType<typeof docResource>; events: string }
    > {
      const prefix = `s${suite++}`;
      const log = defineEventLog({ table: `${fx.schema}.${prefix}_events`, lock: scope.lock });
      const Doc = docResource(fx.schema, prefix);
      const store = createEventStore({ db: fx.db, log, resources: [Doc] });
      await store.migrate({ resourceTables: true });
      await installGate(fx.db, `${fx.schema}.${prefix}_docs`, gateClass);
      return { store, log, Doc, events: `${fx.schema}.${prefix}_events` };
    }

    for (const kind of ["a two-event transaction", "a change-function update"] as const) {
      for (const order of ["the older commits first", "the younger commits first"] as const) {
        test(
          `${kind}, ${order}: the feed sees every event once; paging by position skips only when the older commits first`,
          SLOW,
          async () => {
            const { store, log, Doc, events } = await setup();
            const bumped = kind === "a change-function update"
              ? (await store.resource(Doc).write({ title: "to bump" }, { tenant: "a" })).record.id
              : undefined;
            const feed = new FeedReader((options) => store.readAllTenantsFeed(options));
            const byPosition = new PositionReader(fx.db, log);
            await feed.drain();
            await byPosition.drain();

            await gates.hold(1);
            await gates.hold(2);
            let olderDone = false;
            let youngerDone = false;
            let olderEvents: StoredEvent[] = [];
            let youngerEvents: StoredEvent[] = [];
            try {
              // The older transaction takes its tx_id (its first event, or the FOR UPDATE of the
              // change function) and then waits before it draws its (next) position.
              const older = (kind === "a change-function update"
                ? store.resource(Doc).bump(bumped!, { gate: 1 }, { tenant: "a" })
                : store.transaction((tx) => {
                  tx.resource(Doc).write({ title: "older, first" }, { tenant: "a" });
                  tx.resource(Doc).write({ title: "older, second", gate: 1 }, { tenant: "a" });
                })).then((result) => (olderEvents = eventsOf(result))).finally(() => (olderDone = true));
              await gates.waiter(1, older);
              // The younger one draws a smaller position, and stays open.
              const younger = store.transaction((tx) => {
                tx.resource(Doc).write({ title: "younger, first" }, { tenant: "b" });
                tx.resource(Doc).write({ title: "younger, second", gate: 2 }, { tenant: "b" });
              }).then((result) => (youngerEvents = eventsOf(result))).finally(() => (youngerDone = true));
              await gates.waiter(2, younger);
              assert.ok(!olderDone && !youngerDone, "both writers wait at their gates");

              const [first, second] = order === "the older commits first" ? [1, 2] : [2, 1];
              const [firstWriter, secondWriter] = order === "the older commits first"
                ? [older, younger]
                : [younger, older];
              await gates.release(first);
              const firstEvent = (await firstWriter)[0]!;
              if (order === "the older commits first") {
                // The readers read while the younger transaction is still open, once the
                // horizon has passed the older one (other suites' transactions may hold it).
                await gates.horizonPast(await txIdOf(fx.db, events, firstEvent.id));
                await feed.drain();
                await byPosition.drain();
              } else {
                // The older transaction is open, so the horizon is at most its tx_id: the
                // younger one's events wait behind it.
                await feed.drain();
                await byPosition.drain();
                assert.ok(
                  !feed.seen.some((e) =>
                    e.id === firstEvent.id
                  ),
                  "a younger commit waits behind an open older transaction",
                );
              }
              await gates.release(second);
              await secondWriter;
              // Both have committed. Wait until the horizon has passed the later of the two
              // transactions (the younger one, whichever committed last): an unrelated
              // transaction that began between them would otherwise still hold the younger
              // one's events back, which is the documented lag, not a skip.
              await gates.horizonPast(await maxTxId(fx.db, events));
              await feed.drain();
              await byPosition.drain();
            } finally {
              await gates.release(1).catch(() => undefined);
              await gates.release(2).catch(() => undefined);
            }

            const { rows } = await fx.db.query({
              text: `SELECT id, tenant, tx_id::text AS tx, position FROM ${events} ORDER BY position`,
              params: [],
            });
            const olderRows = olderEvents.map((e) => rows.find((r) => r["id"] === e.id)!);
            const youngerRows = youngerEvents.map((e) => rows.find((r) => r["id"] === e.id)!);
            // The interleaving happened: the older transaction (smaller tx_id) wrote the larger position.
            const olderTx = BigInt(olderRows[olderRows.length - 1]!["tx"] as string);
            const youngerTx = BigInt(youngerRows[0]!["tx"] as string);
            assert.ok(olderTx < youngerTx, "the older transaction has the smaller tx_id");
            assert.ok(
              (olderRows[olderRows.length - 1]!["position"] as bigint) > (youngerRows[0]!["position"] as bigint),
              "and the larger position",
            );

            const all = rows.map((r) => String(r["id"]));
            assert.deepEqual(
              [...feed.seen.map((e) => e.id)].sort(),
              [...all].sort(),
              "the feed saw every event exactly once",
            );
            const skipped = all.filter((id) => !byPosition.seen.includes(id));
            if (order === "the older commits first") {
              // What the cursor fixes: the younger transaction's smaller position, committed
              // after the reader had passed it, is never read by position.
              assert.deepEqual(
                skipped,
                [String(youngerRows[0]!["id"])],
                "paging by position skips the younger transaction's first event",
              );
            } else {
              assert.deepEqual(skipped, [], "the horizon alone suffices when the younger commits first");
            }
          },
        );
      }
    }
  });
}

describeEachExecutor("readFeed under the global lock: tx_ids, positions and commits follow the lock order", {
  needs: ["concurrency"],
}, (fx) => {
  let gates: Gates;
  const gateClass = 1 + Math.floor(Math.random() * 0x3fffffff);

  before(async () => {
    gates = await Gates.open(gateClass);
  });
  after(async () => {
    await gates?.close();
  });

  test(
    "a writer that waits inside its transaction holds every other writer before its tx_id and its position",
    SLOW,
    async () => {
      const log = defineEventLog({ table: `${fx.schema}.g_events` });
      const Doc = docResource(fx.schema, "g");
      const store = createEventStore({ db: fx.db, log, resources: [Doc] });
      await store.migrate({ resourceTables: true });
      await installGate(fx.db, `${fx.schema}.g_docs`, gateClass);
      const bumped = (await store.resource(Doc).write({ title: "to bump" }, { tenant: "a" })).record.id;
      const feed = new FeedReader((options) => store.readAllTenantsFeed(options));
      await feed.drain();

      await gates.hold(1);
      let older: Promise<unknown> | undefined;
      const others: Promise<unknown>[] = [];
      try {
        older = store.transaction((tx) => {
          tx.resource(Doc).write({ title: "older, first" }, { tenant: "a" });
          tx.resource(Doc).bump(bumped, { gate: 1 }, { tenant: "a" });
        });
        await gates.waiter(1, older);
        // Two more writers (the pg pool has 4 connections: one stays free for the reads).
        others.push(
          store.resource(Doc).bump(bumped, {}, { tenant: "a" }),
          store.transaction((tx) => {
            tx.resource(Doc).write({ title: "younger, first" }, { tenant: "c" });
            tx.resource(Doc).write({ title: "younger, second" }, { tenant: "d" });
          }),
        );
        // Every other writer waits for the global key, before its first write.
        await gates.globalKeyWaiters(2);
        // While the older transaction is open, the feed shows nothing new (nothing else committed).
        await feed.drain();
        assert.equal(feed.seen.length, 1);
      } finally {
        await gates.release(1);
      }
      await older;
      await Promise.all(others);
      // No horizon under the global scope: a read after the writes returns them, at once.
      await feed.drain();
      const { rows } = await fx.db.query({
        text: `SELECT id, tx_id::text AS tx, position FROM ${fx.schema}.g_events ORDER BY position`,
        params: [],
      });
      const txIds = rows.map((r) => BigInt(r["tx"] as string));
      assert.ok(txIds.every((tx, i) => i === 0 || tx >= txIds[i - 1]!), "tx_ids never fall as positions rise");
      assert.deepEqual(
        feed.seen.map((e) => e.id),
        rows.map((r) => String(r["id"])),
        "the feed is the position order, every event once",
      );
    },
  );
});

describeEachExecutor(
  "readFeed under 16 concurrent writers: every event exactly once",
  { needs: ["concurrency"] },
  (fx) => {
    let gates: Gates;
    before(async () => {
      gates = await Gates.open(1);
    });
    after(async () => {
      await gates?.close();
    });

    const WRITERS = 16;
    const OPERATIONS = 6;
    const TENANTS = ["t0", "t1", "t2", "t3"];
    for (const [index, scope] of [{ name: "global", lock: { scope: "global" } as LockOption }, ...SCOPES].entries()) {
      test(
        `${WRITERS} writers × ${OPERATIONS} random creates, transactions and change-function updates under the ${scope.name} scope`,
        SLOW,
        async () => {
          const log = defineEventLog({ table: `${fx.schema}.r${index}_events`, lock: scope.lock });
          const Doc = docResource(fx.schema, `r${index}`);
          const store = createEventStore({
            db: fx.db,
            log,
            resources: [Doc],
            conflictRetry: { maxAttempts: 100, baseDelayMs: 2, maxDelayMs: 50 },
          });
          await store.migrate({ resourceTables: true });
          const seeds = await Promise.all(
            TENANTS.map(async (tenant) => (await store.resource(Doc).write({ title: "seed" }, { tenant })).record.id),
          );
          // A small deterministic generator per writer (a reproducible run, whatever the timing).
          const random = (seed: number) => () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

          let writing = true;
          const everyone = new FeedReader((options) => store.readAllTenantsFeed(options));
          const perTenant = TENANTS.map((tenant) =>
            new FeedReader((options) => store.withContext({ tenant }).readFeed(options))
          );
          const tail = async (): Promise<void> => {
            while (writing) {
              await everyone.drain();
              await perTenant[Math.floor(Math.random() * TENANTS.length)]!.drain();
              await pause(2);
            }
          };
          const write = Promise.all(
            range(WRITERS).map(async (writer) => {
              const next = random(writer + 1 + index * 100);
              for (let op = 0; op < OPERATIONS; op++) {
                const tenant = TENANTS[Math.floor(next() * TENANTS.length)]!;
                const other = TENANTS[Math.floor(next() * TENANTS.length)]!;
                const pick = next();
                if (pick < 0.3) await store.resource(Doc).write({ title: `w${writer}` }, { tenant });
                else if (pick < 0.6) await store.resource(Doc).bump(seeds[TENANTS.indexOf(tenant)]!, {}, { tenant });
                else {
                  await store.transaction((tx) => {
                    tx.resource(Doc).write({ title: `w${writer} first` }, { tenant });
                    tx.resource(Doc).write({ title: `w${writer} second` }, { tenant: other });
                  });
                }
                if (next() < 0.5) await pause(Math.floor(next() * 3));
              }
            }),
          ).finally(() => (writing = false));
          await Promise.all([write, tail()]);

          const { rows } = await fx.db.query({
            text: `SELECT id, tenant, tx_id::text AS tx FROM ${fx.schema}.r${index}_events`,
            params: [],
          });
          const maxTx = rows.map((r) => BigInt(r["tx"] as string)).reduce((a, b) => (a > b ? a : b));
          // Under narrower scopes the feed shows an event once the horizon has passed its
          // transaction; under the global scope at once.
          if (scope.name !== "global") await gates.horizonPast(String(maxTx));
          await everyone.drain();
          for (const reader of perTenant) await reader.drain();

          const ids = everyone.seen.map((e) => e.id);
          assert.equal(new Set(ids).size, ids.length, "no event twice");
          assert.deepEqual([...ids].sort(), rows.map((r) => String(r["id"])).sort(), "every committed event");
          for (const [i, tenant] of TENANTS.entries()) {
            const mine = perTenant[i]!.seen.map((e) => e.id);
            assert.equal(new Set(mine).size, mine.length, `no event twice for ${tenant}`);
            assert.deepEqual(
              [...mine].sort(),
              rows.filter((r) => r["tenant"] === tenant).map((r) => String(r["id"])).sort(),
              `every event of ${tenant}, no other`,
            );
          }
        },
      );
    }
  },
);
