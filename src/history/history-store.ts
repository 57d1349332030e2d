/**
 * The port the history functions read (`log`, `db`, `resources`, `context`), and how they
 * turn a caller's resource and record id into the record's stream of events: the resource
 * checked against the store, the id in its canonical spelling, the store's tenant, and the
 * routes of `replayOverrides` that send other events to it.
 * @module
 */
import { canonicalRecordId } from "../core/canonical-id.ts";
import type { EventLog } from "../core/event-log.ts";
import type { AnyResource } from "../core/resource.ts";
import type { EventStore, RecordId } from "../core/store-types.ts";
import { validationError } from "../core/validation.ts";
import type { RecordStream } from "../sql/history-statements.ts";
import { tenantOf } from "./record-scope.ts";

/**
 * What the history functions read from the store (any {@link EventStore} has it). One tenant
 * rule for every read of one record (the write path's): a multi-tenant resource's records are
 * read in the store's tenant (a store from `withContext({ tenant })`; without one, the read is
 * refused), a resource without tenant reads events without one, whatever the store's tenant.
 */
export type HistoryStore =
  & Pick<EventStore, "log" | "db" | "resources" | "context">
  & Partial<Pick<EventStore, "keyring">>;

/** A resource as the history functions take it: its definition, or its name (for routers). */
export type ResourceArg = AnyResource | string;

/**
 * The store's resource for `resource`.
 * @throws {TypeError} a definition that is not part of the store (misuse, as `store.resource()`)
 * @throws {ValidationError} code `VALIDATION_FAILED` (path `resource`) for a name the store does not track
 */
export function resolveResource(store: HistoryStore, resource: ResourceArg): AnyResource {
  if (typeof resource === "string") {
    const found = store.resources.get(resource);
    if (found === undefined) throw validationError("resource is not a resource of this store", "resource");
    return found;
  }
  if (typeof resource !== "object" || resource === null || store.resources.get(resource.name) !== resource) {
    throw new TypeError(`The resource "${String(resource?.name)}" is not part of this store`);
  }
  return resource;
}

/**
 * The record id as events store it: text, in the resource's canonical spelling.
 * @throws {ValidationError} code `VALIDATION_FAILED` (path `recordId`) for anything but
 *   non-empty well-formed text, a safe integer or a bigint
 */
export function recordIdText(resource: AnyResource, id: RecordId): string {
  const ok = (typeof id === "string" && id !== "") || typeof id === "bigint" ||
    (typeof id === "number" && Number.isSafeInteger(id));
  if (!ok) throw validationError("recordId must be non-empty text, a safe integer or a bigint", "recordId", "type");
  try {
    return String(canonicalRecordId(resource, id));
  } catch {
    throw validationError("recordId must be well-formed text (no NUL, no lone surrogate)", "recordId", "type");
  }
}

/** Which (resource, action, version) events go where: the first override that matches wins, as in `routeEvent`. */
function routeTable(log: EventLog): Map<string, { key: [string, string, number]; to: Set<string> }> {
  const table = new Map<string, { key: [string, string, number]; to: Set<string> }>();
  for (const override of log.replayOverrides) {
    for (const version of override.versions) {
      const id = JSON.stringify([override.resource, override.action, version]);
      if (table.has(id)) continue;
      table.set(id, {
        key: [override.resource, override.action, version],
        to: new Set(override.routeTo.map(([r]) => r)),
      });
    }
  }
  return table;
}

/**
 * The stream of `recordId` of `resource`, in its tenant (see {@link HistoryStore}).
 * @throws {ValidationError} code `VALIDATION_FAILED` naming `tenant` for a multi-tenant
 *   resource on a store without a tenant
 */
export function recordStream(store: HistoryStore, resource: AnyResource, recordId: string): RecordStream {
  const routedIn: [string, string, number][] = [];
  const routedAway: [string, number][] = [];
  for (const { key, to } of routeTable(store.log).values()) {
    const [from, action, version] = key;
    if (from !== resource.name && to.has(resource.name)) routedIn.push(key);
    if (from === resource.name && !to.has(resource.name)) routedAway.push([action, version]);
  }
  return { resource: resource.name, recordId, tenant: tenantOf(store, resource), routedIn, routedAway };
}
