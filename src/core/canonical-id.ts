/**
 * The one spelling of typed identifiers: a UUID is the same id in upper and lower case, so
 * every tenant, record id and actor id that is a UUID is written, read, locked and replayed
 * in lower case (the form Postgres prints `uuid` values in).
 * @module
 */
import { inferColumnType } from "./column-types.ts";
import { isUuid } from "./ids.ts";
import type { AnyResource } from "./resource.ts";
import { checkText } from "./well-formed-text.ts";

/**
 * The canonical spelling of a UUID string: lower case. Other values are returned unchanged.
 *
 * @param value any id
 * @returns the lower-case UUID, or `value` itself
 * @example
 * ```ts
 * canonicalUuid("5B0C2E4A-8F1D-4C3B-9A7E-2D6F1E0C9B8A") // => "5b0c2e4a-8f1d-4c3b-9a7e-2d6f1e0c9b8a"
 * canonicalUuid("acme") // => "acme"
 * ```
 */
export function canonicalUuid<T>(value: T): T {
  return (isUuid(value) ? value.toLowerCase() : value) as T;
}

/**
 * The canonical tenant: a tenant with the UUID text form is a UUID, in lower case (its
 * lock key already ignored case); any other tenant is kept as given.
 *
 * @param tenant the tenant of a call, a replay or a read
 * @returns the tenant to write, compare and lock on
 * @throws {ValidationError} code `VALIDATION_FAILED` (path `tenant`) for text with NUL or a lone surrogate
 * @example
 * ```ts
 * canonicalTenant("5B0C2E4A-8F1D-4C3B-9A7E-2D6F1E0C9B8A") // => "5b0c2e4a-8f1d-4c3b-9a7e-2d6f1e0c9b8a"
 * canonicalTenant(42) // => 42
 * ```
 */
export function canonicalTenant<T extends string | number | bigint>(tenant: T): T {
  if (typeof tenant === "string") checkText(tenant, "tenant");
  return canonicalUuid(tenant);
}

const uuidKeys = new WeakMap<object, boolean>();

function hasUuidKey(resource: AnyResource): boolean {
  let uuid = uuidKeys.get(resource);
  if (uuid === undefined) {
    const attribute = resource.primaryKey.attribute;
    const type = resource.columnTypes[attribute] ??
      inferColumnType(resource.attributes.entries[attribute] as never)?.type;
    uuid = type !== undefined && /^\s*uuid\s*$/i.test(type);
    uuidKeys.set(resource, uuid);
  }
  return uuid;
}

/**
 * The canonical record id of a resource: lower case when its primary key is a `uuid`
 * column (declared or inferred); otherwise unchanged (a text key keeps its case).
 *
 * @param resource the resource
 * @param id a record id
 * @returns the id to write and read with
 * @throws {ValidationError} code `VALIDATION_FAILED` (path `id`) for text with NUL or a lone surrogate
 */
export function canonicalRecordId<T>(resource: AnyResource, id: T): T {
  if (typeof id === "string") checkText(id, "id");
  return hasUuidKey(resource) ? canonicalUuid(id) : id;
}
