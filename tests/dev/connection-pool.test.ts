/**
 * Upstream connections of the local server: one global cap across every pool key, idle
 * eviction, and memory flat under many distinct keys (counted, not timed).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { ConnectionPool } from "../../src/dev/connection-pool.ts";
import { localFetchEndpoint, type SqlOverHttpServer, startSqlOverHttpServer } from "../../src/dev/mod.ts";
import { DATABASE, DATABASE_URL, uniqueName } from "./harness.ts";

interface Fake {
  readonly key: string;
  closed: boolean;
}

function fakePool(maxConnections: number, clock = { now: 0 }) {
  const opened: Fake[] = [];
  const pool = new ConnectionPool<Fake>({
    maxConnections,
    idleTimeoutMs: 1000,
    close: (connection) => ((connection.closed = true), Promise.resolve()),
    now: () => clock.now,
  });
  const open = (key: string) => () => {
    const connection = { key, closed: false };
    opened.push(connection);
    return Promise.resolve(connection);
  };
  return { pool, opened, open, clock };
}

describe("the connection pool of the local server", () => {
  test("many distinct keys one after the other never hold more than the cap, and leave nothing behind", async () => {
    const { pool, opened, open } = fakePool(3);
    for (let i = 0; i < 200; i++) {
      const key = `app-${i}`;
      const connection = await pool.acquire(key, open(key));
      assert.ok(pool.stats().open <= 3);
      pool.release(key, connection, true);
      const stats = pool.stats();
      assert.ok(stats.open <= 3 && stats.keys <= 3, JSON.stringify(stats));
    }
    assert.equal(opened.filter((c) => !c.closed).length, 3);
    assert.equal(pool.closeIdle(), 3);
    assert.deepStrictEqual(pool.stats(), { open: 0, idle: 0, waiting: 0, keys: 0 });
    assert.equal(opened.every((c) => c.closed), true);
  });

  test("an idle connection of the same key is reused; the least recently used idle one is evicted for a new key", async () => {
    const { pool, opened, open } = fakePool(2);
    const a = await pool.acquire("a", open("a"));
    pool.release("a", a, true);
    const b = await pool.acquire("b", open("b"));
    pool.release("b", b, true);
    assert.equal(await pool.acquire("a", open("a")), a);
    pool.release("a", a, true); // now b is the least recently used
    const c = await pool.acquire("c", open("c"));
    assert.deepStrictEqual([b.closed, a.closed, opened.length], [true, false, 3]);
    pool.release("c", c, false); // not reusable: closed at once
    assert.deepStrictEqual([c.closed, pool.stats()], [true, { open: 1, idle: 1, waiting: 0, keys: 1 }]);
  });

  test("requests beyond the cap wait in order, and an aborted wait leaves no trace", async () => {
    const { pool, open } = fakePool(2);
    const lent = [await pool.acquire("k0", open("k0")), await pool.acquire("k1", open("k1"))];
    const order: string[] = [];
    const abort = new AbortController();
    const waiting = ["k2", "k3", "k4"].map((key, i) =>
      pool.acquire(key, open(key), i === 1 ? abort.signal : undefined).then(
        (connection) => (order.push(key), connection),
        () => (order.push(`${key} aborted`), null),
      )
    );
    assert.deepStrictEqual(pool.stats(), { open: 2, idle: 0, waiting: 3, keys: 5 });
    abort.abort();
    await waiting[1];
    assert.deepStrictEqual(pool.stats(), { open: 2, idle: 0, waiting: 2, keys: 4 });
    pool.release("k0", lent[0] as Fake, true); // idle, but of another key: closed for k2
    const k2 = await waiting[0];
    assert.deepStrictEqual(order, ["k3 aborted", "k2"]);
    pool.release("k1", lent[1] as Fake, false);
    const k4 = await waiting[2];
    assert.deepStrictEqual(order, ["k3 aborted", "k2", "k4"]);
    pool.release("k2", k2 as Fake, true);
    pool.release("k4", k4 as Fake, true);
    assert.deepStrictEqual(pool.stats(), { open: 2, idle: 2, waiting: 0, keys: 2 });
    await pool.close();
    assert.deepStrictEqual(pool.stats(), { open: 0, idle: 0, waiting: 0, keys: 0 });
  });

  test("the idle timeout closes only connections idle for that long", async () => {
    const { pool, open, clock } = fakePool(4);
    const old = await pool.acquire("old", open("old"));
    pool.release("old", old, true);
    clock.now = 600;
    const fresh = await pool.acquire("fresh", open("fresh"));
    pool.release("fresh", fresh, true);
    clock.now = 1000;
    assert.equal(pool.closeIdle(1000), 1);
    assert.deepStrictEqual([old.closed, fresh.closed, pool.stats().keys], [true, false, 1]);
    clock.now = 1600;
    assert.equal(pool.closeIdle(1000), 1);
    assert.deepStrictEqual(pool.stats(), { open: 0, idle: 0, waiting: 0, keys: 0 });
    await pool.close();
  });

  test("a failed open frees its slot for the next request", async () => {
    const { pool, open } = fakePool(1);
    await assert.rejects(pool.acquire("bad", () => Promise.reject(new Error("refused"))), /refused/);
    assert.deepStrictEqual(pool.stats(), { open: 0, idle: 0, waiting: 0, keys: 0 });
    const ok = await pool.acquire("good", open("good"));
    pool.release("good", ok, true);
    await pool.close();
  });

  test("a cap below one is a RangeError", () => {
    assert.throws(
      () => new ConnectionPool({ maxConnections: 0, idleTimeoutMs: 1, close: () => Promise.resolve() }),
      RangeError,
    );
  });
});

describe("the local server under many distinct connection strings", () => {
  const prefix = uniqueName("eedev_cap");
  let server: SqlOverHttpServer;
  let oracle: pg.Client;
  const sqlFor = (app: string) =>
    neon(`postgres://postgres:pw@localhost:${server.port}/${encodeURIComponent(DATABASE)}?application_name=${app}`);
  const upstreamConnections = async (): Promise<number> =>
    ((await oracle.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1", [
      `${prefix}%`,
    ]))
      .rows[0] as { n: number }).n;

  before(async () => {
    server = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0, maxConnections: 3 });
    neonConfig.fetchEndpoint = localFetchEndpoint;
    oracle = new pg.Client({ connectionString: DATABASE_URL });
    await oracle.connect();
  });

  after(async () => {
    await server.close();
    await oracle.end();
  });

  test("the cap holds across keys while requests block, and the rest wait for a connection", async () => {
    const lock = 872_301;
    await oracle.query("SELECT pg_advisory_lock($1)", [lock]);
    const blocked = Array.from(
      { length: 6 },
      (_, i) => sqlFor(`${prefix}_${i}`)`SELECT pg_advisory_lock_shared(${lock}) AS l`.then((rows) => rows),
    );
    try {
      // Three requests hold the three connections and block on the lock; three wait.
      for (let i = 0; i < 600; i++) {
        const stats = server.connectionStats();
        if (stats.open === 3 && stats.waiting === 3 && (await upstreamConnections()) === 3) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.deepStrictEqual(server.connectionStats(), { open: 3, idle: 0, waiting: 3, keys: 6 });
      assert.equal(await upstreamConnections(), 3);
    } finally {
      await oracle.query("SELECT pg_advisory_unlock($1)", [lock]);
    }
    assert.equal((await Promise.all(blocked)).length, 6);
    const stats = server.connectionStats();
    assert.deepStrictEqual([stats.open, stats.waiting], [3, 0]);
    assert.ok(stats.keys <= 3);
  });

  test("forty distinct application names leave at most the cap behind, and eviction frees every key", async () => {
    for (let i = 0; i < 40; i++) {
      await sqlFor(`${prefix}_seq_${i}`)`SELECT 1`;
      const stats = server.connectionStats();
      assert.ok(stats.open <= 3 && stats.keys <= 3, JSON.stringify(stats));
    }
    assert.equal(server.closeIdleConnections(), 3);
    assert.deepStrictEqual(server.connectionStats(), { open: 0, idle: 0, waiting: 0, keys: 0 });
    assert.deepStrictEqual(await sqlFor(`${prefix}_after`)`SELECT 1 AS one`, [{ one: 1 }]);
  });
});
