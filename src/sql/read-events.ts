/**
 * Reading the event log: one record's history and snapshots in position order, and the feed
 * in `(tx_id, position)` order.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { ParamList, statement } from "./statement.ts";

/**
 * Which tenant's events a read returns: a tenant id (`"tenant" = $n`), `null` (only events
 * without a tenant: `"tenant" IS NULL`), or `undefined` (every tenant: no condition).
 */
export type TenantFilter = string | null | undefined;

/** Filters of a log read. */
export interface ReadEventsFilter {
  readonly afterPosition?: bigint | undefined;
  readonly limit?: number | undefined;
  readonly resource?: string | undefined;
  readonly recordId?: string | undefined;
  /** See {@link TenantFilter}. Omitted: every tenant. */
  readonly tenant?: TenantFilter;
}

/** A point of the feed: the last `(tx_id, position)` a reader has seen. */
export interface FeedPoint {
  /** The `tx_id` (xid8) as decimal digits. */
  readonly txId: string;
  readonly position: bigint;
}

/** Filters of a feed read. */
export interface ReadFeedFilter {
  /** Only events after this point, in `(tx_id, position)` order. Default: from the start. */
  readonly after?: FeedPoint | undefined;
  readonly limit?: number | undefined;
  readonly resource?: string | undefined;
  /** Only events of these resources (a projection's); combines with `resource`. */
  readonly resources?: readonly string[] | undefined;
  /** See {@link TenantFilter}. Omitted: every tenant. */
  readonly tenant?: TenantFilter;
}

/** The visibility horizon: only events whose transaction is older than every one still running. */
const HORIZON = `"tx_id" < pg_snapshot_xmin(pg_current_snapshot())`;

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new RangeError("limit must be an integer from 1 to 10000");
  }
}

function tenantCondition(params: ParamList, tenant: TenantFilter): string[] {
  if (tenant === undefined) return [];
  if (tenant === null) return [`"tenant" IS NULL`];
  return [`"tenant" = ${params.add(tenant)}::text`];
}

/**
 * Events in position order, keyset-paginated by position (never OFFSET): one record's
 * history, or a snapshot of the log. With `horizon`, only up to the visibility horizon.
 * Following the log page by page is {@link readFeedSql}'s job: paging by position alone skips
 * events whose transaction commits late under narrower lock scopes.
 * @throws {RangeError} when `limit` is not a positive integer up to 10000
 */
export function readEventsSql(log: EventLog, filter: ReadEventsFilter = {}, horizon = false): SqlStatement {
  const limit = filter.limit ?? 1000;
  checkLimit(limit);
  const params = new ParamList();
  const conditions = [`"position" > ${params.add(filter.afterPosition ?? 0n)}::bigint`];
  if (horizon) conditions.push(HORIZON);
  if (filter.resource !== undefined) conditions.push(`"resource" = ${params.add(filter.resource)}::text`);
  if (filter.recordId !== undefined) conditions.push(`"record_id" = ${params.add(filter.recordId)}::text`);
  conditions.push(...tenantCondition(params, filter.tenant));
  return params.build(
    `SELECT * FROM ${log.table.sql} WHERE ${conditions.join(" AND ")} ORDER BY "position" LIMIT ${
      params.add(limit)
    }::int`,
  );
}

/**
 * The feed: events in `(tx_id, position)` order after a point, keyset-paginated on that pair
 * (the `(tx_id, position)` index). With `horizon`, only events whose transaction is below the
 * visibility horizon: that set only grows, and every event that joins it later has a `tx_id`
 * at or above the horizon it was read with, so it sorts after every event already read. A
 * reader that resumes after the last pair it saw therefore never skips an event, whatever
 * order transactions drew positions and committed in.
 * @throws {RangeError} when `limit` is not a positive integer up to 10000
 */
export function readFeedSql(log: EventLog, filter: ReadFeedFilter = {}, horizon = true): SqlStatement {
  const limit = filter.limit ?? 1000;
  checkLimit(limit);
  const params = new ParamList();
  const after = filter.after ?? { txId: "0", position: 0n };
  const conditions = [
    `("tx_id", "position") > (${params.add(after.txId)}::xid8, ${params.add(after.position)}::bigint)`,
  ];
  if (horizon) conditions.push(HORIZON);
  if (filter.resource !== undefined) conditions.push(`"resource" = ${params.add(filter.resource)}::text`);
  if (filter.resources !== undefined) conditions.push(`"resource" = ANY(${params.add(filter.resources)}::text[])`);
  conditions.push(...tenantCondition(params, filter.tenant));
  return params.build(
    `SELECT * FROM ${log.table.sql} WHERE ${conditions.join(" AND ")} ORDER BY "tx_id", "position" LIMIT ${
      params.add(limit)
    }::int`,
  );
}

/**
 * The end of the feed: the greatest `(tx_id, position)` among the events a {@link readFeedSql}
 * read with the same filters and horizon would return now; no row on an empty feed. A reader
 * that starts after it skips nothing that commits later: every such event sorts after it (see
 * {@link readFeedSql}). One row, read backwards along the `(tx_id, position)` index.
 */
export function feedEndSql(
  log: EventLog,
  filter: Pick<ReadFeedFilter, "resource" | "tenant"> = {},
  horizon = true,
): SqlStatement {
  const params = new ParamList();
  const conditions: string[] = [];
  if (horizon) conditions.push(HORIZON);
  if (filter.resource !== undefined) conditions.push(`"resource" = ${params.add(filter.resource)}::text`);
  conditions.push(...tenantCondition(params, filter.tenant));
  const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
  return params.build(
    `SELECT "tx_id", "position" FROM ${log.table.sql}${where} ORDER BY "tx_id" DESC, "position" DESC LIMIT 1`,
  );
}

/** Events by id (the idempotent-retry path). */
export function readEventsByIdSql(log: EventLog, ids: readonly string[]): SqlStatement {
  return statement(`SELECT * FROM ${log.table.sql} WHERE "id" = ANY($1::text[])`, [ids]);
}
