/**
 * The part of a PGlite instance the adapter uses, typed structurally so that nothing
 * imports `@electric-sql/pglite`.
 * @module
 */

/** Per-query options the adapter sends: rows as arrays, every value kept as text. */
export interface PgliteQueryOptions {
  /** Rows as arrays in column order. */
  readonly rowMode: "array";
  /** A parser per OID the instance would otherwise parse, each returning its input. */
  readonly parsers: Readonly<Record<number, (value: string) => string>>;
  /** A serializer per OID the instance would otherwise apply, each returning its input. */
  readonly serializers: Readonly<Record<number, (value: string) => string>>;
}

/** A result with raw text values. */
export interface PgliteRawResult {
  /** Result columns with their type OIDs. */
  readonly fields: readonly { readonly name: string; readonly dataTypeID: number }[];
  /** Rows as arrays of text values or null. */
  readonly rows: readonly unknown[];
  /** First word of the command tag; absent for an empty query. */
  readonly command?: string | undefined;
  /** Row count of the command tag; absent when the tag carries none. */
  readonly rowCount?: number | undefined;
}

/** What `transaction()` hands its callback. */
export interface PgliteTransactionLike {
  /** Run one statement inside the transaction. */
  query(text: string, params: (string | null)[], options: PgliteQueryOptions): Promise<PgliteRawResult>;
}

/** A PGlite instance (`new PGlite()`, `await PGlite.create(...)`), in memory or on disk. */
export interface PgliteLike {
  /**
   * Settles when the instance has started. The adapter awaits it before reading `parsers`,
   * which gain the array types during start-up.
   */
  readonly waitReady?: Promise<void>;
  /** The instance's type parsers by OID (built-ins and array types). */
  readonly parsers: Readonly<Record<number | string, unknown>>;
  /** The instance's parameter serializers by OID. */
  readonly serializers: Readonly<Record<number | string, unknown>>;
  /** Run one statement. */
  query(text: string, params: (string | null)[], options: PgliteQueryOptions): Promise<PgliteRawResult>;
  /** Run a callback in BEGIN/COMMIT, rolling back when it throws. */
  transaction<T>(callback: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
}
