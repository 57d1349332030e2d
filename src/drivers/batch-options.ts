/**
 * Validating batch options and writing them as Postgres transaction modes, for the adapters
 * that open their own transactions (PGlite, node-postgres pools).
 *
 * This is the only SQL text under `src/drivers`: fixed keywords chosen from a closed set,
 * never user input.
 * @module
 */
import type { BatchOptions, IsolationLevel } from "../core/executor.ts";

const ISOLATION_SQL: Readonly<Record<IsolationLevel, string>> = Object.freeze({
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
});

/**
 * Check batch options at the call site, the same way for every adapter.
 *
 * @param options the options given to `batch`
 * @returns the same options
 * @throws {TypeError} when `isolationLevel` is not one of the supported levels or
 *   `readOnly` is not a boolean
 * @example
 * ```ts
 * checkBatchOptions({ isolationLevel: "Serializable" })
 * ```
 */
export function checkBatchOptions(options: BatchOptions): BatchOptions {
  const { isolationLevel, readOnly } = options;
  if (isolationLevel !== undefined && !Object.hasOwn(ISOLATION_SQL, isolationLevel)) {
    throw new TypeError("Invalid isolationLevel: use ReadCommitted, RepeatableRead or Serializable");
  }
  if (readOnly !== undefined && typeof readOnly !== "boolean") {
    throw new TypeError("Invalid readOnly: expected a boolean");
  }
  return options;
}

/**
 * The transaction modes for `BEGIN` / `SET TRANSACTION`, as Neon's proxy writes them:
 * a clause only for what was asked (`readOnly: false` adds nothing).
 *
 * @param options checked batch options
 * @returns e.g. `ISOLATION LEVEL SERIALIZABLE, READ ONLY`, or `""` for the defaults
 * @example
 * ```ts
 * transactionModesSql({ isolationLevel: "RepeatableRead", readOnly: true })
 * // => "ISOLATION LEVEL REPEATABLE READ, READ ONLY"
 * ```
 */
export function transactionModesSql(options: BatchOptions): string {
  const modes: string[] = [];
  if (options.isolationLevel !== undefined) modes.push(`ISOLATION LEVEL ${ISOLATION_SQL[options.isolationLevel]}`);
  if (options.readOnly === true) modes.push("READ ONLY");
  return modes.join(", ");
}
