/**
 * A record's state as a savepoint stores it: JSON encoded like an event's `changes` (Dates as
 * ISO text, or the exact text `changes` pinned; bigints as decimal text; bytes as `\x` hex)
 * and revived per attribute by the resource's schema (`src/core/revive.ts`), so that a state
 * read back equals the state folded. A state that would not come back equal is refused.
 * @module
 */
import { type JsonObject, type JsonValue, toJson } from "./json.ts";
import type { AnyResource } from "./resource.ts";
import { revive } from "./revive.ts";
import { validationError } from "./validation.ts";

/** A state with the exact text of its timestamp attributes (see `RecordFold.timestampTexts`). */
export interface StoredState {
  readonly state: Record<string, unknown>;
  readonly timestampTexts: Readonly<Record<string, string>>;
}

/** Whether two attribute values are the same: Dates by time, bytes by content, the rest by structure. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The attributes whose values differ between two states (in either). */
export function differingAttributes(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => !sameValue(a[key], b[key])).sort();
}

/** Revive a stored state for `resource`. */
export function decodeState(resource: AnyResource, json: JsonObject): StoredState {
  const state: Record<string, unknown> = {};
  const texts: Record<string, string> = {};
  for (const [key, value] of Object.entries(json)) {
    const revived = revive(resource.attributes.entries[key], value);
    state[key] = revived;
    if (revived instanceof Date && typeof value === "string" && value !== revived.toISOString()) texts[key] = value;
  }
  return { state, timestampTexts: texts };
}

/**
 * Encode a state for the savepoint table, and check it revives to the same state.
 * @throws {ValidationError} code `VALIDATION_FAILED` naming the attribute that would not
 *   come back equal (a value JSON cannot hold, or one the schema does not revive)
 */
export function encodeState(resource: AnyResource, stored: StoredState): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(stored.state)) {
    if (value === undefined) continue;
    const text = stored.timestampTexts[key];
    const json: JsonValue = value instanceof Date && text !== undefined ? text : toJson(value, key);
    Object.defineProperty(out, key, { value: json, enumerable: true, writable: true, configurable: true });
  }
  const back = decodeState(resource, out).state;
  const differing = differingAttributes(stored.state, back);
  if (differing.length > 0) {
    throw validationError(
      `The state's attribute ${differing[0]} would not revive to the same value from a savepoint`,
      differing[0],
      "savepoint",
    );
  }
  return out;
}
