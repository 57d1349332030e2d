/**
 * `CREATE TABLE IF NOT EXISTS` for tables whose columns come from definitions.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import { quoteIdentifier, type TableName, validateIdentifier } from "./identifier.ts";
import { statement } from "./statement.ts";

/** One column of {@link createTableSql}. */
export interface ColumnDefinition {
  /** The column name (an identifier: letters, digits, `_`). */
  readonly column: string;
  /** The Postgres type; must pass {@link validateColumnType}. */
  readonly type: string;
  /** Whether the column accepts NULL; `false` writes `NOT NULL`. */
  readonly nullable: boolean;
  /** Whether the column is (part of) the primary key. */
  readonly primaryKey?: boolean;
}

// One type name (optionally schema-qualified) or one of the multi-word names, then an
// optional (precision[, scale]), an optional time zone clause, and array brackets.
// Deliberately no free-form spaces: they would let `text PRIMARY KEY REFERENCES x` through.
const COLUMN_TYPE =
  /^(?:double precision|character varying|bit varying|[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)(?:\(\d{1,4}(?:, ?\d{1,4})?\))?(?: with(?:out)? time zone)?(?:\[\])*$/i;
const MAX_COLUMN_TYPE_LENGTH = 128;

/**
 * Check a column type string before it is written into DDL. Types are SQL text, not
 * parameters, so only a conservative grammar passes: a type name or
 * `schema.type`, the multi-word `double precision`, `character varying` and `bit varying`,
 * an optional `(p)` or `(p,s)`, an optional `with time zone` / `without time zone`, and
 * any number of `[]`.
 *
 * @param type the type, as written by a schema inference or a user override
 * @param what what the type belongs to, used in the error message
 * @returns the same type
 * @throws {TypeError} when the type does not match the grammar
 * @example
 * ```ts
 * validateColumnType("numeric(12,2)") // => "numeric(12,2)"
 * validateColumnType("text; DROP TABLE x") // throws TypeError
 * ```
 */
export function validateColumnType(type: string, what = "column type"): string {
  if (typeof type !== "string" || type.length > MAX_COLUMN_TYPE_LENGTH || !COLUMN_TYPE.test(type)) {
    throw new TypeError(
      `Invalid ${what}: use a type name with an optional (precision, scale), time zone clause and []`,
    );
  }
  return type;
}

/**
 * Build `CREATE TABLE IF NOT EXISTS` for a table and its columns, in the order given.
 * One primary-key column is marked inline; several make a composite `PRIMARY KEY (...)`.
 * Every identifier is quoted again here, even though `table` was validated when made.
 *
 * @param table the table, from `tableName()`
 * @param columns the columns; at least one
 * @returns a frozen statement without parameters
 * @throws {TypeError} on an invalid table, column name or type, a duplicate column, a
 *   nullable primary-key column, or no columns
 * @example
 * ```ts
 * import { tableName } from "./identifier.ts";
 *
 * createTableSql(tableName("users"), [
 *   { column: "id", type: "uuid", nullable: false, primaryKey: true },
 *   { column: "name", type: "text", nullable: true },
 * ]).text
 * // => CREATE TABLE IF NOT EXISTS "users" ("id" uuid NOT NULL PRIMARY KEY, "name" text)
 * ```
 */
export function createTableSql(table: TableName, columns: readonly ColumnDefinition[]): SqlStatement {
  const target = quoteTable(table);
  if (!Array.isArray(columns) || columns.length === 0) throw new TypeError("A table needs at least one column");
  const keys = columns.filter((c) => c.primaryKey === true);
  const seen = new Set<string>();
  const parts = columns.map((c) => {
    const name = validateIdentifier(c.column, "column name");
    if (seen.has(name)) throw new TypeError(`Column "${name}" appears twice`);
    seen.add(name);
    const type = validateColumnType(c.type, `type of column "${name}"`);
    if (typeof c.nullable !== "boolean") throw new TypeError(`Column "${name}" needs nullable: true or false`);
    if (c.nullable && c.primaryKey === true) throw new TypeError(`Primary-key column "${name}" cannot be nullable`);
    const inlineKey = keys.length === 1 && c.primaryKey === true ? " PRIMARY KEY" : "";
    return `${quoteIdentifier(name)} ${type}${c.nullable ? "" : " NOT NULL"}${inlineKey}`;
  });
  if (keys.length > 1) parts.push(`PRIMARY KEY (${keys.map((c) => quoteIdentifier(c.column)).join(", ")})`);
  return statement(`CREATE TABLE IF NOT EXISTS ${target} (${parts.join(", ")})`);
}

function quoteTable(table: TableName): string {
  if (typeof table !== "object" || table === null) throw new TypeError("Invalid table: expected a tableName() result");
  const name = quoteIdentifier(validateIdentifier(table.name, "table name"));
  if (table.schema === undefined) return name;
  return `${quoteIdentifier(validateIdentifier(table.schema, "schema name"))}.${name}`;
}
