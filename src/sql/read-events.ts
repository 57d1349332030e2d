/**
 * Reading the event log in position order.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { ParamList, statement } from "./statement.ts";

/** Filters of a log read. */
export interface ReadEventsFilter {
  readonly afterPosition?: bigint;
  readonly limit?: number;
  readonly resource?: string;
  readonly recordId?: string;
}

/**
 * Events in position order, keyset-paginated by position (never OFFSET). With `horizon`,
 * only up to the visibility horizon, so that a reader paging by position never skips an
 * event that commits late.
 * @throws {RangeError} when `limit` is not a positive integer up to 10000
 */
export function readEventsSql(log: EventLog, filter: ReadEventsFilter = {}, horizon = false): SqlStatement {
  const limit = filter.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError("limit must be an integer from 1 to 10000");
  const params = new ParamList();
  const conditions = [`"position" > ${params.add(filter.afterPosition ?? 0n)}::bigint`];
  // The visibility horizon: only events whose transaction is older than every transaction
  // still running. Under tenant or custom lock scopes positions can commit out of order; a
  // reader paging by position would otherwise skip an event that commits after it read past it.
  if (horizon) conditions.push(`"tx_id" < pg_snapshot_xmin(pg_current_snapshot())`);
  if (filter.resource !== undefined) conditions.push(`"resource" = ${params.add(filter.resource)}::text`);
  if (filter.recordId !== undefined) conditions.push(`"record_id" = ${params.add(filter.recordId)}::text`);
  return params.build(`SELECT * FROM ${log.table.sql} WHERE ${conditions.join(" AND ")} ORDER BY "position" LIMIT ${params.add(limit)}::int`);
}

/** Events by id (the idempotent-retry path). */
export function readEventsByIdSql(log: EventLog, ids: readonly string[]): SqlStatement {
  return statement(`SELECT * FROM ${log.table.sql} WHERE "id" = ANY($1::text[])`, [ids]);
}
