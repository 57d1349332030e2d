/**
 * The Executor port: the only way edge-events talks to Postgres.
 *
 * Adapters live in `src/drivers/*` (Neon HTTP, PGlite, node-postgres pools). No code path
 * may depend on an interactive transaction: a {@link Executor.batch} is one
 * non-interactive transaction sent in one round trip.
 * @module
 */

/**
 * A value bound to a statement parameter. JSON goes in as a string with an explicit
 * `::jsonb` cast in the SQL text; bigints and numbers as numbers or decimal strings.
 */
export type SqlParam =
  | string
  | number
  | bigint
  | boolean
  | null
  | Date
  | Uint8Array
  | readonly (string | number | bigint | boolean | null)[];

/** A compiled statement: SQL text with `$n` placeholders and its parameters. Always frozen. */
export interface SqlStatement {
  /** The SQL text; identifiers quoted, values only as `$n` placeholders. */
  readonly text: string;
  /** The values bound to `$1`, `$2`, ... */
  readonly params: readonly SqlParam[];
}

/**
 * One row, keyed by column name. Values are decoded the same way by every adapter:
 * int2/int4/float4/float8/oid → number; int8 → bigint; numeric → string; bool → boolean;
 * json/jsonb → parsed JSON; timestamptz/timestamp → Date; date → `YYYY-MM-DD` string;
 * bytea → Uint8Array; arrays → arrays of decoded elements; SQL NULL → null;
 * every other type → its Postgres text output.
 */
export type Row = Record<string, unknown>;

/** The outcome of one statement. */
export interface QueryResult<R extends Row = Row> {
  /** Decoded rows (empty for statements that return none). */
  readonly rows: R[];
  /** Rows affected or returned, as Postgres reports it; null where the tag carries none. */
  readonly rowCount: number | null;
  /** The first word of the command tag (`SELECT`, `INSERT`, ...). */
  readonly command: string;
}

/** Isolation levels a batch may request (Neon's header spelling). */
export type IsolationLevel = "ReadCommitted" | "RepeatableRead" | "Serializable";

/** Options of one batch transaction. */
export interface BatchOptions {
  /** Isolation level of the transaction; the database default when omitted. */
  readonly isolationLevel?: IsolationLevel;
  /** Run the transaction READ ONLY. */
  readonly readOnly?: boolean;
}

/**
 * The port every adapter implements.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { pglite } from "edge-events/pglite";
 *
 * const local = new PGlite();
 * const db = pglite(local); // neonHttp(neon(url)) and pgPool(pool) answer the same
 * await db.query({ text: "CREATE TABLE t (x int)", params: [] });
 * const [insert, count] = await db.batch([
 *   { text: "INSERT INTO t (x) VALUES ($1)", params: [1] },
 *   { text: "SELECT count(*)::int AS n FROM t", params: [] },
 * ]);
 * console.log(insert?.rowCount, count?.rows); // 1 [ { n: 1 } ]
 * await local.close();
 * ```
 */
export interface Executor {
  /** A short name of the adapter (`neon-http`, `pglite`, `pg-pool`), for diagnostics. */
  readonly kind: string;
  /**
   * Run one statement in autocommit mode.
   * @throws {StorageError} code `STORAGE_FAILURE` when the database rejects it
   */
  query<R extends Row = Row>(statement: SqlStatement): Promise<QueryResult<R>>;
  /**
   * Run statements in one atomic, non-interactive transaction, in one round trip.
   * All or nothing: on the first error nothing is committed and the error is thrown.
   * @throws {StorageError} code `STORAGE_FAILURE` when any statement or the commit fails
   */
  batch(statements: readonly SqlStatement[], options?: BatchOptions): Promise<QueryResult[]>;
}
