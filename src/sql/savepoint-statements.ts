/**
 * The savepoint table (`<table>_savepoints`: a record's folded state at one of its positions,
 * with the fingerprint of the fold that made it) and the reads that savepoints and
 * `materialize` send: one record's events, with or without the newest usable savepoint, and
 * the checks of `materialize`'s write batch.
 * @module
 */
import type { SqlParam, SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { derivedName } from "./event-log-ddl.ts";
import { quoteIdentifier } from "./identifier.ts";
import { ParamList, statement } from "./statement.ts";

/** The SQLSTATE `materialize`'s batch raises when the record's row already exists. */
export const ROW_EXISTS_SQLSTATE = "EEX01";

/** The savepoint table of `log`, as quoted SQL (created by the log's migration, see event-log-ddl.ts). */
export function savepointTable(log: EventLog): string {
  return derivedName(log, "savepoints");
}

/** Which record's events: its id, the resources whose events may apply to it, its tenant. */
export interface RecordEventsFilter {
  /** The record's resource (savepoints are kept under its name). */
  readonly resource: string;
  /** The resource and every resource whose events a replay route sends to it. */
  readonly sources: readonly string[];
  readonly recordId: string;
  /** The tenant (`null`: events without one). */
  readonly tenant: string | null;
}

function eventConditions(filter: RecordEventsFilter, params: ParamList): string {
  return `"record_id" = ${params.add(filter.recordId)}::text AND "resource" = ANY(${
    params.add(Object.freeze([...filter.sources]))
  }::text[]) AND "tenant" IS NOT DISTINCT FROM ${params.add(filter.tenant)}::text`;
}

function savepointConditions(filter: RecordEventsFilter, params: ParamList): string {
  return `"resource" = ${params.add(filter.resource)}::text AND "record_id" = ${
    params.add(filter.recordId)
  }::text AND "tenant" IS NOT DISTINCT FROM ${params.add(filter.tenant)}::text`;
}

/** Every event of a record, in position order. */
export function recordEventsSql(log: EventLog, filter: RecordEventsFilter): SqlStatement {
  const params = new ParamList();
  return params.build(
    `SELECT * FROM ${log.table.sql} WHERE ${eventConditions(filter, params)} ORDER BY "position"`,
  );
}

/**
 * The newest savepoint of a record made by `foldVersion`, at or before `atOrBefore` (null: any
 * position). `position` as text, exact on every driver.
 */
export function newestSavepointSql(
  log: EventLog,
  filter: RecordEventsFilter,
  foldVersion: string,
  atOrBefore: bigint | null,
): SqlStatement {
  const params = new ParamList();
  return params.build(
    `SELECT s."position"::text AS "position", s."state" FROM ${savepointTable(log)} AS s WHERE ${
      savepointConditions(filter, params)
    } AND "fold_version" = ${params.add(foldVersion)}::text AND "position" <= ${
      params.add(atOrBefore ?? (1n << 63n) - 1n)
    }::bigint ORDER BY s."position" DESC LIMIT 1`,
  );
}

/**
 * The events of a record after its newest savepoint of `foldVersion` (all of them when it has
 * none). Sent with {@link newestSavepointSql} in one repeatable-read batch, so both read one
 * snapshot.
 */
export function eventsAfterSavepointSql(log: EventLog, filter: RecordEventsFilter, foldVersion: string): SqlStatement {
  const params = new ParamList();
  const events = eventConditions(filter, params);
  const newest = `SELECT max("position") FROM ${savepointTable(log)} WHERE ${
    savepointConditions(filter, params)
  } AND "fold_version" = ${params.add(foldVersion)}::text`;
  return params.build(
    `SELECT * FROM ${log.table.sql} WHERE ${events} AND "position" > coalesce((${newest}), 0) ORDER BY "position"`,
  );
}

/** What one savepoint row holds. */
export interface SavepointValues {
  readonly position: bigint;
  /** The state as JSON text. */
  readonly state: string;
  readonly foldVersion: string;
}

/** Store a savepoint; a second one at the same position and fold version replaces the first. */
export function insertSavepointSql(log: EventLog, filter: RecordEventsFilter, values: SavepointValues): SqlStatement {
  return statement(
    `INSERT INTO ${savepointTable(log)} ("resource", "record_id", "tenant", "position", "state", "fold_version") ` +
      `VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::jsonb, $6::text) ` +
      `ON CONFLICT ("resource", "record_id", "position", "fold_version") DO UPDATE SET "state" = EXCLUDED."state", ` +
      `"tenant" = EXCLUDED."tenant", "created_at" = now()`,
    [filter.resource, filter.recordId, filter.tenant, values.position, values.state, values.foldVersion],
  );
}

/** Which savepoints `verifySavepoints` reads: one record's, or every record's of a resource. */
export interface SavepointScope {
  readonly resource: string;
  readonly sources: readonly string[];
  /** One record; undefined: every record of the resource that has a savepoint. */
  readonly recordId: string | undefined;
  readonly tenant: string | null;
}

function scopeConditions(scope: SavepointScope, params: ParamList): string {
  const conditions = [
    `"resource" = ${params.add(scope.resource)}::text`,
    `"tenant" IS NOT DISTINCT FROM ${params.add(scope.tenant)}::text`,
  ];
  if (scope.recordId !== undefined) conditions.push(`"record_id" = ${params.add(scope.recordId)}::text`);
  return conditions.join(" AND ");
}

/** The savepoints in scope, by record and position; `position` as text. */
export function savepointsSql(log: EventLog, scope: SavepointScope): SqlStatement {
  const params = new ParamList();
  return params.build(
    `SELECT s."record_id", s."position"::text AS "position", s."state", s."fold_version" FROM ${
      savepointTable(log)
    } AS s WHERE ${scopeConditions(scope, params)} ORDER BY s."record_id", s."position", s."fold_version"`,
  );
}

/** The events of every record that has a savepoint in scope, by record and position. */
export function savepointRecordEventsSql(log: EventLog, scope: SavepointScope): SqlStatement {
  const params = new ParamList();
  const records = `SELECT DISTINCT "record_id" FROM ${savepointTable(log)} WHERE ${scopeConditions(scope, params)}`;
  return params.build(
    `SELECT * FROM ${log.table.sql} WHERE "record_id" IN (${records}) AND "resource" = ANY(${
      params.add(Object.freeze([...scope.sources]))
    }::text[]) AND "tenant" IS NOT DISTINCT FROM ${params.add(scope.tenant)}::text ORDER BY "record_id", "position"`,
  );
}

/**
 * `materialize`'s check, after the write prelude took the record's write locks: the record's
 * latest event is still at `position`, else `staleCode` (the write path's stale SQLSTATE).
 */
export function latestPositionCheckSql(
  log: EventLog,
  filter: RecordEventsFilter,
  position: bigint,
  staleCode: string,
): SqlStatement {
  const params = new ParamList();
  const latest = `(SELECT max("position") FROM ${log.table.sql} WHERE ${eventConditions(filter, params)})`;
  return params.build(
    `SELECT ${derivedName(log, "expect")}(${latest} IS NOT DISTINCT FROM ${params.add(position)}::bigint, ${
      params.add(staleCode)
    }::text) AS "ok"`,
  );
}

/** Raises {@link ROW_EXISTS_SQLSTATE} when `table` has a row with the primary key `id`. */
export function rowAbsentCheckSql(log: EventLog, table: string, primaryKey: string, id: SqlParam): SqlStatement {
  return statement(
    `SELECT ${derivedName(log, "expect")}(NOT EXISTS (SELECT 1 FROM ${table} WHERE ${
      quoteIdentifier(primaryKey)
    } = $1), $2::text) AS "ok"`,
    [id, ROW_EXISTS_SQLSTATE],
  );
}

/** Delete the row of a record by its primary key, whatever it holds: `materialize({ overwrite: true })`. */
export function deleteRowSql(table: string, primaryKey: string, id: SqlParam): SqlStatement {
  return statement(`DELETE FROM ${table} WHERE ${quoteIdentifier(primaryKey)} = $1`, [id]);
}

/** The alias of {@link savepointDueSql}'s count. */
export const SAVEPOINT_DUE_ALIAS = "__ee_since_savepoint";

/**
 * How many events of the record that the event `eventId` belongs to follow its newest savepoint
 * of `foldVersion` (all of its events when it has none), counted up to `limit`: sent in a write
 * batch after the write, so the record is named by the event just inserted (its primary key) and
 * the count stops at `limit` rows of the `(resource, record_id, position)` index. The savepoint
 * is found by the savepoint table's primary key. `sources`: the resources whose events fold into
 * `resource` (itself included).
 */
export function savepointDueSql(
  log: EventLog,
  target: { readonly resource: string; readonly sources: readonly string[]; readonly eventId: string },
  foldVersion: string,
  limit: number,
): SqlStatement {
  const params = new ParamList();
  const record = `SELECT "record_id", "tenant" FROM ${log.table.sql} WHERE "id" = ${params.add(target.eventId)}::text`;
  const newest = `SELECT max(s."position") FROM ${savepointTable(log)} AS s WHERE s."resource" = ${
    params.add(target.resource)
  }::text AND s."record_id" = r."record_id" AND s."tenant" IS NOT DISTINCT FROM r."tenant" AND s."fold_version" = ${
    params.add(foldVersion)
  }::text`;
  return params.build(
    `SELECT count(*)::int AS "${SAVEPOINT_DUE_ALIAS}" FROM (SELECT 1 FROM (${record}) AS r JOIN ${log.table.sql} AS e ` +
      `ON e."record_id" = r."record_id" AND e."tenant" IS NOT DISTINCT FROM r."tenant" AND e."resource" = ANY(${
        params.add(Object.freeze([...target.sources]))
      }::text[]) AND e."position" > coalesce((${newest}), 0) LIMIT ${params.add(limit)}::bigint) AS c`,
  );
}
