/**
 * Reading one record's past: a page of its events (keyset on position), the events a fold
 * needs up to one or more points in one statement, and the events before a given event.
 * @module
 */
import type { EventLog } from "../core/event-log.ts";
import type { SqlStatement } from "../core/executor.ts";
import { ParamList } from "./statement.ts";
import { savepointTable } from "./savepoint-statements.ts";

/**
 * The events that make up one record of one resource: its own events, plus events of other
 * resources that a `replayOverrides` route sends to it, minus its own events that a route
 * sends only elsewhere. Confined to one tenant (`null`: events without a tenant).
 */
export interface RecordStream {
  readonly resource: string;
  readonly recordId: string;
  readonly tenant: string | null;
  /** `[resource, action, version]` of other resources' events routed to this resource. */
  readonly routedIn: readonly (readonly [string, string, number])[];
  /** `[action, version]` of this resource's events routed only to other resources. */
  readonly routedAway: readonly (readonly [string, number])[];
}

/** The largest position: a backward page without a cursor reads before it. */
// A literal (2^63-1), not (1n << 63n) - 1n: a bundler keeps top-level expressions it cannot prove pure.
export const POSITION_MAX: bigint = 9223372036854775807n;

/**
 * The condition selecting a stream's events. The leading `resource`/`record_id` conditions
 * are what the `(resource, record_id, position)` index serves; the route filter only narrows
 * the rows that index found.
 */
function streamCondition(params: ParamList, stream: RecordStream): string {
  const conditions: string[] = [];
  if (stream.routedIn.length === 0) {
    conditions.push(`"resource" = ${params.add(stream.resource)}::text`);
  } else {
    const resources = [stream.resource, ...new Set(stream.routedIn.map(([r]) => r))];
    conditions.push(`"resource" = ANY(${params.add(resources)}::text[])`);
  }
  conditions.push(`"record_id" = ${params.add(stream.recordId)}::text`);
  conditions.push(stream.tenant === null ? `"tenant" IS NULL` : `"tenant" = ${params.add(stream.tenant)}::text`);
  if (stream.routedIn.length > 0 || stream.routedAway.length > 0) {
    let own = `"resource" = ${params.add(stream.resource)}::text`;
    if (stream.routedAway.length > 0) {
      const actions = params.add(stream.routedAway.map(([a]) => a));
      const versions = params.add(stream.routedAway.map(([, v]) => v));
      own += ` AND ("action", "version") NOT IN (SELECT * FROM unnest(${actions}::text[], ${versions}::int[]))`;
    }
    if (stream.routedIn.length === 0) {
      conditions.push(own);
    } else {
      const resources = params.add(stream.routedIn.map(([r]) => r));
      const actions = params.add(stream.routedIn.map(([, a]) => a));
      const versions = params.add(stream.routedIn.map(([, , v]) => v));
      conditions.push(
        `((${own}) OR ("resource", "action", "version") IN ` +
          `(SELECT * FROM unnest(${resources}::text[], ${actions}::text[], ${versions}::int[])))`,
      );
    }
  }
  return conditions.join(" AND ");
}

/** A page of a stream: after (forward) or before (backward) a position. */
export interface StreamPage {
  readonly direction: "forward" | "backward";
  /** Exclusive: the last position of the previous page (forward default 0, backward {@link POSITION_MAX}). */
  readonly from: bigint;
  /** Rows to read (the caller asks one more than it returns, to know whether more follow). */
  readonly limit: number;
}

/**
 * One page of a record's events in position order (forward) or newest first (backward),
 * keyset on position: one range scan of the `(resource, record_id, position)` index, never OFFSET.
 */
export function historyPageSql(log: EventLog, stream: RecordStream, page: StreamPage): SqlStatement {
  const params = new ParamList();
  const condition = streamCondition(params, stream);
  const forward = page.direction === "forward";
  return params.build(
    `SELECT * FROM ${log.table.sql} WHERE ${condition} AND "position" ${forward ? ">" : "<"} ${
      params.add(page.from)
    }::bigint ORDER BY "position"${forward ? "" : " DESC"} LIMIT ${params.add(page.limit)}::int`,
  );
}

/**
 * A point of a record's history, resolved in SQL to the position of the last event at or
 * before it: a position as given; an event's position (the event must be of the stream's
 * tenant, else no position); the record's last event at or before a time; or the last event
 * of a forward page of `limit` events after a position.
 */
export type FoldBound =
  | { readonly kind: "position"; readonly position: bigint }
  | { readonly kind: "event"; readonly eventId: string }
  | { readonly kind: "time"; readonly at: Date }
  | { readonly kind: "page"; readonly after: bigint; readonly limit: number }
  /**
   * The position right before the oldest of the `limit` events before `before` (0 when there
   * is none): where a backward page's fold may start from a savepoint.
   */
  | { readonly kind: "before-page"; readonly before: bigint; readonly limit: number };

function boundSql(log: EventLog, params: ParamList, stream: string, tenant: () => string, bound: FoldBound): string {
  const table = log.table.sql;
  switch (bound.kind) {
    case "position":
      return `${params.add(bound.position)}::bigint`;
    case "event":
      return `(SELECT "position" FROM ${table} WHERE "id" = ${params.add(bound.eventId)}::text AND ${tenant()})`;
    case "time":
      return `(SELECT max("position") FROM ${table} WHERE ${stream} AND "occurred_at" <= ${
        params.add(bound.at)
      }::timestamptz)`;
    case "page":
      return `(SELECT max("position") FROM (SELECT "position" FROM ${table} WHERE ${stream} AND "position" > ${
        params.add(bound.after)
      }::bigint ORDER BY "position" LIMIT ${params.add(bound.limit)}::int) AS "page")`;
    case "before-page":
      return `(SELECT COALESCE(min("position") - 1, 0) FROM (SELECT "position" FROM ${table} WHERE ${stream} ` +
        `AND "position" < ${params.add(bound.before)}::bigint ORDER BY "position" DESC LIMIT ${
          params.add(bound.limit)
        }::int) AS "page")`;
  }
}

/** What a fold reads: the stream, the position it starts after (a seed's, or 0), and its points. */
export interface FoldRead {
  readonly stream: RecordStream;
  /** Events after this position only: 0 from the start. */
  readonly after: bigint;
  readonly points: readonly FoldBound[];
  /** Start from the record's newest usable savepoint, when it has one. */
  readonly savepoint?: FoldSavepoint | undefined;
}

/** Which savepoint a fold read may start from. */
export interface FoldSavepoint {
  /** The fold version of the resource: savepoints of another version are retired, never read. */
  readonly foldVersion: string;
  /**
   * The resource's soft-destroy attributes: a savepoint with any of them set is not used (it
   * does not say which event destroyed the record).
   */
  readonly softAttributes: readonly string[];
  /** The savepoint stands at or before the least of the points, or at or before a position. */
  readonly atOrBefore: "points" | bigint;
}

function savepointJoin(log: EventLog, params: ParamList, read: FoldRead, savepoint: FoldSavepoint): string {
  const { stream } = read;
  const bound = savepoint.atOrBefore === "points"
    ? (read.points.length === 0
      ? "NULL::bigint"
      : `LEAST(${read.points.map((_, i) => `"p"."__ee_point_${i}"`).join(", ")})`)
    : `${params.add(savepoint.atOrBefore)}::bigint`;
  let where = `s."resource" = ${params.add(stream.resource)}::text AND s."record_id" = ${
    params.add(stream.recordId)
  }::text AND s."tenant" IS NOT DISTINCT FROM ${params.add(stream.tenant)}::text AND s."fold_version" = ${
    params.add(savepoint.foldVersion)
  }::text AND s."position" <= ${bound}`;
  if (savepoint.softAttributes.length > 0) {
    where += ` AND NOT EXISTS (SELECT 1 FROM jsonb_each(s."state") AS kv WHERE kv."key" = ANY(${
      params.add(Object.freeze([...savepoint.softAttributes]))
    }::text[]) AND kv."value" <> 'null'::jsonb)`;
  }
  return ` LEFT JOIN LATERAL (SELECT s."position" AS "__ee_sp_position", s."state" AS "__ee_sp_state" FROM ${
    savepointTable(log)
  } AS s WHERE ${where} ORDER BY s."position" DESC LIMIT 1) AS "sp" ON true`;
}

/**
 * Everything a fold of one record to its points needs, in one statement: each point as a
 * position (`__ee_point_<i>`, null when there is none: no event at or before a time, an event
 * id not found in the tenant), the first create of the stream after point 0
 * (`__ee_next_create`), the last adoption of the record (`__ee_adopted`: its last create event,
 * which supersedes the updates and destroys of a missing record before it), and the stream's events after `after` up to the greatest
 * point, in position order. Always at least one row: with no event, one row whose event
 * columns are null. With `savepoint`, also the newest usable savepoint (`__ee_sp_position`,
 * `__ee_sp_state`; null when there is none), and the events from its position on (its own
 * event included, the record's last event there) instead of after `after`.
 */
export function recordFoldSql(log: EventLog, read: FoldRead): SqlStatement {
  const params = new ParamList();
  const table = log.table.sql;
  const stream = streamCondition(params, read.stream);
  // Bound only when an event point uses it: Postgres refuses a parameter it cannot type.
  let tenantSql: string | undefined;
  const tenant = (): string =>
    tenantSql ??= read.stream.tenant === null
      ? `"tenant" IS NULL`
      : `"tenant" = ${params.add(read.stream.tenant)}::text`;
  const points = read.points.map((bound, i) => `${boundSql(log, params, stream, tenant, bound)} AS "__ee_point_${i}"`);
  const names = read.points.map((_, i) => `"__ee_meta"."__ee_point_${i}"`);
  const upTo = names.length === 0 ? "NULL::bigint" : `GREATEST(${names.join(", ")})`;
  // ORDER BY ... LIMIT 1 rather than min()/max(): the same index scan, planned in less time
  // (over HTTP every query is planned afresh, and planning is most of what this one costs).
  const meta = `SELECT "p".*, ` +
    `(SELECT "position" FROM ${table} WHERE ${stream} AND "action_type" = 'create' AND "position" > ` +
    `COALESCE(${
      read.points.length === 0 ? "NULL" : `"p"."__ee_point_0"`
    }, 0) ORDER BY "position" LIMIT 1) AS "__ee_next_create", ` +
    `(SELECT "position" FROM ${table} WHERE ${stream} AND "action_type" = 'create' ` +
    `ORDER BY "position" DESC LIMIT 1) AS "__ee_adopted"${
      read.savepoint === undefined ? "" : `, "sp".*`
    } FROM (SELECT ${points.length === 0 ? '1 AS "__ee_none"' : points.join(", ")}) AS "p"${
      read.savepoint === undefined ? "" : savepointJoin(log, params, read, read.savepoint)
    }`;
  const after = read.savepoint === undefined
    ? `${params.add(read.after)}::bigint`
    : `COALESCE("__ee_meta"."__ee_sp_position" - 1, ${params.add(read.after)}::bigint)`;
  return params.build(
    `SELECT "__ee_meta".*, "__ee_event".* FROM (${meta}) AS "__ee_meta" LEFT JOIN LATERAL ` +
      `(SELECT * FROM ${table} WHERE ${stream} AND "position" > ${after} ` +
      `AND "position" <= ${upTo} ORDER BY "position") AS "__ee_event" ON true ORDER BY "__ee_event"."position"`,
  );
}

/** Where an anchor event of a tenant scope is: in `tenant`, or without one for a resource of `untenanted`. */
function anchorTenantSql(
  params: ParamList,
  scope: { readonly tenant: string | null; readonly untenanted: readonly string[] },
): string {
  if (scope.tenant === null) return `"anchor"."tenant" IS NULL`;
  return `("anchor"."tenant" = ${params.add(scope.tenant)}::text OR ("anchor"."tenant" IS NULL AND ` +
    `"anchor"."resource" = ANY(${params.add(Object.freeze([...scope.untenanted]))}::text[])))`;
}

/**
 * The events of an event's record (same resource and record id, same tenant) before it,
 * newest first, at most `limit`. The event is found in `tenant`, or (a store with a tenant)
 * without a tenant when its resource is one of `untenanted` (the resources without tenant).
 * One row per event; when the event is found with nothing before it, one row whose event
 * columns are null; when it is not found (or is another tenant's), no row.
 */
export function previousEventsSql(
  log: EventLog,
  eventId: string,
  scope: { readonly tenant: string | null; readonly untenanted: readonly string[] },
  limit: number,
): SqlStatement {
  const params = new ParamList();
  const table = log.table.sql;
  const id = params.add(eventId);
  const anchorTenant = anchorTenantSql(params, scope);
  return params.build(
    `SELECT "anchor"."position" AS "__ee_anchor", "__ee_event".* FROM ${table} AS "anchor" LEFT JOIN LATERAL ` +
      `(SELECT "e".* FROM ${table} AS "e" WHERE "e"."resource" = "anchor"."resource" ` +
      `AND "e"."record_id" = "anchor"."record_id" AND "e"."tenant" IS NOT DISTINCT FROM "anchor"."tenant" ` +
      `AND "e"."position" < "anchor"."position" ORDER BY "e"."position" DESC LIMIT ${
        params.add(limit)
      }::int) AS "__ee_event" ON true WHERE "anchor"."id" = ${id}::text AND ${anchorTenant} ` +
      `ORDER BY "__ee_event"."position" DESC`,
  );
}

/**
 * An event and its chain of parents (`parent_id`), one row each with its distance from the
 * event (`__ee_depth`, 0 for the event itself, at most `maxDepth`), root first. The event is
 * found in the tenant scope of {@link previousEventsSql}; no row when it is not found. The
 * link trigger keeps every parent in the event's record and tenant, and earlier, so the walk
 * ends. One statement: a recursive CTE over the primary key.
 */
export function ancestorsSql(
  log: EventLog,
  eventId: string,
  scope: { readonly tenant: string | null; readonly untenanted: readonly string[] },
  maxDepth: number,
): SqlStatement {
  const params = new ParamList();
  const table = log.table.sql;
  const id = params.add(eventId);
  const anchorTenant = anchorTenantSql(params, scope);
  return params.build(
    `WITH RECURSIVE "__ee_chain" AS (SELECT "anchor".*, 0 AS "__ee_depth" FROM ${table} AS "anchor" ` +
      `WHERE "anchor"."id" = ${id}::text AND ${anchorTenant} UNION ALL ` +
      `SELECT "p".*, "c"."__ee_depth" + 1 FROM "__ee_chain" AS "c" JOIN ${table} AS "p" ON "p"."id" = "c"."parent_id" ` +
      `WHERE "c"."__ee_depth" < ${params.add(maxDepth)}::int) ` +
      `SELECT * FROM "__ee_chain" ORDER BY "__ee_depth" DESC`,
  );
}
