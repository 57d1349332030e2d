// node-postgres pool specifics: clients go back to the pool, broken ones are destroyed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Pool as NeonPool } from "@neondatabase/serverless";
import pg from "pg";
import { StorageError } from "../../src/core/errors.ts";
import { pgPool } from "../../src/drivers/pg-pool/mod.ts";
import { databaseUrl } from "../support/database.ts";

describe("pgPool()", () => {
  let pool: pg.Pool;
  before(() => {
    pool = new pg.Pool({ connectionString: databaseUrl(), max: 1, connectionTimeoutMillis: 5000 });
  });
  after(() => pool.end());

  test("a failed batch rolls back and returns its client to the pool intact", async () => {
    const db = pgPool(pool);
    await assert.rejects(
      db.batch([
        { text: "CREATE TEMP TABLE t (x int)", params: [] },
        { text: "SELECT 1 / 0", params: [] },
      ]),
      (err: unknown) => err instanceof StorageError && err.sqlState === "22012",
    );
    assert.equal(pool.totalCount, 1);
    assert.equal(pool.idleCount, 1);
    const { rows } = await db.query({ text: "SELECT to_regclass('pg_temp.t') IS NULL AS gone", params: [] });
    assert.deepStrictEqual(rows, [{ gone: true }], "the temp table was rolled back");
    const [result] = await db.batch([{ text: "SELECT 1 AS one", params: [] }]);
    assert.deepStrictEqual(result!.rows, [{ one: 1 }], "the same client runs the next batch");
  });

  test("a batch whose connection dies destroys that client; nothing committed", async () => {
    const db = pgPool(pool);
    await db.query({ text: "CREATE TABLE IF NOT EXISTS pg_pool_probe (x int)", params: [] });
    await db.query({ text: "DELETE FROM pg_pool_probe", params: [] });
    const err = await db
      .batch([
        { text: "INSERT INTO pg_pool_probe VALUES (1)", params: [] },
        { text: "SELECT pg_terminate_backend(pg_backend_pid())", params: [] },
      ])
      .then(() => assert.fail("expected a failure"), (e: unknown) => e);
    assert.ok(err instanceof StorageError);
    assert.equal(err.sqlState, "57P01");
    assert.equal(err.outcomeUnknown, false);
    assert.equal(pool.totalCount, 0, "the broken client was destroyed, not pooled");
    const { rows } = await db.query({ text: "SELECT count(*)::int AS n FROM pg_pool_probe", params: [] });
    assert.deepStrictEqual(rows, [{ n: 0 }]);
    await db.query({ text: "DROP TABLE pg_pool_probe", params: [] });
  });

  test("an unreachable database gives StorageError without SQLSTATE or connection string", async () => {
    const secretUrl = "postgres://postgres:hunter2secret@127.0.0.1:1/test";
    const unreachable = new pg.Pool({ connectionString: secretUrl, connectionTimeoutMillis: 2000 });
    try {
      const db = pgPool(unreachable);
      const fromBatch = await db.batch([{ text: "SELECT 1", params: [] }]).catch((e: unknown) => e);
      assert.ok(fromBatch instanceof StorageError);
      assert.equal(fromBatch.sqlState, undefined);
      assert.equal(fromBatch.outcomeUnknown, false, "nothing was sent");
      assert.match(fromBatch.message, /^Could not get a database connection/);
      const fromQuery = await db.query({ text: "SELECT 1", params: [] }).catch((e: unknown) => e);
      assert.ok(fromQuery instanceof StorageError);
      assert.equal(fromQuery.sqlState, undefined);
      assert.equal(fromQuery.outcomeUnknown, true, "an autocommit statement may have run");
      for (const err of [fromBatch, fromQuery]) assert.doesNotMatch(err.message, /hunter2secret|postgres:\/\//);
    } finally {
      await unreachable.end();
    }
  });

  test("accepts Neon's WebSocket Pool (same API, checked by the type checker)", async () => {
    const neonPool = new NeonPool({ connectionString: "postgres://user:pw@localhost/db" });
    assert.equal(pgPool(neonPool).kind, "pg-pool");
    await neonPool.end();
  });
});
