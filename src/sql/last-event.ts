/**
 * The last event of one record: what a write whose expected position failed reports as the
 * record's actual position.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { ParamList } from "./statement.ts";

/** Which record's events: its resource, id (as stored in `record_id`) and tenant. */
export interface EventRecordKey {
  readonly resource: string;
  readonly recordId: string;
  /** The tenant, for multi-tenant resources (only that tenant's events count); undefined otherwise. */
  readonly tenant: string | undefined;
}

/**
 * The position and action type of a record's last event (no row: it has none), through the
 * `(resource, record_id, position)` index. With a tenant, only that tenant's events: a caller
 * never learns the position of another tenant's record.
 */
export function readLastEventSql(log: EventLog, record: EventRecordKey): SqlStatement {
  const params = new ParamList();
  let where = `"resource" = ${params.add(record.resource)}::text AND "record_id" = ${
    params.add(record.recordId)
  }::text`;
  if (record.tenant !== undefined) where += ` AND "tenant" = ${params.add(record.tenant)}::text`;
  return params.build(
    `SELECT "position", "action_type" FROM ${log.table.sql} WHERE ${where} ORDER BY "position" DESC LIMIT 1`,
  );
}
