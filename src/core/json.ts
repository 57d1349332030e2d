/**
 * JSON for the event log: the exact text stored in `data`, `changes` and `metadata`, and the
 * limits every stored JSON value obeys.
 * @module
 */
import { validationError } from "./validation.ts";
import { checkText } from "./well-formed-text.ts";

/** A JSON value as stored in the event log. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object as stored in the event log. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * How many levels of objects and arrays one stored JSON value may nest (the value itself is
 * level 1). Deeper values are refused before anything is sent.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The most UTF-8 bytes the JSON of one event (`data`, `changes` and `metadata` together) may
 * take: 1 MiB. Larger events are refused (`VALIDATION_FAILED`) before anything is sent.
 */
export const MAX_EVENT_JSON_BYTES = 1_048_576;

/**
 * Convert a value to its JSON form, refusing what JSON cannot hold exactly.
 *
 * Conversions: Dates become ISO-8601 strings, bigints decimal strings, byte arrays
 * `\x`-prefixed hex strings, -0 becomes 0; `undefined` object members are dropped (symbol
 * keys too, as `JSON.stringify` does). Own `__proto__` keys
 * stay plain data (as `JSON.parse` makes them), never a prototype.
 *
 * Refused (`VALIDATION_FAILED` naming the path): text or keys with NUL or lone surrogates,
 * NaN and infinities, invalid Dates, `undefined` and holes in arrays, functions, symbols, cycles,
 * objects other than plain objects and arrays (Map, Set, class instances), and nesting
 * deeper than {@link MAX_JSON_DEPTH}.
 *
 * @param value the value
 * @param path the field path of `value`, for issues (`metadata`); undefined for a root
 * @throws {ValidationError} code `VALIDATION_FAILED` for a value JSON cannot hold exactly
 * @example
 * ```ts
 * toJson({ at: new Date(0), n: 10n }) // => { at: "1970-01-01T00:00:00.000Z", n: "10" }
 * toJson({ n: NaN }, "metadata") // throws ValidationError naming metadata.n
 * ```
 */
export function toJson(value: unknown, path?: string): JsonValue {
  return convert(value, path, 1, new Set());
}

function at(path: string | undefined, key: string | number): string {
  return path === undefined ? String(key) : `${path}.${key}`;
}

function refuse(path: string | undefined, problem: string, kind: string): Error {
  return validationError(`The value${path === undefined ? "" : ` at ${path}`} ${problem}`, path, kind);
}

function convert(value: unknown, path: string | undefined, level: number, seen: Set<object>): JsonValue {
  switch (typeof value) {
    case "string":
      checkText(value, path);
      return value;
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) {
        throw refuse(path, "is not a finite number; JSON cannot hold NaN or Infinity", "number");
      }
      return Object.is(value, -0) ? 0 : value; // JSON has no -0
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      throw refuse(path, `is a ${typeof value}; JSON cannot hold it`, "type");
  }
  if (value === null) return null;
  if (value instanceof Date) {
    // Any valid Date fits JSON (as ISO text); the timestamp range matters only for columns (toParam).
    if (Number.isNaN(value.getTime())) throw refuse(path, "is an invalid Date", "date");
    return value.toISOString();
  }
  if (value instanceof Uint8Array) return `\\x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  if (level > MAX_JSON_DEPTH) {
    throw refuse(path, `nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`, "max_depth");
  }
  if (seen.has(value)) throw refuse(path, "refers to itself; cyclic values cannot be stored as JSON", "cycle");
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items: JsonValue[] = [];
      // An index loop, not map(): a hole of a sparse array is refused like undefined.
      for (let i = 0; i < value.length; i++) {
        const item = value[i] as unknown;
        if (item === undefined) throw refuse(at(path, i), "is undefined or a hole; JSON arrays cannot hold it", "type");
        items.push(convert(item, at(path, i), level + 1, seen));
      }
      return items;
    }
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      throw refuse(path, "is not a plain object or array (a Map, Set or class instance); convert it first", "type");
    }
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      checkText(key, path, "An object key");
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      // defineProperty, not assignment: an own "__proto__" key stays data.
      Object.defineProperty(out, key, {
        value: convert(item, at(path, key), level + 1, seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** `JSON.stringify(toJson(value))`: the text bound to a `::jsonb` parameter. */
export function jsonText(value: unknown, path?: string): string {
  return JSON.stringify(toJson(value, path));
}

/** Whether two values have the same JSON form (used to tell input values from changed ones). */
export function sameJson(a: unknown, b: unknown): boolean {
  return jsonText(a ?? null) === jsonText(b ?? null);
}

/** The earliest instant Postgres's `timestamptz` holds: 4714-11-24 00:00:00 BC, UTC. */
const EARLIEST_STORABLE_MS = Date.UTC(-4713, 10, 24);

/**
 * Check that a Date is valid and within what Postgres's `timestamp`/`timestamptz` hold
 * (4714-11-24 BC onwards; every later Date JavaScript can make fits).
 *
 * @param date the Date
 * @param path the field, for the error
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `path`
 */
export function checkStorableDate(date: Date, path: string | undefined): void {
  const time = date.getTime();
  if (Number.isNaN(time)) throw refuse(path, "is an invalid Date", "date");
  if (time < EARLIEST_STORABLE_MS) {
    throw refuse(path, "is a Date earlier than Postgres can store (4714-11-24 BC)", "date");
  }
}

/**
 * The canonical text of a value's JSON form: object keys sorted (by code unit), no spaces.
 * Two values that Postgres stores as the same `jsonb` have the same canonical text, whatever
 * the key order they were written in (used to compare a call's input with a stored `data`).
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) // => '{"a":[{"c":3,"d":2}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  const sorted = (v: JsonValue): JsonValue => {
    if (Array.isArray(v)) return v.map(sorted);
    if (typeof v !== "object" || v === null) return v;
    const out: JsonObject = Object.create(null) as JsonObject;
    for (const key of Object.keys(v).sort()) out[key] = sorted(v[key]!);
    return out;
  };
  return JSON.stringify(sorted(toJson(value ?? null)));
}

/**
 * The UTF-8 length of well-formed text, without encoding it.
 *
 * @param text text without lone surrogates
 * @returns its length in bytes
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Each half of a surrogate pair counts 2: a pair is 4 bytes.
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}
