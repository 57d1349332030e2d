/**
 * Fault injection of the local server: what the driver sees, and what reached the database.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { neon } from "@neondatabase/serverless";
import type pg from "pg";
import type { SqlOverHttpServer } from "../../src/dev/mod.ts";
import { pause, rejection, startLocalRig, uniqueName } from "./harness.ts";

describe("fault injection of the local server", () => {
  const schema = uniqueName("eedev_fault");
  let server: SqlOverHttpServer;
  let oracle: pg.Client;
  let sql: ReturnType<typeof neon>;
  const count = async (): Promise<number> =>
    ((await oracle.query(`SELECT count(*)::int AS n FROM ${schema}.log`)).rows[0] as { n: number }).n;

  before(async () => {
    ({ server, oracle, sql } = await startLocalRig(schema));
    await oracle.query(`CREATE TABLE ${schema}.log (id int PRIMARY KEY)`);
  });

  after(async () => {
    server.faults.clear();
    await server.close();
    await oracle.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await oracle.end();
  });

  test("drop-after-commit commits the batch although the driver sees a network error", async () => {
    server.faults.once("drop-after-commit", { match: (body) => JSON.stringify(body).includes("log VALUES (1)") });
    const err = await rejection(sql.transaction([sql.query(`INSERT INTO ${schema}.log VALUES (1)`)]));
    assert.match(err.message, /^Error connecting to database/);
    assert.equal(await count(), 1);
    assert.deepStrictEqual(await sql.transaction([sql.query(`INSERT INTO ${schema}.log VALUES (2)`)]), [[]]);
    assert.equal(await count(), 2);
  });

  test("fail-before-execution answers 503 and writes nothing, as many times as asked", async () => {
    const before = await count();
    server.faults.once("fail-before-execution", { times: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await rejection(sql.query(`INSERT INTO ${schema}.log VALUES (3)`));
      assert.match(err.message, /^Server error \(HTTP status 503\)/);
    }
    assert.equal(await count(), before);
    await sql.query(`INSERT INTO ${schema}.log VALUES (3)`);
    assert.equal(await count(), before + 1);
  });

  test("a fault that matches no request stays armed until clear()", async () => {
    server.faults.once("fail-before-execution", { match: () => false });
    assert.deepStrictEqual(await sql`SELECT 1 AS one`, [{ one: 1 }]);
    server.faults.clear();
    assert.equal(server.faults.latencyMs, 0);
  });

  test("a request aborted during injected latency is never executed", async () => {
    server.faults.set({ latencyMs: 1_000 });
    const before = await count();
    const err = await rejection(
      sql.query(`INSERT INTO ${schema}.log VALUES (4)`, [], { fetchOptions: { signal: AbortSignal.timeout(100) } }),
    );
    assert.match(err.message, /^Error connecting to database/);
    server.faults.set({ latencyMs: 0 });
    await pause(1_200);
    assert.equal(await count(), before);
  });

  test("the counters see every POST and tell queries from batches", async () => {
    const start = { ...server.stats };
    await sql`SELECT 1`;
    await sql.transaction([sql`SELECT 1`]);
    assert.deepStrictEqual(
      [
        server.stats.requests - start.requests,
        server.stats.queries - start.queries,
        server.stats.batches - start.batches,
      ],
      [2, 1, 1],
    );
  });
});
