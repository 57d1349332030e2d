/**
 * JSON for the event log: the exact text stored in `data`, `changes` and `metadata`.
 * @module
 */

/** A JSON value as stored in the event log. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object as stored in the event log. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Convert a value to its JSON form: Dates become ISO-8601 strings, bigints decimal strings,
 * byte arrays `\x`-prefixed hex strings; `undefined` object members are dropped.
 *
 * @throws {TypeError} on functions, symbols, non-finite numbers and cycles
 * @example
 * ```ts
 * toJson({ at: new Date(0), n: 10n }) // => { at: "1970-01-01T00:00:00.000Z", n: "10" }
 * ```
 */
export function toJson(value: unknown, seen: Set<object> = new Set()): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("Non-finite numbers cannot be stored as JSON");
    return value;
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  if (typeof value === "object") {
    if (seen.has(value)) throw new TypeError("Cyclic values cannot be stored as JSON");
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toJson(item, seen)));
      const out: JsonObject = {};
      for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toJson(item, seen);
      return out;
    } finally {
      seen.delete(value);
    }
  }
  throw new TypeError(`Values of type ${typeof value} cannot be stored as JSON`);
}

/** `JSON.stringify(toJson(value))`: the text bound to a `::jsonb` parameter. */
export function jsonText(value: unknown): string {
  return JSON.stringify(toJson(value));
}

/** Whether two values have the same JSON form (used to tell input values from changed ones). */
export function sameJson(a: unknown, b: unknown): boolean {
  return jsonText(a ?? null) === jsonText(b ?? null);
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
