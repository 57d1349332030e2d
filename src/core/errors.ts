/**
 * Typed errors that callers of edge-events are expected to handle.
 *
 * Every error carries a stable `code` that is part of the public API. Use
 * {@link isEdgeEventsError} rather than `instanceof`: it keeps working when two
 * copies of the package are loaded (a brand check, as Drizzle does).
 *
 * Messages never contain parameters, payloads, connection strings or secrets.
 * @module
 */

/** The stable error codes of edge-events. */
export type EdgeEventsErrorCode =
  | "VALIDATION_FAILED"
  | "NOT_FOUND"
  | "CONFLICT"
  | "REPLAY_IN_PROGRESS"
  | "REPLAY_FAILED"
  | "STORAGE_FAILURE"
  | "HOOK_FAILED";

const BRAND = "__edgeEventsError" as const;

/** Options accepted by every edge-events error. */
export interface EdgeEventsErrorOptions {
  /** The underlying error (driver error, hook error, ...). */
  readonly cause?: unknown;
}

/**
 * Base class of every error a caller must handle. Check with {@link isEdgeEventsError}.
 *
 * @example
 * ```ts
 * try { await users.rename(id, { name }) } catch (err) {
 *   if (isEdgeEventsError(err, "NOT_FOUND")) return new Response(null, { status: 404 });
 *   throw err;
 * }
 * ```
 */
export class EdgeEventsError extends Error {
  /** The stable code of this error. */
  readonly code: EdgeEventsErrorCode;
  /** Brand that survives duplicate package copies; see {@link isEdgeEventsError}. */
  readonly __edgeEventsError: true = true;

  constructor(code: EdgeEventsErrorCode, message: string, options: EdgeEventsErrorOptions = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.name = "EdgeEventsError";
  }
}

/**
 * Whether `err` is an edge-events error, optionally with the given code.
 *
 * @param err any thrown value
 * @param code when given, the error must also carry this code
 * @returns true when `err` is branded as an edge-events error (and has `code`)
 * @example
 * ```ts
 * if (isEdgeEventsError(err, "VALIDATION_FAILED")) console.log(err.issues);
 * ```
 */
export function isEdgeEventsError<C extends EdgeEventsErrorCode>(
  err: unknown,
  code?: C,
): err is EdgeEventsError & { readonly code: C } {
  if (typeof err !== "object" || err === null) return false;
  if ((err as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return code === undefined || (err as EdgeEventsError).code === code;
}

/**
 * The database failed a statement or could not be reached. Keeps the driver's error as
 * `cause` and the SQLSTATE (when the database sent one) as `sqlState`.
 */
export class StorageError extends EdgeEventsError {
  /** The five-character SQLSTATE, when the failure came from Postgres. */
  readonly sqlState: string | undefined;

  constructor(message: string, options: EdgeEventsErrorOptions & { readonly sqlState?: string | undefined } = {}) {
    super("STORAGE_FAILURE", message, options);
    this.name = "StorageError";
    this.sqlState = options.sqlState;
  }
}
