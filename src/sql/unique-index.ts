/**
 * `CREATE UNIQUE INDEX IF NOT EXISTS` for the identity an upsert conflicts on.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import { quoteIdentifier, type TableName } from "./identifier.ts";
import { statement } from "./statement.ts";

const MAX_IDENTIFIER_BYTES = 63;

/** FNV-1a 32 of `text`, as 8 hex digits: a short stable tag for a name that would not fit. */
function tag(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

/**
 * The index's name: `<table>_<columns>_key` (Postgres's own spelling of a unique constraint),
 * or, when that would pass 63 bytes, the table's name cut short and a hash of the columns.
 */
export function uniqueIndexName(table: TableName, columns: readonly string[], partial: readonly string[]): string {
  const full = `${table.name}_${columns.join("_")}_key`;
  if (partial.length === 0 && new TextEncoder().encode(full).length <= MAX_IDENTIFIER_BYTES) return full;
  const suffix = `_${tag([...columns, "|", ...partial].join(","))}_key`;
  return `${table.name.slice(0, MAX_IDENTIFIER_BYTES - suffix.length)}${suffix}`;
}

/**
 * A unique index on `columns` of `table`; with `nullColumns`, a partial one over the rows where
 * each of them is null (live rows, for a resource that soft-destroys).
 * @example
 * ```ts
 * import { tableName } from "./identifier.ts";
 *
 * uniqueIndexSql(tableName("users"), ["email"], []).text
 * // => CREATE UNIQUE INDEX IF NOT EXISTS "users_email_key" ON "users" ("email")
 * ```
 */
export function uniqueIndexSql(
  table: TableName,
  columns: readonly string[],
  nullColumns: readonly string[],
): SqlStatement {
  if (columns.length === 0) throw new TypeError("A unique index needs at least one column");
  const where = nullColumns.length === 0
    ? ""
    : ` WHERE ${nullColumns.map((c) => `${quoteIdentifier(c)} IS NULL`).join(" AND ")}`;
  return statement(
    `CREATE UNIQUE INDEX IF NOT EXISTS ${
      quoteIdentifier(uniqueIndexName(table, columns, nullColumns))
    } ON ${table.sql} (${columns.map(quoteIdentifier).join(", ")})${where}`,
  );
}
