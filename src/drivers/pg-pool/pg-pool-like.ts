/**
 * The part of the node-postgres Pool API the adapter uses, typed structurally: `pg.Pool`
 * (TCP) and Neon's WebSocket `Pool` both fit, and nothing imports either package.
 * @module
 */

/** A pg-types style parser table; the adapter passes one that returns raw text. */
export interface PgTypeParsers {
  /** The parser for a type OID. */
  getTypeParser(oid: number, format?: "text"): (value: string) => string;
}

/** The query config the adapter sends: raw text values, rows as arrays. */
export interface PgQueryConfig {
  /** SQL text with `$n` placeholders. */
  readonly text: string;
  /** Parameters as Postgres text (or null). */
  readonly values: (string | null)[];
  /** Rows as arrays in column order. */
  readonly rowMode: "array";
  /** Parsers that keep every value as Postgres text. */
  readonly types: PgTypeParsers;
  /**
   * Always use the extended protocol (pg 8.11 and later; older versions ignore it), so that
   * a statement without parameters is still one statement, as over Neon's HTTP endpoint.
   */
  readonly queryMode: "extended";
}

/** A result with raw text values. */
export interface PgRawResult {
  /** Result columns with their type OIDs. */
  readonly fields: readonly { readonly name: string; readonly dataTypeID: number }[];
  /** Rows as arrays of text values or null. */
  readonly rows: readonly (readonly unknown[])[];
  /** First word of the command tag; null for an empty query. */
  readonly command: string | null;
  /** Row count of the command tag, or null. */
  readonly rowCount: number | null;
}

/** A client checked out of the pool. */
export interface PgPoolClientLike {
  /** Run one statement on this connection. */
  query(config: PgQueryConfig): Promise<PgRawResult>;
  /** Return the client to the pool; with an error (or `true`) the connection is destroyed. */
  release(destroy?: Error | boolean): void;
  /**
   * Listen for connection errors. While a client is checked out, node-postgres throws an
   * `error` event nobody listens to as an uncaught exception, so the adapter listens.
   */
  on?(event: "error", listener: (error: Error) => void): unknown;
  /** Stop listening (before the client goes back to the pool). */
  removeListener?(event: "error", listener: (error: Error) => void): unknown;
}

/** A node-postgres compatible pool. */
export interface PgPoolLike {
  /** Check a client out for a transaction. */
  connect(): Promise<PgPoolClientLike>;
  /** Run one statement on any pooled connection. */
  query(config: PgQueryConfig): Promise<PgRawResult>;
}
