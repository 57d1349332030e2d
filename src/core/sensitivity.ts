/**
 * Which keys of a resource's events are sensitive, checked at definition time, and whose key
 * encrypts them (the subject).
 * @module
 */
import type { AnySchema } from "./validation.ts";
import type { SensitiveMode } from "./sensitive-markers.ts";

/** Sensitive keys and how each is stored: attribute names, input keys or metadata keys. */
export type SensitiveOptions = Readonly<Record<string, SensitiveMode>>;

/** What a resource's `encryptionSubject` receives: the event about to be written. */
export interface EncryptionSubjectInfo {
  /** The resource name. */
  readonly resource: string;
  /** The record's primary key, as text (as the event stores it). */
  readonly recordId: string;
  /** The tenant, for multi-tenant resources; null otherwise. */
  readonly tenant: string | null;
  /** The attributes the write sets (the whole record for a create; none for a hard destroy). */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The validated input. */
  readonly input: unknown;
}

/**
 * The default subject of a record's keys: `<resource>/<recordId>`, or
 * `<resource>/<recordId>/<tenant>` for a multi-tenant resource, each part URI-encoded (so that
 * no two records share a subject). Destroying this subject's keys erases the record's
 * encrypted values.
 *
 * @param resource the resource name
 * @param recordId the record id as events store it
 * @param tenant the tenant, for multi-tenant resources
 * @returns the subject to pass to the keyring
 * @example
 * ```ts
 * import { recordSubject } from "edge-events";
 *
 * recordSubject("user", "42"); // => "user/42"
 * recordSubject("note", "n1", "acme"); // => "note/n1/acme"
 * ```
 */
export function recordSubject(resource: string, recordId: string, tenant?: string | null): string {
  const parts = tenant === undefined || tenant === null ? [resource, recordId] : [resource, recordId, tenant];
  return parts.map(encodeURIComponent).join("/");
}

/** The default `encryptionSubject`: the record ({@link recordSubject}). */
export function defaultSubject(info: EncryptionSubjectInfo): string {
  return recordSubject(info.resource, info.recordId, info.tenant);
}

/** The keys of an input schema, when it is an object schema (or a pipe over one). */
function inputKeys(schema: AnySchema): readonly string[] | undefined {
  const entries = (schema as { entries?: Readonly<Record<string, unknown>> }).entries;
  return entries === undefined ? undefined : Object.keys(entries);
}

/** The attributes a sensitive mark may not name: they are stored in columns of their own. */
export interface UnmarkableAttributes {
  readonly primaryKey: string;
  readonly tenant: string | undefined;
  readonly timestamps: readonly (string | undefined)[];
}

/**
 * Check a resource's `sensitive` option: each key names an attribute or an input key of one
 * of its actions, each mode is `redact` or `encrypt`, and neither the primary key, the tenant
 * nor a timestamp attribute is marked (they are stored outside `data` and `changes`).
 * @throws {TypeError} naming the key
 */
export function checkSensitive(
  resource: string,
  given: unknown,
  attributeNames: readonly string[],
  inputs: readonly AnySchema[],
  unmarkable: UnmarkableAttributes,
): SensitiveOptions {
  if (given === undefined) return Object.freeze({});
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(`sensitive of ${resource} must be an object of key: "redact" | "encrypt"`);
  }
  const keys = inputs.map(inputKeys);
  const known = (key: string): boolean =>
    attributeNames.includes(key) || keys.some((k) => k === undefined || k.includes(key));
  const out: Record<string, SensitiveMode> = {};
  for (const [key, mode] of Object.entries(given)) {
    if (mode !== "redact" && mode !== "encrypt") {
      throw new TypeError(`sensitive.${key} of ${resource} must be "redact" or "encrypt"`);
    }
    if (!known(key)) throw new TypeError(`sensitive of ${resource} names "${key}", neither an attribute nor an input`);
    if (key === unmarkable.primaryKey || key === unmarkable.tenant || unmarkable.timestamps.includes(key)) {
      throw new TypeError(`sensitive of ${resource} names "${key}", which is stored in a column of the event log`);
    }
    Object.defineProperty(out, key, { value: mode, enumerable: true, writable: true, configurable: true });
  }
  return Object.freeze(out);
}

/** Check a log's `sensitiveMetadata` option. */
export function checkSensitiveMetadata(given: unknown): SensitiveOptions {
  if (given === undefined) return Object.freeze({});
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError('sensitiveMetadata must be an object of key: "redact" | "encrypt"');
  }
  const out: Record<string, SensitiveMode> = {};
  for (const [key, mode] of Object.entries(given)) {
    if (mode !== "redact" && mode !== "encrypt") {
      throw new TypeError(`sensitiveMetadata.${key} must be "redact" or "encrypt"`);
    }
    Object.defineProperty(out, key, { value: mode, enumerable: true, writable: true, configurable: true });
  }
  return Object.freeze(out);
}

/**
 * The mode of `key`, own keys only: a value at `__proto__` (kept as data, see `toJson`) must
 * not read `Object.prototype` as a mark.
 */
export function markOf(marks: SensitiveOptions, key: string): SensitiveMode | undefined {
  return Object.hasOwn(marks, key) ? marks[key] : undefined;
}

/** Whether any mark of `marks` encrypts. */
export function encrypts(marks: SensitiveOptions): boolean {
  return Object.values(marks).includes("encrypt");
}
