/**
 * Audit queries over the whole log: `audit(store, filters)` pages the events matching every
 * filter given, in position order, behind an opaque keyset cursor; `auditAllTenants` is the
 * same across tenants, on a store without a tenant only. One query per page.
 * @module
 */
import type { ActionType } from "../core/action.ts";
import type { TenantFilter } from "../sql/read-events.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { rowToEvent } from "../core/record-mapping.ts";
import { validationError } from "../core/validation.ts";
import { AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, type AuditFilter, auditSql } from "../sql/audit-statements.ts";
import {
  allTenantsFilter,
  type AuditStore,
  checkAction,
  checkActor,
  checkId,
  checkOptionNames,
  checkRange,
  checkResource,
  confinedTenant,
  globalScope,
  type TenantOption,
} from "./audit-filters.ts";
import { decodePositionCursor, type Direction, encodePositionCursor } from "./position-cursor.ts";

export type { AuditStore, TenantOption } from "./audit-filters.ts";

/** The filters of {@link audit}. Every one given must hold (AND); none given: the whole log. */
export interface AuditOptions {
  /** Only events of this resource (a resource of the store, or one a replay override names). */
  readonly resource?: string;
  /** Only events of this action (of `resource` when given, else of any resource of the store). */
  readonly action?: string;
  /** Only creates, updates or destroys (soft destroys are destroys). */
  readonly actionType?: ActionType;
  /** Only events of this actor: a declared actor type and an id that fits its column. */
  readonly actor?: { readonly type: string; readonly id: string | number | bigint };
  /**
   * On {@link audit}: the store's own tenant only (it may be repeated; any other tenant is
   * `VALIDATION_FAILED`). On {@link auditAllTenants}: only this tenant, or `null` for events
   * without one.
   */
  readonly tenant?: TenantOption;
  /** Only events of this correlation id (one request's events). */
  readonly correlationId?: string;
  /** Only events an `after` hook of this event wrote. */
  readonly causationId?: string;
  /** Only events that occurred at or after this time (inclusive). */
  readonly from?: Date;
  /** Only events that occurred before this time (exclusive): `[from, to)` tiles time ranges. */
  readonly to?: Date;
  /** The `cursor` of the previous page (same filters, same direction); omitted: the first page. */
  readonly cursor?: string;
  /** Events per page, 1 to 1000. Default 100. */
  readonly limit?: number;
  /** `forward` (position order, the default) or `backward` (newest first). */
  readonly direction?: Direction;
}

/** One page of {@link audit}. */
export interface AuditPage {
  /** The events of this page, in position order (newest first when reading backward). */
  readonly events: readonly StoredEvent[];
  /**
   * Pass as `cursor` (with the same filters) for the next page; `null` when this page holds
   * the last matching events at the time of the read.
   */
  readonly cursor: string | null;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(
  [
    "resource",
    "action",
    "actionType",
    "actor",
    "tenant",
    "correlationId",
    "causationId",
    "from",
    "to",
    "cursor",
    "limit",
    "direction",
  ] satisfies (keyof AuditOptions)[],
);

const ACTION_TYPES: readonly unknown[] = ["create", "update", "destroy"];

function checkLimit(limit: unknown): number {
  if (limit === undefined) return AUDIT_DEFAULT_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) {
    throw validationError(`limit must be an integer from 1 to ${AUDIT_MAX_LIMIT}`, "limit", "range");
  }
  return limit;
}

function checkDirection(direction: unknown): Direction {
  if (direction === undefined || direction === "forward" || direction === "backward") return direction ?? "forward";
  throw validationError('direction must be "forward" or "backward"', "direction", "type");
}

async function auditWith(store: AuditStore, options: AuditOptions, tenant: TenantFilter): Promise<AuditPage> {
  const resource = checkResource(store, options.resource);
  const action = checkAction(store, resource, options.action);
  if (options.actionType !== undefined && !ACTION_TYPES.includes(options.actionType)) {
    throw validationError('actionType must be "create", "update" or "destroy"', "actionType", "type");
  }
  const actor = checkActor(store.log, options.actor);
  const correlationId = checkId(options.correlationId, "correlationId");
  const causationId = checkId(options.causationId, "causationId");
  const { from, to } = checkRange(options.from, options.to);
  const limit = checkLimit(options.limit);
  const direction = checkDirection(options.direction);
  const filters = [
    resource ?? null,
    action ?? null,
    options.actionType ?? null,
    actor === undefined ? null : [actor.column, actor.id],
    correlationId ?? null,
    causationId ?? null,
    from?.toISOString() ?? null,
    to?.toISOString() ?? null,
  ];
  const scope = { table: store.log.table.sql, tenant, read: "audit", filters };
  const after = options.cursor === undefined ? undefined : decodePositionCursor(scope, options.cursor);
  if (after !== undefined && after.direction !== direction) {
    throw validationError("cursor was returned by a read in the other direction", "cursor", "cursor");
  }
  const filter: AuditFilter = {
    resource,
    action,
    actionType: options.actionType,
    actor,
    tenant,
    correlationId,
    causationId,
    from,
    to,
    position: after?.position,
    direction,
    limit,
    // As readEvents: where positions can commit out of order, read below the horizon.
    horizon: !globalScope(store.log),
  };
  const { rows } = await store.db.query(auditSql(store.log, filter));
  const events = rows.slice(0, limit).map((row) => rowToEvent(store.log, row));
  const last = events[events.length - 1];
  const cursor = rows.length > limit && last !== undefined
    ? encodePositionCursor(scope, { position: last.position, direction })
    : null;
  return Object.freeze({ events: Object.freeze(events), cursor });
}

/**
 * Audit the log: the events matching every filter given, in position order, one page per
 * call (one query, one round trip over HTTP), behind an opaque keyset cursor.
 *
 * Confined to the store's tenant: on a store from `withContext({ tenant })` only that
 * tenant's events, on a store without a tenant only events without one. A `tenant` filter may
 * repeat the store's tenant; another is refused. Across tenants: {@link auditAllTenants}.
 *
 * Pages tile the result: reading on with each `cursor` until it is `null` returns every
 * matching event once. Under the global lock scope positions commit in order, so that holds
 * for events written meanwhile too; under tenant or custom scopes the read stops at the
 * visibility horizon (as `readEvents` does), and an event whose transaction commits late may
 * land behind a cursor already passed: to follow the log as it grows, use `readFeed`.
 *
 * @param store any event store (or `{ log, db, resources, context }`)
 * @param options the filters, `cursor`, `limit` (1 to 1000, default 100) and `direction`
 * @returns the page's events and the cursor of the next page (`null` after the last)
 * @throws {ValidationError} code `VALIDATION_FAILED`, naming the parameter, before anything is
 *   sent: an unknown resource, action, action type or actor type, an actor id that does not
 *   fit its column, empty or ill-formed text, a time that is not a valid storable Date, `from`
 *   after `to`, a `limit` out of range, a cursor this read (same filters, tenant and
 *   direction) did not return, a tenant other than the store's, an unknown option
 * @example
 * ```ts
 * import { audit, type AuditStore } from "edge-events";
 *
 * async function weekOf(store: AuditStore, userId: string): Promise<void> {
 *   const week = { from: new Date("2025-03-03T00:00:00Z"), to: new Date("2025-03-10T00:00:00Z") };
 *   let page = await audit(store, { actor: { type: "user", id: userId }, ...week, limit: 50 });
 *   for (const e of page.events) console.log(e.resource, e.action, e.occurredAt);
 *   while (page.cursor !== null) {
 *     page = await audit(store, { actor: { type: "user", id: userId }, ...week, limit: 50, cursor: page.cursor });
 *     for (const e of page.events) console.log(e.resource, e.action, e.occurredAt);
 *   }
 * }
 * ```
 */
export async function audit(store: AuditStore, options: AuditOptions = {}): Promise<AuditPage> {
  checkOptionNames(options, OPTION_KEYS, "audit()");
  return await auditWith(store, options, confinedTenant(store, options.tenant));
}

/**
 * {@link audit} over every tenant, or (with `tenant`) one tenant or, with `tenant: null`, the
 * events without one. Only on a store without a tenant: reading across tenants is always
 * this explicitly named call, as `readAllTenantsEvents` is. Its cursors are its own.
 *
 * @throws {TypeError} on a store from `withContext({ tenant })`
 * @throws {ValidationError} as {@link audit}
 * @example
 * ```ts
 * import { auditAllTenants, type AuditStore } from "edge-events";
 *
 * async function acmeDestroys(store: AuditStore): Promise<number> {
 *   const { events } = await auditAllTenants(store, { tenant: "acme", actionType: "destroy" });
 *   return events.length;
 * }
 * ```
 */
export async function auditAllTenants(store: AuditStore, options: AuditOptions = {}): Promise<AuditPage> {
  checkOptionNames(options, OPTION_KEYS, "auditAllTenants()");
  return await auditWith(store, options, allTenantsFilter(store, options.tenant, "auditAllTenants"));
}
