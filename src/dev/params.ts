/**
 * JSON request parameters to Postgres text parameters, the way Neon's proxy converts them
 * (spec §3.3, `json.rs`). Every parameter goes to Postgres as text with no type OID.
 * @module
 */

/**
 * Convert one JSON parameter to the text sent to Postgres.
 *
 * - `null` is SQL NULL; strings go as they are; booleans as `true`/`false`;
 * - numbers as their JSON text; objects as compact JSON;
 * - arrays as a Postgres array literal (see {@link jsonArrayToPgLiteral}).
 *
 * @param value one element of the request's `params`
 * @returns the text parameter, or `null` for SQL NULL
 * @example
 * ```ts
 * jsonParamToText([1, "a", null, [true]]); // '{1,"a",NULL,{true}}'
 * ```
 */
export function jsonParamToText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (Array.isArray(value)) return jsonArrayToPgLiteral(value);
  return JSON.stringify(value);
}

/**
 * Build a Postgres array literal from a JSON array, as the proxy does: strings are written as
 * JSON string literals (JSON escaping, which Postgres reads differently: faithful, see §3.3),
 * numbers and booleans bare, `null` as `NULL`, nested arrays as nested braces, objects as
 * their JSON text quoted as a string element.
 *
 * @param values the JSON array
 * @returns the array literal
 */
export function jsonArrayToPgLiteral(values: readonly unknown[]): string {
  const parts = values.map((element): string => {
    if (element === null || element === undefined) return "NULL";
    if (typeof element === "string") return JSON.stringify(element);
    if (typeof element === "boolean" || typeof element === "number") return String(element);
    if (Array.isArray(element)) return jsonArrayToPgLiteral(element);
    return JSON.stringify(JSON.stringify(element));
  });
  return `{${parts.join(",")}}`;
}
