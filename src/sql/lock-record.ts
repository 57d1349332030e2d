/**
 * Row locks taken inside a write batch before a conditional write.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import { ParamList } from "./statement.ts";
import { recordKeyConditions, type RecordSelector, type WriteTarget } from "./write-statements.ts";

/**
 * Lock a record's row (`FOR UPDATE`) in its own statement. Under READ COMMITTED the next
 * statement of the batch then takes a fresh snapshot, so a conditional write's check of the
 * record's last event sees every event committed by the writer it waited for — whatever
 * advisory lock keys the two writers used.
 */
export function lockRecordSql(target: WriteTarget, selector: Pick<RecordSelector, "id" | "tenant">): SqlStatement {
  const params = new ParamList();
  const conditions = recordKeyConditions(target, selector, params);
  return params.build(`SELECT 1 FROM ${target.table.sql} WHERE ${conditions.join(" AND ")} FOR UPDATE`);
}
