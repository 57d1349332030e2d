/**
 * Row locks taken inside a write batch before a conditional write.
 * @module
 */
import type { SqlParam, SqlStatement } from "../core/executor.ts";
import { quoteIdentifier } from "./identifier.ts";
import { ParamList } from "./statement.ts";
import type { WriteTarget } from "./write-statements.ts";

/**
 * Lock a record's row (`FOR UPDATE`) in its own statement. Under READ COMMITTED the next
 * statement of the batch then takes a fresh snapshot, so a conditional write's check of the
 * record's last event sees every event committed by the writer it waited for — whatever
 * advisory lock keys the two writers used.
 */
export function lockRecordSql(target: WriteTarget, id: SqlParam, tenant: SqlParam | undefined): SqlStatement {
  const params = new ParamList();
  const conditions = [`${quoteIdentifier(target.columns[target.primaryKey]!)} = ${params.add(id)}`];
  if (target.tenant !== undefined) {
    conditions.push(`${quoteIdentifier(target.columns[target.tenant]!)} = ${params.add(tenant ?? null)}`);
  }
  return params.build(`SELECT 1 FROM ${target.table.sql} WHERE ${conditions.join(" AND ")} FOR UPDATE`);
}
