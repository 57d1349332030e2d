/**
 * Set-based writes for replay: many rows of one table in one statement, read from a JSON
 * array through the table's own row type (`jsonb_populate_recordset`), so that column types
 * come from the table and every value stays inside one bind parameter.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import type { JsonObject } from "../core/json.ts";
import { quoteIdentifier } from "./identifier.ts";
import { statement } from "./statement.ts";
import { derivedName, NOT_FOUND_SQLSTATE } from "./event-log-ddl.ts";
import type { WriteTarget } from "./write-statements.ts";

function rowSource(target: WriteTarget): string {
  return `jsonb_populate_recordset(NULL::${target.table.sql}, $1::jsonb)`;
}

function column(target: WriteTarget, attribute: string): string {
  const name = target.columns[attribute];
  if (name === undefined) throw new TypeError(`Unknown attribute "${attribute}" of ${target.resource}`);
  return quoteIdentifier(name);
}

/** How a bulk update or delete finds its rows: primary key, tenant, and not soft-destroyed. */
function matchRows(target: WriteTarget): string {
  const conditions = [`r.${column(target, target.primaryKey)} = v.${column(target, target.primaryKey)}`];
  if (target.tenant !== undefined) {
    conditions.push(`r.${column(target, target.tenant)} = v.${column(target, target.tenant)}`);
  }
  for (const soft of target.softDeleteAttributes) conditions.push(`r.${column(target, soft)} IS NULL`);
  return conditions.join(" AND ");
}

/**
 * Insert rows. `rows` are keyed by column name and hold every column in `attributes`.
 */
export function bulkInsertSql(
  target: WriteTarget,
  attributes: readonly string[],
  rows: readonly JsonObject[],
): SqlStatement {
  const columns = attributes.map((a) => column(target, a)).join(", ");
  return statement(`INSERT INTO ${target.table.sql} (${columns}) SELECT ${columns} FROM ${rowSource(target)}`, [
    JSON.stringify(rows),
  ]);
}

/**
 * Set `attributes` on existing rows (matched by primary key and tenant, not soft-destroyed).
 * Raises the not-found SQLSTATE unless every row was there.
 */
export function bulkUpdateSql(
  log: EventLog,
  target: WriteTarget,
  attributes: readonly string[],
  rows: readonly JsonObject[],
): SqlStatement {
  const set = attributes.map((a) => `${column(target, a)} = v.${column(target, a)}`).join(", ");
  return statement(
    `WITH v AS (SELECT * FROM ${rowSource(target)}), ` +
      `w AS (UPDATE ${target.table.sql} AS r SET ${set} FROM v WHERE ${matchRows(target)} RETURNING 1) ` +
      `SELECT ${derivedName(log, "expect")}((SELECT count(*) FROM w) = $2::bigint, $3::text) AS "ok"`,
    [JSON.stringify(rows), rows.length, NOT_FOUND_SQLSTATE],
  );
}

/** Delete existing rows (matched like updates). Raises the not-found SQLSTATE unless every row was there. */
export function bulkDeleteSql(log: EventLog, target: WriteTarget, rows: readonly JsonObject[]): SqlStatement {
  return statement(
    `WITH v AS (SELECT * FROM ${rowSource(target)}), ` +
      `w AS (DELETE FROM ${target.table.sql} AS r USING v WHERE ${matchRows(target)} RETURNING 1) ` +
      `SELECT ${derivedName(log, "expect")}((SELECT count(*) FROM w) = $2::bigint, $3::text) AS "ok"`,
    [JSON.stringify(rows), rows.length, NOT_FOUND_SQLSTATE],
  );
}

/**
 * Insert rows, or where a row with the same primary key exists, set every column of
 * `attributes` but the `kept` ones on it: replay's application of upsert events, by the record
 * id each event names (never by identity).
 */
export function bulkUpsertSql(
  target: WriteTarget,
  attributes: readonly string[],
  rows: readonly JsonObject[],
  kept: readonly string[],
): SqlStatement {
  const columns = attributes.map((a) => column(target, a)).join(", ");
  const set = attributes.filter((a) => !kept.includes(a));
  const assigned = (set.length === 0 ? [target.primaryKey] : set)
    .map((a) => `${column(target, a)} = EXCLUDED.${column(target, a)}`).join(", ");
  return statement(
    `INSERT INTO ${target.table.sql} (${columns}) SELECT ${columns} FROM ${rowSource(target)} ` +
      `ON CONFLICT (${column(target, target.primaryKey)}) DO UPDATE SET ${assigned}`,
    [JSON.stringify(rows)],
  );
}
