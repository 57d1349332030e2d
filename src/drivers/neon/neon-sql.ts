/**
 * The part of Neon's `neon()` query function that the adapter uses, typed structurally so
 * that nothing imports `@neondatabase/serverless`.
 * @module
 */
import type { IsolationLevel } from "../../core/executor.ts";

/** A pg-types style parser table; the adapter passes one that returns raw text. */
export interface NeonTypeParsers {
  /** The parser for a type OID. */
  getTypeParser(oid: number, format?: string): (value: string) => unknown;
}

/** Per-query options the adapter always sends: raw text rows as arrays, with the fields. */
export interface NeonQueryOptions {
  /** Rows as arrays in column order. */
  readonly arrayMode: true;
  /** The node-postgres style result (`fields`, `rows`, `command`, `rowCount`). */
  readonly fullResults: true;
  /** Parsers that keep every value as Postgres text. */
  readonly types: NeonTypeParsers;
}

/** Options of one `transaction()` call. */
export interface NeonTransactionOptions extends NeonQueryOptions {
  /** Sent as the `Neon-Batch-Isolation-Level` header. */
  readonly isolationLevel?: IsolationLevel;
  /** Sent as the `Neon-Batch-Read-Only` header. */
  readonly readOnly?: boolean;
}

/** A full result of the driver with raw text values. */
export interface NeonRawResult {
  /** Result columns with their type OIDs. */
  readonly fields: readonly { readonly name: string; readonly dataTypeID: number }[];
  /** Rows as arrays of text values or null. */
  readonly rows: readonly (readonly unknown[])[];
  /** First word of the command tag (`""` for an empty query). */
  readonly command: string;
  /** Row count of the command tag, or null. */
  readonly rowCount: number | null;
}

/**
 * What `neon(connectionString)` returns, as far as the adapter needs it: `query()` builds a
 * lazy query (sent when awaited), and `transaction()` sends several in one HTTP request.
 */
export interface NeonSql {
  /** Build a query; it runs when awaited, or as part of a `transaction()`. */
  query(text: string, params: (string | null)[], options: NeonQueryOptions): PromiseLike<NeonRawResult>;
  /**
   * Send queries built by `query()` as one non-interactive transaction. The adapter passes
   * exactly what its own `query()` calls returned; the parameter is typed `never[]` because
   * the driver's types tie a transaction's queries to the function's default modes, which
   * the per-query options the adapter uses do not match.
   */
  transaction(queries: never[], options: NeonTransactionOptions): Promise<NeonRawResult[]>;
}
