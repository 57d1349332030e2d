/**
 * The statements of event-only resources (`table: false`): the record's events, and a write
 * that appends one event when the log says the record may be written. There is no row: the
 * `written` CTE selects the record id, guarded by the record's last event.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { EXPECTED_POSITION_SQLSTATE, NOT_FOUND_SQLSTATE, STALE_SQLSTATE } from "./event-log-ddl.ts";
import { quoteIdentifier } from "./identifier.ts";
import { ParamList } from "./statement.ts";
import { savepointTable } from "./savepoint-statements.ts";
import { type EventTarget, type EventValues, finishWrite } from "./write-statements.ts";

/** Which record of an event-only resource: its resource, id (as stored in `record_id`) and tenant. */
export interface EventOnlyRecord {
  readonly resource: string;
  readonly recordId: string;
  /** The tenant, for multi-tenant resources; undefined otherwise (events then hold no tenant). */
  readonly tenant: string | undefined;
}

/** Postgres's unique_violation: what a create of an existing record raises, as a duplicate key would. */
const EXISTS_SQLSTATE = "23505";

function recordEvents(log: EventLog, record: EventOnlyRecord, params: ParamList): string {
  let where = `"resource" = ${params.add(record.resource)}::text AND "record_id" = ${
    params.add(record.recordId)
  }::text`;
  if (record.tenant !== undefined) where += ` AND "tenant" = ${params.add(record.tenant)}::text`;
  return `FROM ${log.table.sql} WHERE ${where}`;
}

/**
 * The events of one record in position order (served by the `(resource, record_id, position)`
 * index): what its state is folded from.
 */
export function readRecordEventsSql(log: EventLog, record: EventOnlyRecord): SqlStatement {
  const params = new ParamList();
  return params.build(`SELECT * ${recordEvents(log, record, params)} ORDER BY "position"`);
}

/**
 * The newest savepoint of one record made by `foldVersion` (`__ee_sp_position`,
 * `__ee_sp_state`; null when there is none) and the record's events after it, in position
 * order, in one statement: where a change-function update of an event-only record folds its
 * state from. Always at least one row: with no event after the savepoint, one row whose event
 * columns are null.
 */
export function readRecordFromSavepointSql(log: EventLog, record: EventOnlyRecord, foldVersion: string): SqlStatement {
  const params = new ParamList();
  const savepoint = `SELECT s."position" AS "__ee_sp_position", s."state" AS "__ee_sp_state" FROM ${
    savepointTable(log)
  } AS s WHERE s."resource" = ${params.add(record.resource)}::text AND s."record_id" = ${
    params.add(record.recordId)
  }::text AND s."tenant" IS NOT DISTINCT FROM ${params.add(record.tenant ?? null)}::text AND s."fold_version" = ${
    params.add(foldVersion)
  }::text ORDER BY s."position" DESC LIMIT 1`;
  return params.build(
    `SELECT "sp".*, "e".* FROM (SELECT 1 AS "__ee_one") AS "one" LEFT JOIN LATERAL (${savepoint}) AS "sp" ON true ` +
      `LEFT JOIN LATERAL (SELECT * ${
        recordEvents(log, record, params)
      } AND "position" > COALESCE("sp"."__ee_sp_position", 0) ORDER BY "position") AS "e" ON true ` +
      `ORDER BY "e"."position"`,
  );
}

/** What an event-only write requires of the record's last event. */
export type EventOnlyCondition =
  /** A create: no event, or a last event that is a hard destroy (one of `hardDestroys`, by action name). */
  | { readonly kind: "create"; readonly hardDestroys: readonly string[] }
  /**
   * An update or destroy: a last event that is not a destroy (else `NOT_FOUND`), and with
   * `lastPosition` at exactly that position (else the stale SQLSTATE: a change-function update;
   * with `expected`, the caller's `expectedPosition`, the expected-position SQLSTATE).
   */
  | {
    readonly kind: "change";
    readonly lastPosition?: bigint;
    readonly expected?: boolean;
    /**
     * Which last events allow the change instead of "not a destroy": a restore's, one of the
     * soft destroys named (`softDestroys`); a purge's, any but the hard destroys named (`hardDestroys`).
     */
    readonly last?: { readonly softDestroys: readonly string[] } | { readonly hardDestroys: readonly string[] };
  };

/**
 * Append the event of an event-only record when its last event allows it. The check reads
 * the last event through the `(resource, record_id, position)` index; the batch's prelude
 * holds the write locks, so the snapshot of this statement already sees every earlier writer.
 * Raises `23505` for a create of a live record, `NOT_FOUND` (or stale) for a change of a
 * record that has no live state.
 */
export function eventOnlyWriteSql(
  log: EventLog,
  target: EventTarget,
  write: { readonly record: EventOnlyRecord; readonly condition: EventOnlyCondition },
  event: EventValues,
  stamped: readonly string[],
): SqlStatement {
  const { record, condition } = write;
  const params = new ParamList();
  const id = `${params.add(record.recordId)}::text AS ${quoteIdentifier(target.columns[target.primaryKey]!)}`;
  let guard: string;
  let code: string;
  if (condition.kind === "create") {
    const last = `SELECT "action_type", "action" ${recordEvents(log, record, params)} ORDER BY "position" DESC LIMIT 1`;
    guard = `NOT EXISTS (SELECT 1 FROM (${last}) AS l WHERE NOT (l."action_type" = 'destroy' AND l."action" = ANY(${
      params.add(condition.hardDestroys)
    }::text[])))`;
    code = EXISTS_SQLSTATE;
  } else {
    const last = `SELECT "position", "action_type"${condition.last === undefined ? "" : `, "action"`} ${
      recordEvents(log, record, params)
    } ORDER BY "position" DESC LIMIT 1`;
    const allowed = condition.last === undefined
      ? `l."action_type" <> 'destroy'`
      : "softDestroys" in condition.last
      ? `l."action_type" = 'destroy' AND l."action" = ANY(${params.add(condition.last.softDestroys)}::text[])`
      : `NOT (l."action_type" = 'destroy' AND l."action" = ANY(${params.add(condition.last.hardDestroys)}::text[]))`;
    const at = condition.lastPosition === undefined
      ? ""
      : ` AND l."position" = ${params.add(condition.lastPosition)}::bigint`;
    guard = `EXISTS (SELECT 1 FROM (${last}) AS l WHERE ${allowed}${at})`;
    code = condition.lastPosition === undefined
      ? NOT_FOUND_SQLSTATE
      : condition.expected === true
      ? EXPECTED_POSITION_SQLSTATE
      : STALE_SQLSTATE;
  }
  return finishWrite(log, target, params, {
    body: `SELECT ${id} WHERE ${guard}`,
    appended: { event },
    code,
    stamped,
  });
}
