/**
 * Small helpers of the write-path suites: counting rows, reading raw event rows, and
 * catching typed errors.
 * @module
 */
import assert from "node:assert/strict";
import type { Executor, Row } from "../../src/core/executor.ts";
import { type EdgeEventsErrorCode, isEdgeEventsError } from "../../src/core/errors.ts";

/**
 * How many rows a table holds.
 *
 * @param db the executor
 * @param table a trusted, already qualified table name (`ee_1234.events`)
 * @returns the count
 */
export async function countRows(db: Executor, table: string): Promise<number> {
  const result = await db.query({ text: `SELECT count(*)::int AS n FROM ${table}`, params: [] });
  return Number(result.rows[0]?.["n"]);
}

/**
 * Every row of an event table, raw (column names as in the database), in position order.
 *
 * @param db the executor
 * @param table a trusted, already qualified table name
 * @returns the rows
 */
export async function eventRows(db: Executor, table: string): Promise<Row[]> {
  return (await db.query({ text: `SELECT * FROM ${table} ORDER BY "position"`, params: [] })).rows;
}

/**
 * Await a promise that must reject with an edge-events error of `code`, and return the error.
 *
 * @param promise the call
 * @param code the expected error code
 * @returns the error, for further assertions
 */
export async function rejectsWith<E = Error & { readonly code: EdgeEventsErrorCode }>(
  promise: Promise<unknown>,
  code: EdgeEventsErrorCode,
): Promise<E> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a rejection with ${code}, got a result`);
  assert.ok(isEdgeEventsError(caught, code), `expected ${code}, got ${String(caught)}`);
  return caught as E;
}

/**
 * Resolve once the visibility horizon is past `txId` (bounded, so that a cluster whose
 * horizon never moves fails the test instead of hanging it).
 */
export async function horizonPast(db: Executor, txId: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const { rows } = await db.query({
      text: "SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS past",
      params: [txId],
    });
    if (rows[0]!["past"] === true) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the visibility horizon stayed behind: a transaction of the cluster stayed open");
}

/**
 * Resolve once every event of `table` is below the visibility horizon, so that a snapshot read
 * under a narrower lock scope (readEvents without a recordId, readFeed) sees all of them. On
 * real Postgres the horizon is the cluster's: other suites' open transactions hold it back for
 * a while (the documented lag); on PGlite it is already past.
 *
 * @param db the executor
 * @param table a trusted, already qualified event table name
 */
export async function logPastHorizon(db: Executor, table: string): Promise<void> {
  const { rows } = await db.query({ text: `SELECT max(tx_id::text::numeric)::text AS tx FROM ${table}`, params: [] });
  if (rows[0]?.["tx"] != null) await horizonPast(db, String(rows[0]["tx"]));
}
