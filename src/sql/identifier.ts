/**
 * Identifier validation and quoting: the one place SQL identifiers are written.
 * @module
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Validate one SQL identifier (a table, column or schema name).
 * Allowed: letters, digits and `_`, not starting with a digit, at most 63 bytes.
 *
 * @param name the identifier as the user wrote it
 * @param what what the identifier names, used in the error message
 * @returns the same name
 * @throws {TypeError} when the name is not a valid identifier
 */
export function validateIdentifier(name: string, what = "identifier"): string {
  if (
    typeof name !== "string" || !IDENTIFIER.test(name) || new TextEncoder().encode(name).length > MAX_IDENTIFIER_BYTES
  ) {
    throw new TypeError(
      `Invalid ${what}: use letters, digits and underscores, not starting with a digit, at most ${MAX_IDENTIFIER_BYTES} bytes`,
    );
  }
  return name;
}

/**
 * Quote one identifier for SQL text. Validates first, then double-quotes
 * (doubling any embedded quote, although validation already forbids them).
 *
 * @example
 * ```ts
 * quoteIdentifier("user_id") // => "\"user_id\""
 * ```
 */
export function quoteIdentifier(name: string): string {
  validateIdentifier(name);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A validated, possibly schema-qualified table name. */
export interface TableName {
  /** The schema, when qualified. */
  readonly schema: string | undefined;
  /** The table itself. */
  readonly name: string;
  /** The quoted form, ready for SQL text: `"schema"."name"` or `"name"`. */
  readonly sql: string;
}

/**
 * Parse and validate a table name, `table` or `schema.table`.
 *
 * @throws {TypeError} when either part is not a valid identifier
 * @example
 * ```ts
 * tableName("audit.events").sql // => "\"audit\".\"events\""
 * ```
 */
export function tableName(qualified: string, what = "table name"): TableName {
  if (typeof qualified !== "string") throw new TypeError(`Invalid ${what}: expected a string`);
  const parts = qualified.split(".");
  if (parts.length > 2) throw new TypeError(`Invalid ${what}: at most one dot (schema.table)`);
  const [first, second] = parts as [string, string | undefined];
  const schema = second === undefined ? undefined : validateIdentifier(first, what);
  const name = validateIdentifier(second ?? first, what);
  const sql = schema === undefined ? quoteIdentifier(name) : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
  return Object.freeze({ schema, name, sql });
}
