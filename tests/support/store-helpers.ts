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
