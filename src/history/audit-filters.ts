/**
 * Checking the filters of audit queries (`audit`, `summary`) before anything is sent: names
 * the store knows, actors of a declared type with an id that fits its column, valid and
 * storable Dates in order, and the tenant the read is confined to. Every refusal is a
 * `VALIDATION_FAILED` naming the parameter; values never appear in messages.
 * @module
 */
import type { EventLog } from "../core/event-log.ts";
import type { EventStore } from "../core/store-types.ts";
import type { AnyResource } from "../core/resource.ts";
import { resolveActor } from "../core/actor.ts";
import { canonicalTenant } from "../core/canonical-id.ts";
import { isEdgeEventsError } from "../core/errors.ts";
import { checkStorableDate } from "../core/json.ts";
import { storeTenant } from "../core/read-log.ts";
import { validationError } from "../core/validation.ts";
import { checkText } from "../core/well-formed-text.ts";
import type { AuditActorFilter } from "../sql/audit-statements.ts";
import type { TenantFilter } from "../sql/read-events.ts";

/** What audit queries read from the store (any {@link EventStore} has it). */
export type AuditStore = Pick<EventStore, "log" | "db" | "resources" | "context">;

/** A tenant as a filter names it: a tenant id, or `null` for events without a tenant. */
export type TenantOption = string | number | bigint | null;

/**
 * Refuse option keys no option has: a misspelt filter would otherwise widen the read silently.
 * @throws {ValidationError} naming the key
 */
export function checkOptionNames(options: object, allowed: ReadonlySet<string>, operation: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) throw validationError(`${operation} has no option of that name`, key, "unknown");
  }
}

/** Whether every write of the log takes the one global key (positions commit in order). */
export function globalScope(log: EventLog): boolean {
  return "scope" in log.lock && log.lock.scope === "global";
}

function text(value: unknown, path: string): string {
  if (typeof value !== "string" || value === "") {
    throw validationError(`${path} must be a non-empty string`, path, "type");
  }
  checkText(value, path);
  return value;
}

/** The resource names the log may hold: the store's resources and the old names replay routes. */
function resourceKnown(store: AuditStore, name: string): boolean {
  return store.resources.has(name) || store.log.replayOverrides.some((o) => o.resource === name);
}

function actionOf(resource: AnyResource | undefined, name: string): boolean {
  if (resource === undefined) return false;
  return name === "adopt" || Object.hasOwn(resource.actions, name) || Object.hasOwn(resource.aliases, name);
}

/**
 * A `resource` filter: a resource of the store (or one a replay override routes).
 * @throws {ValidationError} (path `resource`) otherwise
 */
export function checkResource(store: AuditStore, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const name = text(value, "resource");
  if (!resourceKnown(store, name)) {
    throw validationError("resource is not a resource of this store", "resource", "unknown");
  }
  return name;
}

/**
 * An `action` filter: an action of `resource` when one is given, else of any resource of the
 * store (current names, aliases, `adopt`, and the old names replay overrides route).
 * @throws {ValidationError} (path `action`) otherwise
 */
export function checkAction(store: AuditStore, resource: string | undefined, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const name = text(value, "action");
  const overrides = store.log.replayOverrides.filter((o) => resource === undefined || o.resource === resource);
  const known = overrides.some((o) => o.action === name) ||
    (resource === undefined
      ? [...store.resources.values()].some((r) => actionOf(r, name))
      : actionOf(store.resources.get(resource), name));
  if (!known) throw validationError("action is not an action of the resource filtered on", "action", "unknown");
  return name;
}

/**
 * An `actor` filter `{ type, id }`: a declared actor type, an id that fits its column (a uuid
 * is compared in lower case).
 * @throws {ValidationError} (path `actor`, `actor.type` or `actor.id`) otherwise
 */
export function checkActor(log: EventLog, value: unknown): AuditActorFilter | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) throw validationError("actor must be { type, id }", "actor", "type");
  const { type, id } = value as { type?: unknown; id?: unknown };
  if (typeof type !== "string" || !Object.hasOwn(log.actors, type)) {
    throw validationError("actor.type is not an actor type of the event log", "actor.type", "unknown");
  }
  if (typeof id !== "string" && typeof id !== "number" && typeof id !== "bigint") {
    throw validationError("actor.id must be a string, number or bigint", "actor.id", "type");
  }
  try {
    const resolved = resolveActor(log, { [type]: id })!;
    return Object.freeze({ column: resolved.column, columnType: log.actors[type]!.type, id: resolved.id });
  } catch (error) {
    if (!isEdgeEventsError(error, "VALIDATION_FAILED")) throw error;
    throw validationError(`actor.id does not fit the column of actor type "${type}"`, "actor.id", "type");
  }
}

/**
 * A `correlationId` or `causationId` filter: non-empty, well-formed text.
 * @throws {ValidationError} naming `path` otherwise
 */
export function checkId(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : text(value, path);
}

/**
 * A time bound: a valid Date that Postgres can store.
 * @throws {ValidationError} naming `path` otherwise
 */
export function checkDate(value: unknown, path: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date)) throw validationError(`${path} must be a Date`, path, "type");
  checkStorableDate(value, path);
  return new Date(value.getTime());
}

/**
 * `from` and `to` (each optional unless `required`), with `from` not after `to`.
 * @throws {ValidationError} (path `from` or `to`)
 */
export function checkRange(
  from: unknown,
  to: unknown,
  required = false,
): { readonly from: Date | undefined; readonly to: Date | undefined } {
  if (required && from === undefined) throw validationError("from is required", "from", "missing");
  if (required && to === undefined) throw validationError("to is required", "to", "missing");
  const range = { from: checkDate(from, "from"), to: checkDate(to, "to") };
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw validationError("from must not be after to", "from", "range");
  }
  return range;
}

function tenantValue(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === "string") {
    if (value === "") throw validationError("tenant must not be empty", "tenant", "missing");
    return canonicalTenant(value);
  }
  if (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) return String(value);
  throw validationError("tenant must be a string, an integer or null", "tenant", "type");
}

/**
 * The tenant a read of `store` is confined to: the store's own (its context's tenant, or
 * `null` on a store without one). A `tenant` filter may only repeat it: one naming another
 * tenant is refused, so a read can never widen its store's scope.
 * @throws {ValidationError} (path `tenant`) for a tenant other than the store's
 */
export function confinedTenant(store: AuditStore, requested: unknown): string | null {
  const own = storeTenant(store.context);
  if (requested === undefined) return own;
  if (tenantValue(requested) !== own) {
    throw validationError(
      "tenant is not the store's tenant: a store reads only its own tenant (across tenants: the AllTenants call on a store without a tenant)",
      "tenant",
      "scope",
    );
  }
  return own;
}

/**
 * The tenant filter of an all-tenants read: every tenant, one tenant, or (`null`) events
 * without one. Only on a store without a tenant.
 * @throws {TypeError} on a store from `withContext({ tenant })`
 * @throws {ValidationError} (path `tenant`) for a tenant that is not a string, integer or null
 */
export function allTenantsFilter(store: AuditStore, requested: unknown, operation: string): TenantFilter {
  const own = store.context.tenant;
  if (own !== undefined && own !== null) {
    throw new TypeError(
      `${operation} reads every tenant: call it on a store without a tenant, not on one from withContext({ tenant })`,
    );
  }
  return requested === undefined ? undefined : tenantValue(requested);
}
