/**
 * Turning a driver's raw text result into a {@link QueryResult}.
 * @module
 */
import type { QueryResult } from "../../core/executor.ts";
import { decodeRows, type RawField } from "./decode-rows.ts";

/** A statement's result as the drivers report it with raw text values in array mode. */
export interface RawResult {
  /** The result columns, in order. */
  readonly fields: readonly RawField[];
  /** Each row as an array of Postgres text values. */
  readonly rows: readonly (readonly unknown[])[];
  /** The first word of the command tag; absent or null when there was none (empty query). */
  readonly command?: string | null | undefined;
  /** The row count of the command tag; absent or null when the tag carries none. */
  readonly rowCount?: number | null | undefined;
}

/**
 * Decode a raw result into the canonical {@link QueryResult}: rows decoded by type OID,
 * `command` `""` when the statement had no tag, `rowCount` null when the tag has no count.
 *
 * @param raw the driver's result
 * @returns the decoded result
 * @throws {SyntaxError} when a value does not match its type
 * @example
 * ```ts
 * decodeResult({ fields: [], rows: [], command: "INSERT", rowCount: 1 })
 * // => { rows: [], rowCount: 1, command: "INSERT" }
 * ```
 */
export function decodeResult(raw: RawResult): QueryResult {
  return {
    rows: decodeRows(raw.fields, raw.rows),
    rowCount: raw.rowCount ?? null,
    command: raw.command ?? "",
  };
}
