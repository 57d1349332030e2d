/**
 * Normalizing statement parameters to the text every driver binds, so that PGlite,
 * node-postgres and Neon's HTTP driver all send Postgres the same bytes.
 * @module
 */
import type { SqlParam } from "../../core/executor.ts";
import { encodeByteaHex } from "./bytea-hex.ts";

/** A parameter as sent to a driver: Postgres text input, or null for SQL NULL. */
export type EncodedParam = string | null;

/**
 * Encode every parameter of a statement as Postgres text (see {@link encodeParam}).
 *
 * @param params the statement's parameters
 * @returns the text of each parameter, in order
 * @throws {TypeError} when a parameter is not a {@link SqlParam}
 * @throws {RangeError} when a `Date` is invalid
 * @example
 * ```ts
 * encodeParams([1n, true, null]) // => ["1", "true", null]
 * ```
 */
export function encodeParams(params: readonly SqlParam[]): EncodedParam[] {
  return params.map((param, index) => encodeParam(param, index + 1));
}

/**
 * Encode one parameter as Postgres text input.
 *
 * string → itself; number/bigint → decimal text (`NaN`, `Infinity` as Postgres spells them);
 * boolean → `true`/`false`; Date → ISO 8601 in UTC; Uint8Array → `\x` hex; array → an array
 * literal with every non-NULL element quoted, as node-postgres writes it; null → SQL NULL.
 *
 * @param param the value
 * @param position the placeholder number, used in error messages
 * @returns the text, or null for SQL NULL
 * @throws {TypeError} when the value is not a {@link SqlParam} (the message names the
 *   position and the JavaScript type, never the value)
 * @throws {RangeError} when a `Date` is invalid
 * @example
 * ```ts
 * encodeParam(['a"b', null, 3], 1) // => '{"a\\"b",NULL,"3"}'
 * ```
 */
export function encodeParam(param: SqlParam, position: number): EncodedParam {
  if (param === null) return null;
  if (param instanceof Date) return encodeDate(param, position);
  if (param instanceof Uint8Array) return encodeByteaHex(param);
  if (Array.isArray(param)) return encodeArray(param as readonly unknown[], position);
  return encodeScalar(param, position);
}

function encodeScalar(value: unknown, position: number): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    default:
      throw new TypeError(`Unsupported parameter $${position}: ${describe(value)}`);
  }
}

/**
 * A Date as Postgres reads it, in UTC: ISO 8601 for the years 1 to 9999; outside them
 * `YYYY-MM-DD HH:MM:SS.sss+00`, with ` BC` for years up to 0 (ISO year 0 is 1 BC, which
 * `toISOString()`'s `0000-` and `-000001-` forms do not say), and years beyond 9999 written out
 * (`toISOString()` writes `+010000-`, which Postgres refuses).
 */
function encodeDate(date: Date, position: number): string {
  if (Number.isNaN(date.getTime())) throw new RangeError(`Invalid Date in parameter $${position}`);
  const year = date.getUTCFullYear();
  const iso = date.toISOString();
  if (year >= 1 && year <= 9999) return iso;
  const rest = iso.slice(iso.indexOf("-", 1)).replace("T", " ").replace("Z", "+00"); // -MM-DD HH:MM:SS.sss+00
  return year >= 1 ? `${String(year).padStart(4, "0")}${rest}` : `${String(1 - year).padStart(4, "0")}${rest} BC`;
}

function encodeArray(items: readonly unknown[], position: number): string {
  const parts = items.map((item) => {
    if (item === null) return "NULL";
    if (Array.isArray(item)) return encodeArray(item as readonly unknown[], position);
    const text = item instanceof Date ? encodeDate(item, position) : encodeScalar(item, position);
    return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  });
  return `{${parts.join(",")}}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `a ${typeof value}`;
}
