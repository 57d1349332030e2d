/**
 * The Executor over Neon's SQL-over-HTTP driver: one HTTP request per query or batch.
 * @module
 */
import type { BatchOptions, Executor, QueryResult, Row, SqlStatement } from "../../core/executor.ts";
import { checkBatchOptions } from "../batch-options.ts";
import { decodeAnswer, driverCall } from "../failure/mod.ts";
import { encodeParams } from "../pg-text/mod.ts";
import { neonFailure } from "./neon-failure.ts";
import type { NeonQueryOptions, NeonSql, NeonTransactionOptions } from "./neon-sql.ts";

const rawText = (value: string): string => value;

const QUERY_OPTIONS: NeonQueryOptions = Object.freeze({
  arrayMode: true,
  fullResults: true,
  types: Object.freeze({ getTypeParser: () => rawText }),
});

/**
 * Create an {@link Executor} over the query function of `@neondatabase/serverless`.
 *
 * Every `query` and every `batch` is exactly one HTTP request; a batch is Neon's
 * non-interactive `transaction()`. Values come back as raw text and are decoded the same
 * way as in every other adapter, whatever the driver's own type parsers would do.
 *
 * @param sql what `neon(connectionString)` returns
 * @returns the executor (`kind` is `neon-http`)
 * @throws {StorageError} (code `STORAGE_FAILURE`, from `query`/`batch`) when the request fails;
 *   `outcomeUnknown` tells whether it may have committed
 * @example
 * ```ts
 * import { neon } from "@neondatabase/serverless";
 * import { neonHttp } from "edge-events/neon";
 *
 * async function now(databaseUrl: string): Promise<unknown> {
 *   const db = neonHttp(neon(databaseUrl));
 *   const { rows } = await db.query({ text: "SELECT now() AS at", params: [] });
 *   return rows[0]?.["at"]; // a Date, as from every executor
 * }
 * ```
 */
export function neonHttp(sql: NeonSql): Executor {
  return Object.freeze({
    kind: "neon-http",
    async query<R extends Row = Row>(statement: SqlStatement): Promise<QueryResult<R>> {
      const params = encodeParams(statement.params);
      const raw = await driverCall(
        () => sql.query(statement.text, params, QUERY_OPTIONS),
        (e) => neonFailure(e, params),
      );
      return decodeAnswer(raw) as QueryResult<R>;
    },
    async batch(statements: readonly SqlStatement[], options: BatchOptions = {}): Promise<QueryResult[]> {
      checkBatchOptions(options);
      if (statements.length === 0) return [];
      const encoded = statements.map((statement) => encodeParams(statement.params));
      const all = encoded.flat();
      const raws = await driverCall(() => {
        // Built lazily and never awaited one by one: `transaction()` sends them together.
        const queries = statements.map((statement, index) => sql.query(statement.text, encoded[index]!, QUERY_OPTIONS));
        return sql.transaction(queries as never[], transactionOptions(options));
      }, (e) => neonFailure(e, all));
      return raws.map(decodeAnswer);
    },
  });
}

function transactionOptions(options: BatchOptions): NeonTransactionOptions {
  return {
    ...QUERY_OPTIONS,
    ...(options.isolationLevel === undefined ? {} : { isolationLevel: options.isolationLevel }),
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
  };
}
