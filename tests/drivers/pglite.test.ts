// PGlite specifics: one connection, so the adapter must run calls one at a time.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import { StorageError } from "../../src/core/errors.ts";
import type { Executor } from "../../src/core/executor.ts";
import { pglite, type PgliteLike } from "../../src/drivers/pglite/mod.ts";
import { newPglite, pgliteSnapshot } from "../support/pglite-snapshot.ts";

/**
 * The same instance, but with transactions made of plain BEGIN/COMMIT queries: PGlite's own
 * transaction lock is gone, so only the adapter's queue keeps other calls out of a batch.
 */
function withoutTransactionLock(instance: PGlite): PgliteLike {
  return {
    waitReady: instance.waitReady,
    get parsers() {
      return instance.parsers;
    },
    get serializers() {
      return instance.serializers;
    },
    query: (text, params, options) => instance.query(text, params, options),
    async transaction(callback) {
      await instance.query("BEGIN");
      try {
        const result = await callback({ query: (text, params, options) => instance.query(text, params, options) });
        await instance.query("COMMIT");
        return result;
      } catch (error) {
        await instance.query("ROLLBACK");
        throw error;
      }
    },
  };
}

/** Fire batches and queries without awaiting, then check each saw a committed state, in call order. */
async function assertSerialized(db: Executor): Promise<void> {
  await db.query({ text: "CREATE TABLE IF NOT EXISTS hits (n int)", params: [] });
  await db.query({ text: "DELETE FROM hits", params: [] });
  const failing: Promise<unknown>[] = [];
  const counts: Promise<{ expected: number; seen: number }>[] = [];
  let committed = 0;
  for (let i = 0; i < 30; i++) {
    failing.push(
      db.batch([
        { text: "INSERT INTO hits VALUES ($1)", params: [i] },
        { text: "SELECT 1 / 0 AS boom", params: [] },
      ]).then(() => assert.fail("the batch should fail"), (err: unknown) => err),
    );
    const expectedByQuery = committed;
    counts.push(
      db.query<{ n: number }>({ text: "SELECT count(*)::int AS n FROM hits", params: [] })
        .then(({ rows }) => ({ expected: expectedByQuery, seen: rows[0]!.n })),
    );
    committed++;
    const expectedInBatch = committed;
    counts.push(
      db.batch([
        { text: "INSERT INTO hits VALUES ($1)", params: [i] },
        { text: "SELECT count(*)::int AS n FROM hits", params: [] },
      ]).then(([, count]) => ({ expected: expectedInBatch, seen: count!.rows[0]!["n"] as number })),
    );
  }
  for (const err of await Promise.all(failing)) {
    assert.ok(err instanceof StorageError);
    assert.equal(err.sqlState, "22012");
  }
  for (const { expected, seen } of await Promise.all(counts)) assert.equal(seen, expected);
}

describe("pglite()", () => {
  let instance: PGlite;
  // Started from the suites' snapshot of an empty cluster; the tests of start-up and of a data
  // directory below start theirs the plain way.
  before(async () => {
    instance = await newPglite();
  });
  after(() => instance.close());

  test("concurrent batches and queries run one at a time, in call order", async () => {
    await assertSerialized(pglite(instance));
  });

  test("the adapter's own queue keeps queries out of a batch even without PGlite's transaction lock", async () => {
    await assertSerialized(pglite(withoutTransactionLock(instance)));
  });

  test("the instance's own parsers and serializers do not change results", async () => {
    const custom = await newPglite({
      parsers: { 20: () => "parsed by the instance", 1184: () => "parsed" },
      serializers: { 17: () => "\\xff" },
    });
    try {
      const { rows } = await pglite(custom).query({
        text: "SELECT 5::int8 AS n, '2024-01-02 03:04:05+00'::timestamptz AS at, $1::bytea AS b",
        params: [new Uint8Array([1])],
      });
      assert.deepStrictEqual(rows, [{ n: 5n, at: new Date("2024-01-02T03:04:05Z"), b: new Uint8Array([1]) }]);
    } finally {
      await custom.close();
    }
  });

  test("the first call may come before the instance is ready", async () => {
    // Loading the snapshot is asynchronous as initdb is, at a sixth of its cost.
    const fresh = new PGlite({ loadDataDir: await pgliteSnapshot() });
    try {
      const { rows } = await pglite(fresh).query({ text: "SELECT ARRAY[1, 2]::int8[] AS xs", params: [] });
      assert.deepStrictEqual(rows, [{ xs: [1n, 2n] }]);
    } finally {
      await fresh.close();
    }
  });

  test("works over a data directory, and the data outlives the instance", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edge-events-pglite-"));
    try {
      // A new directory filled from the snapshot of an empty cluster rather than by initdb.
      const first = new PGlite(dir, { loadDataDir: await pgliteSnapshot() });
      await pglite(first).batch([
        { text: "CREATE TABLE kept (v text)", params: [] },
        { text: "INSERT INTO kept VALUES ($1)", params: ["durable"] },
      ]);
      await first.close();
      const second = new PGlite(dir);
      try {
        const { rows } = await pglite(second).query({ text: "SELECT v FROM kept", params: [] });
        assert.deepStrictEqual(rows, [{ v: "durable" }]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
