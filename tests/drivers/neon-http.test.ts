// Neon HTTP specifics: one request per call, and what a lost or refused request means.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { neon } from "@neondatabase/serverless";
import { StorageError } from "../../src/core/errors.ts";
import { neonHttp } from "../../src/drivers/neon/mod.ts";
import { databaseName, localServerUrl } from "../support/database.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const err = await promise.then(() => assert.fail("expected a failure"), (e: unknown) => e);
  assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
  return err;
}

describe("neonHttp()", () => {
  let fx: ExecutorFixture;
  let table: string;
  const mine = (body: unknown): boolean => JSON.stringify(body).includes(fx.schema);

  before(async () => {
    const [neonCase] = executorCases(["neon-http"]);
    fx = await neonCase!.setup();
    table = `${fx.schema}.notes`;
    await fx.db.query({ text: `CREATE TABLE ${table} (id int PRIMARY KEY)`, params: [] });
  });
  after(() => fx.close());

  test("each query and each batch is exactly one HTTP request; an empty batch is none", async () => {
    const start = fx.requests()!;
    await fx.db.query({ text: "SELECT 1", params: [] });
    assert.equal(fx.requests()! - start, 1);
    await fx.db.batch([
      { text: `INSERT INTO ${table} VALUES ($1)`, params: [1] },
      { text: `INSERT INTO ${table} VALUES ($1)`, params: [2] },
      { text: `SELECT count(*) FROM ${table}`, params: [] },
    ]);
    assert.equal(fx.requests()! - start, 2);
    await failure(fx.db.batch([{ text: `INSERT INTO ${table} VALUES ($1)`, params: [1] }]));
    assert.equal(fx.requests()! - start, 3);
    await fx.db.batch([]);
    assert.equal(fx.requests()! - start, 3);
    await fx.db.query({ text: `DELETE FROM ${table}`, params: [] });
  });

  test("the executor and a connection string for the local server reach the database DATABASE_URL names", async () => {
    const query = { text: "SELECT current_database() AS db", params: [] };
    assert.deepStrictEqual((await fx.db.query(query)).rows, [{ db: databaseName() }]);
    assert.deepStrictEqual((await neonHttp(neon(localServerUrl(fx.server!.port))).query(query)).rows, [{
      db: databaseName(),
    }]);
  });

  test("the modes set on neon() itself do not change results", async () => {
    const url = localServerUrl(fx.server!.port);
    for (const sql of [neon(url), neon(url, { arrayMode: true, fullResults: false })]) {
      const { rows, command } = await neonHttp(sql).query({ text: "SELECT 1::int8 AS n, 'x' AS s", params: [] });
      assert.deepStrictEqual(rows, [{ n: 1n, s: "x" }]);
      assert.equal(command, "SELECT");
    }
  });

  test("a response lost after the commit: outcome unknown, and the write did commit", async () => {
    fx.server!.faults.once("drop-after-commit", { match: mine });
    const err = await failure(fx.db.batch([{ text: `INSERT INTO ${table} VALUES ($1)`, params: [7] }]));
    if ("Deno" in globalThis) {
      // Deno's fetch silently re-sends a POST whose keep-alive connection closed without an
      // answer; the second run then hits the row the first one committed.
      assert.equal(err.sqlState, "23505");
    } else {
      assert.equal(err.sqlState, undefined);
      assert.equal(err.outcomeUnknown, true);
      assert.match(err.message, /outcome is unknown/);
    }
    const { rows } = await fx.db.query({ text: `SELECT id FROM ${table}`, params: [] });
    assert.deepStrictEqual(rows, [{ id: 7 }], "this is why callers may only retry idempotently");
    await fx.db.query({ text: `DELETE FROM ${table}`, params: [] });
  });

  test("an HTTP 5xx answer is reported with its status, outcome unknown", async () => {
    fx.server!.faults.once("fail-before-execution", { match: mine });
    const err = await failure(fx.db.query({ text: `SELECT count(*) FROM ${table}`, params: [] }));
    assert.equal(err.sqlState, undefined);
    assert.equal(err.outcomeUnknown, true);
    assert.match(err.message, /HTTP 503/);
  });

  test("a request the endpoint refuses (an auth token, which it does not take): no SQLSTATE, nothing ran", async () => {
    const db = neonHttp(neon(localServerUrl(fx.server!.port), { authToken: "eyJhbGciOiJub25lIn0.e30." }));
    const err = await failure(db.query({ text: "SELECT 1", params: [] }));
    assert.equal(err.sqlState, undefined);
    assert.equal(err.outcomeUnknown, false);
    assert.match(err.message, /^The SQL-over-HTTP endpoint rejected the request: /);
  });

  test("an unreachable endpoint: no SQLSTATE, outcome unknown, no connection string in the message", async () => {
    const port = await freePort();
    const db = neonHttp(neon(localServerUrl(port, { password: "hunter2secret" })));
    const calls = [
      () => db.query({ text: "SELECT 1", params: [] }),
      () => db.batch([{ text: "SELECT 1", params: [] }]),
    ];
    for (const call of calls) {
      const err = await failure(call());
      assert.equal(err.sqlState, undefined);
      assert.equal(err.outcomeUnknown, true);
      assert.match(err.message, /request failed before an answer arrived/);
      assert.doesNotMatch(err.message, /hunter2secret|postgres(ql)?:\/\//);
      assert.equal((err.cause as Error).name, "NeonDbError");
    }
  });
});
