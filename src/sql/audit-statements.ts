/**
 * The statements of audit queries over the whole log: a page of events matching filters, in
 * position order, keyset-paginated (`auditSql`), and the counts of an audit dashboard over a
 * time range in one query (`summarySql`). Every filter is a condition an index of the log
 * serves (see `event-log-ddl.ts`); every value is a parameter.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { ActorColumnType, EventLog } from "../core/event-log.ts";
import { quoteIdentifier } from "./identifier.ts";
import { ParamList } from "./statement.ts";
import type { TenantFilter } from "./read-events.ts";

/** The most events one audit page may ask for. */
export const AUDIT_MAX_LIMIT = 1000;
/** The events of an audit page when no `limit` is given. */
export const AUDIT_DEFAULT_LIMIT = 100;

/** An actor filter, resolved to its column: the id as text, cast to the column's type. */
export interface AuditActorFilter {
  readonly column: string;
  readonly columnType: ActorColumnType;
  readonly id: string;
}

/** The filters audit and summary share. Each given one is a condition; they combine with AND. */
export interface AuditConditions {
  readonly resource?: string | undefined;
  /** See {@link TenantFilter}. Omitted: every tenant. */
  readonly tenant?: TenantFilter;
  /** `occurred_at >= from` (inclusive). */
  readonly from?: Date | undefined;
  /** `occurred_at < to` (exclusive). */
  readonly to?: Date | undefined;
  /** Only events whose transaction is below the visibility horizon (narrower lock scopes). */
  readonly horizon?: boolean | undefined;
}

/** The filters of one audit page. */
export interface AuditFilter extends AuditConditions {
  readonly action?: string | undefined;
  readonly actionType?: string | undefined;
  readonly actor?: AuditActorFilter | undefined;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  /** Events after (forward) or before (backward) this position. Default: from the start or the end. */
  readonly position?: bigint | undefined;
  /** `forward` (position order, the default) or `backward` (newest first). */
  readonly direction?: "forward" | "backward" | undefined;
  /** Events to return, 1 to {@link AUDIT_MAX_LIMIT}; the statement asks for one more, to tell whether another page follows. */
  readonly limit?: number | undefined;
}

const HORIZON = `"tx_id" < pg_snapshot_xmin(pg_current_snapshot())`;

function sharedConditions(params: ParamList, filter: AuditConditions): string[] {
  const conditions: string[] = [];
  if (filter.horizon === true) conditions.push(HORIZON);
  if (filter.resource !== undefined) conditions.push(`"resource" = ${params.add(filter.resource)}::text`);
  if (filter.tenant === null) conditions.push(`"tenant" IS NULL`);
  else if (filter.tenant !== undefined) conditions.push(`"tenant" = ${params.add(filter.tenant)}::text`);
  if (filter.from !== undefined) conditions.push(`"occurred_at" >= ${params.add(filter.from)}::timestamptz`);
  if (filter.to !== undefined) conditions.push(`"occurred_at" < ${params.add(filter.to)}::timestamptz`);
  return conditions;
}

/**
 * One page of audit events: the events matching every filter, after (forward) or before
 * (backward) a position, in position order (newest first backward), at most `limit + 1` rows
 * (the extra row only says that another page follows).
 * @throws {RangeError} when `limit` is not an integer from 1 to {@link AUDIT_MAX_LIMIT}
 * @example
 * ```ts
 * import { defineEventLog } from "edge-events";
 *
 * const log = defineEventLog();
 * auditSql(log, { resource: "account", action: "deposit", limit: 50 });
 * // SELECT * FROM "events" WHERE "resource" = $1::text AND "action" = $2::text ORDER BY "position" LIMIT $3::int
 * ```
 */
export function auditSql(log: EventLog, filter: AuditFilter = {}): SqlStatement {
  const limit = filter.limit ?? AUDIT_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${AUDIT_MAX_LIMIT}`);
  }
  const backward = filter.direction === "backward";
  const params = new ParamList();
  const conditions: string[] = [];
  if (filter.position !== undefined) {
    conditions.push(`"position" ${backward ? "<" : ">"} ${params.add(filter.position)}::bigint`);
  }
  conditions.push(...sharedConditions(params, filter));
  if (filter.action !== undefined) conditions.push(`"action" = ${params.add(filter.action)}::text`);
  if (filter.actionType !== undefined) conditions.push(`"action_type" = ${params.add(filter.actionType)}::text`);
  if (filter.actor !== undefined) {
    const { column, columnType, id } = filter.actor;
    conditions.push(`${quoteIdentifier(column)} = ${params.add(id)}::${columnType}`);
  }
  if (filter.correlationId !== undefined) {
    conditions.push(`"correlation_id" = ${params.add(filter.correlationId)}::text`);
  }
  if (filter.causationId !== undefined) conditions.push(`"causation_id" = ${params.add(filter.causationId)}::text`);
  const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
  return params.build(
    `SELECT * FROM ${log.table.sql}${where} ORDER BY "position"${backward ? " DESC" : ""} LIMIT ${
      params.add(limit + 1)
    }::int`,
  );
}

/** The filters of a summary: a time range (required), optionally one resource and a tenant. */
export interface SummaryFilter extends AuditConditions {
  readonly from: Date;
  readonly to: Date;
}

/**
 * The numbers of an audit dashboard over `[from, to)` in one query: one row per action type
 * (`kind` = `action_type`), per resource and action (`action`), per actor (`actor`, with null
 * keys for anonymous events), and one `total` row carrying the count and the first and last
 * event (id, position, time). The events in range are read once (a materialized CTE over the
 * `(occurred_at)` index) and grouped with `GROUPING SETS`. With no event in range, only the
 * `total` row, with a count of 0.
 *
 * Actor type names are parameters: the `CASE` over the actor columns names each column, and
 * binds the type it stands for.
 * @example
 * ```ts
 * import { defineEventLog } from "edge-events";
 *
 * const log = defineEventLog();
 * summarySql(log, { from: new Date("2025-01-01"), to: new Date("2025-02-01"), resource: "account" });
 * ```
 */
export function summarySql(log: EventLog, filter: SummaryFilter): SqlStatement {
  const params = new ParamList();
  const conditions = sharedConditions(params, filter);
  const actors = Object.entries(log.actors);
  const actorType = actors.length === 0
    ? "NULL::text"
    : `CASE ${
      actors.map(([type, a]) => `WHEN ${quoteIdentifier(a.column)} IS NOT NULL THEN ${params.add(type)}::text`).join(
        " ",
      )
    } END`;
  const actorId = actors.length === 0
    ? "NULL::text"
    : `COALESCE(${actors.map(([, a]) => `${quoteIdentifier(a.column)}::text`).join(", ")})`;
  const groups = `GROUPING("action_type", "resource", "action", "actor_type", "actor_id")`;
  return params.build(
    `WITH "scoped" AS MATERIALIZED (SELECT "position", "id", "occurred_at", "action_type", "resource", "action", ` +
      `${actorType} AS "actor_type", ${actorId} AS "actor_id" FROM ${log.table.sql} WHERE ${
        conditions.join(" AND ")
      }), ` +
      `"counts" AS (SELECT ${groups} AS "grouping", "action_type", "resource", "action", "actor_type", "actor_id", ` +
      `count(*) AS "count", min("position") AS "first_position", max("position") AS "last_position" FROM "scoped" ` +
      `GROUP BY GROUPING SETS (("action_type"), ("resource", "action"), ("actor_type", "actor_id"), ())) ` +
      `SELECT CASE c."grouping" WHEN 15 THEN 'action_type' WHEN 19 THEN 'action' WHEN 28 THEN 'actor' ELSE 'total' END ` +
      `AS "kind", c."action_type", c."resource", c."action", c."actor_type", c."actor_id", c."count", ` +
      `f."position" AS "first_position", f."id" AS "first_id", f."occurred_at" AS "first_occurred_at", ` +
      `l."position" AS "last_position", l."id" AS "last_id", l."occurred_at" AS "last_occurred_at" ` +
      `FROM "counts" AS c ` +
      `LEFT JOIN "scoped" AS f ON c."grouping" = 31 AND f."position" = c."first_position" ` +
      `LEFT JOIN "scoped" AS l ON c."grouping" = 31 AND l."position" = c."last_position" ` +
      `ORDER BY c."grouping", c."count" DESC, c."action_type", c."resource", c."action", c."actor_type", c."actor_id"`,
  );
}
