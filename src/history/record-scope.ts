/**
 * The arguments savepoints and `materialize` share, checked before anything is sent: a
 * resource the store tracks, a record id, and the tenant the store's context confines them to.
 * @module
 */
import { canonicalRecordId } from "../core/canonical-id.ts";
import { storeTenant } from "../core/read-log.ts";
import type { AnyResource } from "../core/resource.ts";
import type { EventStore } from "../core/store-types.ts";
import { validationError } from "../core/validation.ts";
import { checkText } from "../core/well-formed-text.ts";
import type { RecordEventsFilter } from "../sql/savepoint-statements.ts";
import { type RecordFoldEnv, sourceResources } from "../core/record-fold.ts";

/** What savepoints and `materialize` read from the store (any {@link EventStore} has it). */
export type SavepointStore =
  & Pick<EventStore, "log" | "db" | "resources" | "context">
  & Partial<Pick<EventStore, "keyring">>;

/**
 * `resource`, when the store tracks it (the same definition).
 * @throws {ValidationError} naming `resource` otherwise
 */
export function trackedResource(store: SavepointStore, resource: unknown): AnyResource {
  const name = (resource as { name?: unknown } | null | undefined)?.name;
  if (typeof name !== "string" || store.resources.get(name) !== resource) {
    throw validationError("resource must be a resource this store tracks", "resource", "unknown");
  }
  return resource as AnyResource;
}

/**
 * The record id as events store it.
 * @throws {ValidationError} naming `recordId` when it is not a non-empty string, number or bigint
 */
export function recordIdOf(resource: AnyResource, recordId: unknown): string {
  const type = typeof recordId;
  if (
    recordId === "" || !(type === "string" || type === "bigint" || (type === "number" && Number.isFinite(recordId)))
  ) {
    throw validationError("recordId must be a non-empty string, a number or a bigint", "recordId", "type");
  }
  if (typeof recordId === "string") checkText(recordId, "recordId");
  return String(canonicalRecordId(resource, recordId as string | number | bigint));
}

/**
 * The tenant of a resource's events, the one rule of every read of one record (history,
 * `stateAt`, `diff`, `timeline`, savepoints, `materialize`) and of the write path: the store's
 * tenant for a multi-tenant resource, `null` (events without one) otherwise, whatever the
 * store's tenant.
 * @throws {ValidationError} naming `tenant` for a multi-tenant resource on a store without a tenant
 */
export function tenantOf(store: SavepointStore, resource: AnyResource): string | null {
  if (resource.tenant === undefined) return null;
  const tenant = storeTenant(store.context);
  if (tenant === null) {
    throw validationError(
      `${resource.name} is multi-tenant: use a store from withContext({ tenant })`,
      "tenant",
      "missing",
    );
  }
  return tenant;
}

/** One record of a resource, checked: its fold environment and its events' filter. */
export interface RecordScope {
  readonly fold: RecordFoldEnv;
  readonly filter: RecordEventsFilter;
}

/** Check the arguments that name one record; nothing is sent. */
export function recordScope(store: SavepointStore, resource: unknown, recordId: unknown): RecordScope {
  const definition = trackedResource(store, resource);
  const id = recordIdOf(definition, recordId);
  const tenant = tenantOf(store, definition);
  const env = { log: store.log, resources: store.resources, keyring: store.keyring };
  return {
    fold: { ...env, resource: definition, recordId: id },
    filter: { resource: definition.name, sources: sourceResources(env, definition), recordId: id, tenant },
  };
}
