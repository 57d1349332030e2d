/**
 * The numbers of an audit dashboard: `summary(store, { from, to })` counts the events of a
 * time range by action type, by resource and action, by actor, with the first and last event
 * and the total, in one SQL query. `summaryAllTenants` is the same across tenants.
 * @module
 */
import type { ActionType } from "../core/action.ts";
import type { Row } from "../core/executor.ts";
import type { EventActor } from "../core/stored-event.ts";
import type { TenantFilter } from "../sql/read-events.ts";
import { summarySql } from "../sql/audit-statements.ts";
import {
  allTenantsFilter,
  type AuditStore,
  checkOptionNames,
  checkRange,
  checkResource,
  confinedTenant,
  globalScope,
  type TenantOption,
} from "./audit-filters.ts";

/** What {@link summary} takes. */
export interface SummaryOptions {
  /** The start of the range: events that occurred at or after it (inclusive). */
  readonly from: Date;
  /** The end of the range: events that occurred before it (exclusive). */
  readonly to: Date;
  /** Only events of this resource. */
  readonly resource?: string;
  /** As in `audit`: the store's own tenant on {@link summary}; any tenant, or `null`, on {@link summaryAllTenants}. */
  readonly tenant?: TenantOption;
}

/** One event named by a summary: the first or the last of the range. */
export interface SummaryEvent {
  /** The event id (a ULID). */
  readonly id: string;
  /** Its position in the log. */
  readonly position: bigint;
  /** When it occurred. */
  readonly occurredAt: Date;
}

/** The numbers of {@link summary}. */
export interface AuditSummary {
  /** Events in the range. */
  readonly total: number;
  /** Events per action type (0 for a type with none). */
  readonly byActionType: Readonly<Record<ActionType, number>>;
  /** Events per resource and action, most first (then by name). */
  readonly byAction: readonly { readonly resource: string; readonly action: string; readonly count: number }[];
  /** Events per actor, most first; `actor: null` counts the events without one. */
  readonly byActor: readonly { readonly actor: EventActor | null; readonly count: number }[];
  /** The event of the range with the smallest position, or null when the range has none. */
  readonly first: SummaryEvent | null;
  /** The event of the range with the largest position, or null when the range has none. */
  readonly last: SummaryEvent | null;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(
  ["from", "to", "resource", "tenant"] satisfies (keyof SummaryOptions)[],
);

function eventAt(row: Row, which: "first" | "last"): SummaryEvent | null {
  const id = row[`${which}_id`];
  if (id === null || id === undefined) return null;
  return Object.freeze({
    id: String(id),
    position: BigInt(row[`${which}_position`] as bigint),
    occurredAt: row[`${which}_occurred_at`] as Date,
  });
}

function toSummary(rows: readonly Row[]): AuditSummary {
  const byActionType: Record<ActionType, number> = { create: 0, update: 0, destroy: 0 };
  const byAction: { resource: string; action: string; count: number }[] = [];
  const byActor: { actor: EventActor | null; count: number }[] = [];
  let total = 0;
  let first: SummaryEvent | null = null;
  let last: SummaryEvent | null = null;
  for (const row of rows) {
    const count = Number(row["count"]);
    switch (row["kind"]) {
      case "action_type":
        byActionType[row["action_type"] as ActionType] = count;
        break;
      case "action":
        byAction.push(Object.freeze({ resource: String(row["resource"]), action: String(row["action"]), count }));
        break;
      case "actor": {
        const type = row["actor_type"];
        const actor = type === null ? null : Object.freeze({ type: String(type), id: String(row["actor_id"]) });
        byActor.push(Object.freeze({ actor, count }));
        break;
      }
      default:
        total = count;
        first = eventAt(row, "first");
        last = eventAt(row, "last");
    }
  }
  return Object.freeze({
    total,
    byActionType: Object.freeze(byActionType),
    byAction: Object.freeze(byAction),
    byActor: Object.freeze(byActor),
    first,
    last,
  });
}

async function summaryWith(store: AuditStore, options: SummaryOptions, tenant: TenantFilter): Promise<AuditSummary> {
  const resource = checkResource(store, options.resource);
  const { from, to } = checkRange(options.from, options.to, true);
  const statement = summarySql(store.log, { from: from!, to: to!, resource, tenant, horizon: !globalScope(store.log) });
  return toSummary((await store.db.query(statement)).rows);
}

/**
 * Count the events of `[from, to)`: by action type, by resource and action, by actor, with
 * the first and last event (by position) and the total. One SQL query (one round trip over
 * HTTP), served by the `(occurred_at)` index. Confined to the store's tenant as `audit` is;
 * under tenant or custom lock scopes it counts the events below the visibility horizon.
 *
 * @param store any event store (or `{ log, db, resources, context }`)
 * @param options `from` (inclusive) and `to` (exclusive), both required; `resource`, `tenant`
 * @returns the counts; `total` 0, `first` and `last` null for a range without events
 * @throws {ValidationError} code `VALIDATION_FAILED`, naming the parameter, before anything is
 *   sent: `from` or `to` missing, not a valid storable Date, `from` after `to`; an unknown
 *   resource; a tenant other than the store's; an unknown option
 * @example
 * ```ts
 * import { type AuditStore, summary } from "edge-events";
 *
 * async function report(store: AuditStore): Promise<void> {
 *   const today = await summary(store, { from: new Date("2025-03-03T00:00:00Z"), to: new Date("2025-03-04T00:00:00Z") });
 *   console.log(today.total, today.byActionType.destroy, today.byActor[0]);
 * }
 * ```
 */
export async function summary(store: AuditStore, options: SummaryOptions): Promise<AuditSummary> {
  checkOptionNames(options, OPTION_KEYS, "summary()");
  return await summaryWith(store, options, confinedTenant(store, options.tenant));
}

/**
 * {@link summary} over every tenant, or (with `tenant`) one tenant or, with `tenant: null`,
 * the events without one. Only on a store without a tenant.
 *
 * @throws {TypeError} on a store from `withContext({ tenant })`
 * @throws {ValidationError} as {@link summary}
 * @example
 * ```ts
 * import { type AuditStore, summaryAllTenants } from "edge-events";
 *
 * async function total(store: AuditStore, from: Date, to: Date): Promise<number> {
 *   const all = await summaryAllTenants(store, { from, to });
 *   return all.total;
 * }
 * ```
 */
export async function summaryAllTenants(store: AuditStore, options: SummaryOptions): Promise<AuditSummary> {
  checkOptionNames(options, OPTION_KEYS, "summaryAllTenants()");
  return await summaryWith(store, options, allTenantsFilter(store, options.tenant, "summaryAllTenants"));
}
