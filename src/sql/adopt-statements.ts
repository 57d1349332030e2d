/**
 * The statements of adoption: rows that no create event describes, their adoption events,
 * and the writes of rows an adoption transforms or re-keys. Every row write is conditional on
 * its adoption event having been written earlier in the same batch.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import type { JsonObject } from "../core/json.ts";
import { quoteIdentifier, type TableName } from "./identifier.ts";
import { ParamList, statement } from "./statement.ts";
import { OCCURRED_AT_SETTING } from "./event-log-ddl.ts";

/** What an adoption page needs to know about the resource. */
export interface AdoptTarget {
  readonly resource: string;
  readonly table: TableName;
  readonly primaryKeyColumn: string;
  readonly tenantColumn: string | undefined;
}

/** Alias of the row as jsonb in the rows {@link unadoptedRowsSql} returns: the exact text of each column. */
export const ROW_JSON_ALIAS = "__ee_row";

/**
 * Rows of a resource that no create event describes (rows written before edge-events, even
 * if actions changed them since), in primary-key order after `afterKey`, each also as jsonb.
 */
export function unadoptedRowsSql(
  log: EventLog,
  target: AdoptTarget,
  afterKey: string | null,
  limit: number,
): SqlStatement {
  const params = new ParamList();
  const pk = `r.${quoteIdentifier(target.primaryKeyColumn)}`;
  const after = afterKey === null ? "" : ` AND ${pk}::text > ${params.add(afterKey)}::text`;
  return params.build(
    `SELECT r.*, ${pk}::text AS "__ee_record_id", to_jsonb(r) AS ${
      quoteIdentifier(ROW_JSON_ALIAS)
    } FROM ${target.table.sql} AS r WHERE NOT EXISTS (SELECT 1 FROM ${log.table.sql} AS e ` +
      `WHERE e."resource" = ${
        params.add(target.resource)
      }::text AND e."record_id" = ${pk}::text AND e."action_type" = 'create')${after} ` +
      `ORDER BY ${pk}::text LIMIT ${params.add(limit)}::int`,
  );
}

/** The values of one adoption event. */
export interface AdoptionEvent {
  readonly id: string;
  readonly recordId: string;
  /** The action recorded: `adopt`, or the create action of the resource named by the caller. */
  readonly action: string;
  /** The version recorded: 1 for `adopt`, else the action's current version. */
  readonly version: number;
  readonly changes: string;
  readonly tenant: string | null;
  readonly correlationId: string;
  readonly metadata: string;
  /**
   * A re-keyed row's old primary key as text: the event is written only while that row exists
   * and no event names it (else it is written unless a create event of `recordId` exists).
   */
  readonly previousId?: string | undefined;
}

/**
 * Append an adoption create event for a row, unless a create event for that record exists by
 * now (for a re-keyed row: only while the old row exists and no event names it). It takes the
 * batch's stamp (the batch starts with the write prelude).
 */
export function adoptionEventSql(log: EventLog, target: AdoptTarget, event: AdoptionEvent): SqlStatement {
  const params = new ParamList();
  const values = [
    `${params.add(event.id)}::text`,
    `current_setting('${OCCURRED_AT_SETTING}')::timestamptz`,
    `${params.add(target.resource)}::text`,
    `${params.add(event.recordId)}::text`,
    `${params.add(event.action)}::text`,
    `'create'`,
    `${params.add(event.version)}::int`,
    `'{}'::jsonb`,
    `${params.add(event.changes)}::jsonb`,
    `${params.add(event.metadata)}::jsonb`,
    `${params.add(event.tenant)}::text`,
    `${params.add(event.correlationId)}::text`,
  ];
  const described = (recordId: string, create: boolean): string =>
    `EXISTS (SELECT 1 FROM ${log.table.sql} WHERE "resource" = ${params.add(target.resource)}::text ` +
    `AND "record_id" = ${params.add(recordId)}::text${create ? ` AND "action_type" = 'create'` : ""})`;
  const guard = event.previousId === undefined
    ? `NOT ${described(event.recordId, true)}`
    : `EXISTS (SELECT 1 FROM ${target.table.sql} AS r WHERE r.${quoteIdentifier(target.primaryKeyColumn)} = ${
      typedKey(target, params, event.previousId)
    }) AND NOT ${described(event.previousId, false)}`;
  return params.build(
    `INSERT INTO ${log.table.sql} ("id", "occurred_at", "resource", "record_id", "action", "action_type", "version", ` +
      `"data", "changes", "metadata", "tenant", "correlation_id") SELECT ${values.join(", ")} WHERE ${guard}`,
  );
}

/** A primary key given as text, as a value of the key column's own type (so its index serves). */
function typedKey(target: AdoptTarget, params: ParamList, key: string): string {
  const column = quoteIdentifier(target.primaryKeyColumn);
  return `(jsonb_populate_record(NULL::${target.table.sql}, jsonb_build_object(${
    params.add(target.primaryKeyColumn)
  }::text, ${params.add(key)}::text))).${column}`;
}

/** The condition that the adoption event `eventId` was written by this batch's earlier statement. */
function adopted(log: EventLog, params: ParamList, eventId: string): string {
  return `EXISTS (SELECT 1 FROM ${log.table.sql} WHERE "id" = ${params.add(eventId)}::text)`;
}

/**
 * Write an adopted row's values (`row`: keyed by column, read through the table's row type),
 * only if its adoption event `eventId` was written: `update` sets every column but the key on
 * the row with that key; `insert` adds the row (a re-keyed row).
 */
export function adoptedRowSql(
  log: EventLog,
  target: AdoptTarget,
  kind: "insert" | "update",
  row: JsonObject,
  eventId: string,
): SqlStatement {
  const params = new ParamList();
  const source = `jsonb_populate_record(NULL::${target.table.sql}, ${params.add(JSON.stringify(row))}::jsonb)`;
  const pk = quoteIdentifier(target.primaryKeyColumn);
  if (kind === "insert") {
    const columns = Object.keys(row).map(quoteIdentifier).join(", ");
    return params.build(
      `INSERT INTO ${target.table.sql} (${columns}) SELECT ${columns} FROM ${source} AS v WHERE ${
        adopted(log, params, eventId)
      }`,
    );
  }
  const set = Object.keys(row).filter((c) => c !== target.primaryKeyColumn).map((c) =>
    `${quoteIdentifier(c)} = v.${quoteIdentifier(c)}`
  );
  if (set.length === 0) set.push(`${pk} = v.${pk}`);
  return params.build(
    `UPDATE ${target.table.sql} AS r SET ${set.join(", ")} FROM ${source} AS v WHERE r.${pk} = v.${pk} AND ${
      adopted(log, params, eventId)
    }`,
  );
}

/** Remove a re-keyed row's old row (its key as text), only if the adoption event `eventId` was written. */
export function removeAdoptedRowSql(
  log: EventLog,
  target: AdoptTarget,
  previousId: string,
  eventId: string,
): SqlStatement {
  const params = new ParamList();
  return params.build(
    `DELETE FROM ${target.table.sql} AS r WHERE r.${quoteIdentifier(target.primaryKeyColumn)} = ${
      typedKey(target, params, previousId)
    } AND ${adopted(log, params, eventId)}`,
  );
}

/**
 * The key (as text) of one row that no create event describes but another event names (an
 * action changed it before adoption), if any: such a row cannot be re-keyed.
 */
export function rekeyBlockedSql(log: EventLog, target: AdoptTarget): SqlStatement {
  const pk = `r.${quoteIdentifier(target.primaryKeyColumn)}`;
  return statement(
    `SELECT ${pk}::text AS "__ee_record_id" FROM ${target.table.sql} AS r WHERE EXISTS (SELECT 1 FROM ${log.table.sql} AS e ` +
      `WHERE e."resource" = $1::text AND e."record_id" = ${pk}::text) AND NOT EXISTS (SELECT 1 FROM ${log.table.sql} AS e ` +
      `WHERE e."resource" = $1::text AND e."record_id" = ${pk}::text AND e."action_type" = 'create') LIMIT 1`,
    [target.resource],
  );
}
