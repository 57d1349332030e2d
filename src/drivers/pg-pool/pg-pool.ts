/**
 * The Executor over a node-postgres compatible pool (`pg.Pool`, Neon's WebSocket `Pool`).
 * @module
 */
import { StorageError } from "../../core/errors.ts";
import type { BatchOptions, Executor, QueryResult, Row, SqlStatement } from "../../core/executor.ts";
import { checkBatchOptions, transactionModesSql } from "../batch-options.ts";
import { decodeAnswer, driverCall } from "../failure/mod.ts";
import { type EncodedParam, encodeParams } from "../pg-text/mod.ts";
import { pgFailure } from "./pg-failure.ts";
import type { PgPoolClientLike, PgPoolLike, PgQueryConfig, PgRawResult, PgTypeParsers } from "./pg-pool-like.ts";

const rawText = (value: string): string => value;
const RAW_TEXT: PgTypeParsers = Object.freeze({ getTypeParser: () => rawText });

/**
 * Create an {@link Executor} over a node-postgres compatible pool.
 *
 * `query` runs on any pooled connection. `batch` checks a client out and runs
 * `BEGIN [ISOLATION LEVEL ...][, READ ONLY]`, the statements and `COMMIT` on it (one
 * round trip per statement); on failure it rolls back and returns the client, destroying
 * it only when the rollback fails too. Values are decoded the same way as in every other
 * adapter, whatever the pool's type parsers are.
 *
 * @param pool a `pg.Pool` or Neon's `Pool`; the caller owns it and ends it
 * @returns the executor (`kind` is `pg-pool`)
 * @throws {StorageError} (code `STORAGE_FAILURE`, from `query`/`batch`) when the database or
 *   the connection fails; `outcomeUnknown` tells whether it may have committed
 * @example
 * ```ts
 * import pg from "pg";
 * import { pgPool } from "edge-events/pg";
 *
 * async function withPool(connectionString: string): Promise<void> {
 *   const pool = new pg.Pool({ connectionString });
 *   const db = pgPool(pool);
 *   // ... createEventStore({ db, ... }) and use it ...
 *   await pool.end();
 * }
 * ```
 */
export function pgPool(pool: PgPoolLike): Executor {
  return Object.freeze({
    kind: "pg-pool",
    async query<R extends Row = Row>(statement: SqlStatement): Promise<QueryResult<R>> {
      const params = encodeParams(statement.params);
      const raw = await driverCall(
        () => pool.query(queryConfig(statement.text, params)),
        (e) => pgFailure(e, params, "autocommit"),
      );
      return decodeAnswer(raw) as QueryResult<R>;
    },
    async batch(statements: readonly SqlStatement[], options: BatchOptions = {}): Promise<QueryResult[]> {
      checkBatchOptions(options);
      if (statements.length === 0) return [];
      const encoded = statements.map((statement) => encodeParams(statement.params));
      const all = encoded.flat();
      const client = await driverCall(() => pool.connect(), (e) => pgFailure(e, all, "connect"));
      const raws = await runTransaction(client, statements, encoded, options);
      return raws.map(decodeAnswer);
    },
  });
}

async function runTransaction(
  client: PgPoolClientLike,
  statements: readonly SqlStatement[],
  encoded: readonly EncodedParam[][],
  options: BatchOptions,
): Promise<PgRawResult[]> {
  let committing = false;
  // A dying connection also emits `error` on the client; the failing query reports it.
  const ignore = (): void => {};
  client.on?.("error", ignore);
  try {
    await client.query(queryConfig(`BEGIN ${transactionModesSql(options)}`.trimEnd(), []));
    const raws: PgRawResult[] = [];
    for (const [index, statement] of statements.entries()) {
      raws.push(await client.query(queryConfig(statement.text, encoded[index]!)));
    }
    committing = true;
    const commit = await client.query(queryConfig("COMMIT", []));
    if (commit.command === "ROLLBACK") throw rolledBackAtCommit();
    client.removeListener?.("error", ignore);
    client.release();
    return raws;
  } catch (error) {
    await rollbackAndRelease(client, error, ignore);
    if (error instanceof StorageError) throw error;
    throw pgFailure(error, encoded.flat(), committing ? "commit" : "transaction");
  }
}

/** Roll back; a client that cannot even do that is destroyed (keeping the error listener). */
async function rollbackAndRelease(client: PgPoolClientLike, cause: unknown, listener: () => void): Promise<void> {
  try {
    await client.query(queryConfig("ROLLBACK", []));
  } catch {
    client.release(cause instanceof Error ? cause : true);
    return;
  }
  client.removeListener?.("error", listener);
  client.release();
}

function rolledBackAtCommit(): StorageError {
  return new StorageError("The transaction was rolled back at COMMIT", { outcomeUnknown: false });
}

function queryConfig(text: string, values: EncodedParam[]): PgQueryConfig {
  return { text, values, rowMode: "array", types: RAW_TEXT, queryMode: "extended" };
}
