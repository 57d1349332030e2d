/**
 * The statements of replay: starting (fence + clear), reading pages of events,
 * checkpointing, finishing and aborting (adoption's are in `adopt-statements.ts`).
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { quoteIdentifier, type TableName } from "./identifier.ts";
import { ParamList, statement } from "./statement.ts";
import { derivedName, STALE_SQLSTATE } from "./event-log-ddl.ts";
import { fenceLockKey } from "./write-prelude.ts";

/**
 * The bounds of the events a replay applies: a prefix of the log by position (a time bound
 * is resolved to a position once, at the start: {@link targetPositionQuery}), of one tenant
 * or of all.
 */
export interface ReplayBounds {
  /** Apply events up to and including this position. */
  readonly targetPosition: bigint;
  /** Only events of this tenant. */
  readonly tenant: string | null;
}

/** What a replay's target position is resolved from. */
export interface ReplayTarget {
  /** The position of the `untilEventId` event, when one was given. */
  readonly position: bigint | null;
  /** `untilTime`, when given. */
  readonly untilTime: Date | null;
  /** The tenant of a tenant replay. */
  readonly tenant: string | null;
}

/**
 * The target position as a scalar subquery: the last position of the log, or at most
 * `position`, and with a time bound the last such position whose event occurred at or before
 * it (among the tenant's events, for a tenant replay: time order agrees with position order
 * within a lock scope, so under the global scope, and per tenant under the tenant scope, the
 * events up to that position are exactly those at or before the time). 0 when none qualifies.
 */
function targetPositionQuery(log: EventLog, target: ReplayTarget, params: ParamList): string {
  const conditions: string[] = [];
  if (target.position !== null) conditions.push(`"position" <= ${params.add(target.position)}::bigint`);
  if (target.untilTime !== null) {
    conditions.push(`"occurred_at" <= ${params.add(target.untilTime)}::timestamptz`);
    if (target.tenant !== null) conditions.push(`"tenant" = ${params.add(target.tenant)}::text`);
  }
  const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
  return `(SELECT coalesce(max("position"), 0)::bigint FROM ${log.table.sql}${where})`;
}

/** The target position of a replay (see {@link targetPositionQuery}), for dry runs. */
export function targetPositionSql(log: EventLog, target: ReplayTarget): SqlStatement {
  const params = new ParamList();
  return params.build(`SELECT ${targetPositionQuery(log, target, params)} AS "position"`);
}

/** Take the fence lock alone: waits for in-flight writes, blocks new ones until commit. */
export function exclusiveFenceSql(log: EventLog): SqlStatement {
  const [a, b] = fenceLockKey(log);
  return statement("SELECT pg_advisory_xact_lock($1::int, $2::int)", [a, b]);
}

/**
 * Register a running replay (the fence). Fails with 23505 while another replay runs. The
 * target position is resolved here, under the fence lock so that no committed event is left
 * out: the last position of the log, at most `targetPosition`, and with `untilTime` the last
 * one at or before that time (see {@link targetPositionQuery}). Returns the target position.
 */
export function insertReplaySql(
  log: EventLog,
  replayId: string,
  tenant: string | null,
  targetPosition: bigint | null,
  options: string,
  untilTime: Date | null = null,
): SqlStatement {
  const params = new ParamList();
  const values = [params.add(replayId), params.add(tenant), params.add(options)];
  const target = targetPositionQuery(log, { position: targetPosition, untilTime, tenant }, params);
  return params.build(
    `INSERT INTO ${log.replayStateTable.sql} ("replay_id", "tenant", "status", "options", "target_position") ` +
      `VALUES (${values[0]}::text, ${values[1]}::text, 'running', ${
        values[2]
      }::jsonb, ${target}) RETURNING "target_position"`,
  );
}

/** The position of one event, by id. */
export function eventPositionSql(log: EventLog, eventId: string): SqlStatement {
  return statement(`SELECT "position" FROM ${log.table.sql} WHERE "id" = $1::text`, [eventId]);
}

/** The last position of the log. */
export function maxPositionSql(log: EventLog): SqlStatement {
  return statement(`SELECT coalesce(max("position"), 0)::bigint AS "position" FROM ${log.table.sql}`);
}

function boundConditions(bounds: ReplayBounds, params: ParamList): string[] {
  const conditions = [`"position" <= ${params.add(bounds.targetPosition)}::bigint`];
  if (bounds.tenant !== null) conditions.push(`"tenant" = ${params.add(bounds.tenant)}::text`);
  return conditions;
}

/**
 * Count the events a replay within `bounds` applies, from the start of the log, and note the
 * count in the replay's `options` (`eventsInScope`), so that later calls of the same replay
 * read it from the row instead of counting again. Returns the count.
 */
export function countEventsInScopeSql(log: EventLog, replayId: string, bounds: ReplayBounds): SqlStatement {
  const params = new ParamList();
  const conditions = boundConditions(bounds, params);
  return params.build(
    `WITH counted AS (SELECT count(*)::bigint AS "count" FROM ${log.table.sql} WHERE ${conditions.join(" AND ")}), ` +
      `noted AS (UPDATE ${log.replayStateTable.sql} SET "options" = "options" || jsonb_build_object('eventsInScope', (SELECT "count" FROM counted)) ` +
      `WHERE "replay_id" = ${params.add(replayId)}::text) SELECT "count" FROM counted`,
  );
}

/**
 * Hold a replay for clearing: lock its state row and raise the stale SQLSTATE unless it is
 * still running at checkpoint 0. Sent first in every clearing request, in the same
 * transaction as the clear, so a clear never runs after any page of that replay committed
 * (or after it finished or was aborted); a page's checkpoint update waits for it.
 */
export function holdForClearSql(log: EventLog, replayId: string): SqlStatement {
  return statement(
    `WITH held AS (UPDATE ${log.replayStateTable.sql} SET "updated_at" = now() ` +
      `WHERE "replay_id" = $1::text AND "status" = 'running' AND "last_position" = 0 RETURNING 1) ` +
      `SELECT ${derivedName(log, "expect")}(EXISTS (SELECT 1 FROM held), $2::text) AS "ok"`,
    [replayId, STALE_SQLSTATE],
  );
}

/** One page of events in position order, keyset-paginated. */
export function eventPageSql(log: EventLog, bounds: ReplayBounds, afterPosition: bigint, limit: number): SqlStatement {
  const params = new ParamList();
  const conditions = [`"position" > ${params.add(afterPosition)}::bigint`, ...boundConditions(bounds, params)];
  return params.build(
    `SELECT * FROM ${log.table.sql} WHERE ${conditions.join(" AND ")} ORDER BY "position" LIMIT ${
      params.add(limit)
    }::int`,
  );
}

/** Counters a checkpoint adds. */
export interface CheckpointDelta {
  readonly lastPosition: bigint;
  readonly applied: number;
  readonly skipped: number;
  readonly routed: number;
}

/**
 * Move the checkpoint from `fromPosition` to `delta.lastPosition`. Raises the stale SQLSTATE
 * when the replay is no longer running or another process moved the checkpoint first.
 */
export function checkpointSql(
  log: EventLog,
  replayId: string,
  fromPosition: bigint,
  delta: CheckpointDelta,
): SqlStatement {
  return statement(
    `WITH moved AS (UPDATE ${log.replayStateTable.sql} SET "last_position" = $1::bigint, ` +
      `"applied" = "applied" + $2::bigint, "skipped" = "skipped" + $3::bigint, "routed" = "routed" + $4::bigint, ` +
      `"updated_at" = now(), "error" = NULL ` +
      `WHERE "replay_id" = $5::text AND "status" = 'running' AND "last_position" = $6::bigint RETURNING 1) ` +
      `SELECT ${derivedName(log, "expect")}(EXISTS (SELECT 1 FROM moved), $7::text) AS "ok"`,
    [delta.lastPosition, delta.applied, delta.skipped, delta.routed, replayId, fromPosition, STALE_SQLSTATE],
  );
}

/** End a replay: `completed` or `aborted`. Lifts the fence. */
export function finishReplaySql(log: EventLog, replayId: string, status: "completed" | "aborted"): SqlStatement {
  return statement(
    `UPDATE ${log.replayStateTable.sql} SET "status" = $1::text, "finished_at" = now(), "updated_at" = now() ` +
      `WHERE "replay_id" = $2::text AND "status" = 'running' RETURNING "replay_id"`,
    [status, replayId],
  );
}

/** Note why a running replay stopped (it stays running, fenced, resumable). */
export function noteReplayErrorSql(log: EventLog, replayId: string, message: string): SqlStatement {
  return statement(
    `UPDATE ${log.replayStateTable.sql} SET "error" = $1::text, "updated_at" = now() WHERE "replay_id" = $2::text AND "status" = 'running'`,
    [message, replayId],
  );
}

/** The running replay, if any (at most one runs at a time). */
export function runningReplaySql(log: EventLog): SqlStatement {
  return statement(`SELECT * FROM ${log.replayStateTable.sql} WHERE "status" = 'running'`);
}

/**
 * The state row of one replay: by id, or else the running replay, or else the one started
 * last. Positions and counters come as text (exact past 2^53 on every driver).
 */
export function replayStatusSql(log: EventLog, replayId?: string): SqlStatement {
  const columns = `"replay_id", "tenant", "status", "options", "target_position"::text AS "target_position", ` +
    `"last_position"::text AS "last_position", "applied"::text AS "applied", "skipped"::text AS "skipped", ` +
    `"routed"::text AS "routed", "started_at", "updated_at", "finished_at", "error"`;
  if (replayId !== undefined) {
    return statement(`SELECT ${columns} FROM ${log.replayStateTable.sql} WHERE "replay_id" = $1::text`, [replayId]);
  }
  return statement(
    `SELECT ${columns} FROM ${log.replayStateTable.sql} ` +
      `ORDER BY ("status" = 'running') DESC, "started_at" DESC, "replay_id" DESC LIMIT 1`,
  );
}

/** A replay's state row, by id. */
export function replayByIdSql(log: EventLog, replayId: string): SqlStatement {
  return statement(`SELECT * FROM ${log.replayStateTable.sql} WHERE "replay_id" = $1::text`, [replayId]);
}

/** Delete every row of a table, or only one tenant's rows. */
export function clearTableSql(table: TableName, tenantColumn: string | undefined, tenant: string | null): SqlStatement {
  if (tenant === null) return statement(`DELETE FROM ${table.sql}`);
  if (tenantColumn === undefined) throw new TypeError("A tenant clear needs a tenant column");
  return statement(`DELETE FROM ${table.sql} WHERE ${quoteIdentifier(tenantColumn)}::text = $1::text`, [tenant]);
}

/**
 * The position of the adoption of a record after `position`, if any: an update of a record
 * that did not exist yet, because its row predates edge-events, is part of that snapshot.
 * Any create event counts (an adoption records `adopt` or the create action its caller named;
 * a record changed before any create of it came from outside the log, as an adopted row does).
 */
export function laterAdoptionSql(log: EventLog, resource: string, recordId: string, position: bigint): SqlStatement {
  return statement(
    `SELECT "position" FROM ${log.table.sql} WHERE "resource" = $1::text AND "record_id" = $2::text ` +
      `AND "action_type" = 'create' AND "position" > $3::bigint ORDER BY "position" LIMIT 1`,
    [resource, recordId, position],
  );
}
