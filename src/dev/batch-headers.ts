/**
 * The `Neon-Batch-*` headers (spec §2 and §6): parsed for every request, used by batches only.
 * @module
 */

import { ProxyError } from "./errors.ts";

const LEVELS: Readonly<Record<string, string>> = {
  Serializable: "SERIALIZABLE",
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
};

/** The transaction settings a request asked for in its `Neon-Batch-*` headers. */
export interface BatchHeaders {
  /** Neon's spelling of the level (`Serializable`, ...), when the header was sent. */
  readonly isolationLevel: string | null;
  /** True only when `Neon-Batch-Read-Only` is exactly `true`. */
  readonly readOnly: boolean;
  /** True only when `Neon-Batch-Deferrable` is exactly `true`. */
  readonly deferrable: boolean;
}

/**
 * Read the batch headers. Values are compared byte for byte: only `true` is on.
 *
 * @param headers the request headers
 * @returns the options
 * @throws {ProxyError} 400 `invalid isolation level` for an unknown level
 */
export function parseBatchHeaders(headers: Headers): BatchHeaders {
  const isolationLevel = headers.get("neon-batch-isolation-level");
  if (isolationLevel !== null && !Object.hasOwn(LEVELS, isolationLevel)) {
    throw new ProxyError(400, "invalid isolation level");
  }
  return {
    isolationLevel,
    readOnly: headers.get("neon-batch-read-only") === "true",
    deferrable: headers.get("neon-batch-deferrable") === "true",
  };
}

/**
 * The statement that opens a batch, e.g. `START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY`.
 * A clause appears only when asked for; `READ WRITE` is never forced.
 *
 * @param options the batch options
 * @returns the SQL text
 */
export function beginSql(options: BatchHeaders): string {
  const clauses: string[] = [];
  if (options.isolationLevel !== null) clauses.push(`ISOLATION LEVEL ${LEVELS[options.isolationLevel]}`);
  if (options.readOnly) clauses.push("READ ONLY");
  if (options.deferrable) clauses.push("DEFERRABLE");
  return clauses.length === 0 ? "START TRANSACTION" : `START TRANSACTION ${clauses.join(", ")}`;
}

/**
 * The headers echoed on a successful batch response.
 *
 * @param options the batch options
 * @returns header name/value pairs
 */
export function batchEchoHeaders(options: BatchHeaders): [string, string][] {
  const echoed: [string, string][] = [];
  if (options.isolationLevel !== null) echoed.push(["Neon-Batch-Isolation-Level", options.isolationLevel]);
  if (options.readOnly) echoed.push(["Neon-Batch-Read-Only", "true"]);
  if (options.deferrable) echoed.push(["Neon-Batch-Deferrable", "true"]);
  return echoed;
}
