/**
 * The statements of projections: their checkpoint rows in `<table>_projections` (load,
 * compare-and-set, reset, status) and the rendering of a projection's `sql` fragments.
 * @module
 */
import type { SqlParam, SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import type { FeedPoint, TenantFilter } from "./read-events.ts";
import { derivedName, PROJECTION_REBUILDING_SQLSTATE, STALE_SQLSTATE } from "./event-log-ddl.ts";
import { isSqlFragment, renderFragment, type SqlFragment } from "./fragment.ts";
import { tableName } from "./identifier.ts";
import { ParamList, statement } from "./statement.ts";

/** The checkpoint table of a log: `<table>_projections`, beside the event table. */
export function projectionsTable(log: EventLog): string {
  return derivedName(log, "projections");
}

/**
 * The key of a checkpoint row's `scope` column for a tenant filter: `all` (every tenant),
 * `none` (events without a tenant) or `tenant:<id>`.
 */
export function projectionScope(tenant: TenantFilter): string {
  return tenant === undefined ? "all" : tenant === null ? "none" : `tenant:${tenant}`;
}

/**
 * The checkpoint of a projection in a scope, created at the start of the feed when missing:
 * two statements for one batch, whose second returns one row `{ tx_id (text), position }`.
 * Two statements, not one: in one statement, a runner whose insert waited for another's
 * would select in a snapshot older than that insert and find no row (READ COMMITTED gives
 * the second statement a fresh snapshot).
 */
export function loadCheckpointSql(log: EventLog, name: string, scope: string): readonly SqlStatement[] {
  const t = projectionsTable(log);
  return [
    statement(
      `INSERT INTO ${t} ("name", "scope") VALUES ($1::text, $2::text) ON CONFLICT ("name", "scope") DO NOTHING`,
      [name, scope],
    ),
    statement(
      `SELECT "tx_id"::text AS "tx_id", "position", "rebuilding" FROM ${t} WHERE "name" = $1::text AND "scope" = $2::text`,
      [name, scope],
    ),
  ];
}

/**
 * Move a checkpoint from `from` to `to`, counting `events`, only if it is still at `from`;
 * otherwise raise the stale SQLSTATE (`EEC01`), failing the whole batch. It comes first in
 * its batch, so it also locks the row: a second runner's batch waits, then finds it moved.
 */
export function advanceCheckpointSql(
  log: EventLog,
  name: string,
  scope: string,
  from: FeedPoint,
  to: FeedPoint,
  events: number,
): SqlStatement {
  return statement(
    `WITH moved AS (UPDATE ${projectionsTable(log)} SET "tx_id" = $1::xid8, "position" = $2::bigint, ` +
      `"events" = "events" + $3::bigint, "updated_at" = now() ` +
      `WHERE "name" = $4::text AND "scope" = $5::text AND "tx_id" = $6::xid8 AND "position" = $7::bigint RETURNING 1) ` +
      `SELECT ${derivedName(log, "expect")}(EXISTS (SELECT 1 FROM moved), $8::text) AS "ok"`,
    [to.txId, to.position, events, name, scope, from.txId, from.position, STALE_SQLSTATE],
  );
}

/**
 * Put a checkpoint back at the start of the feed (created when missing), for a rebuild;
 * `rebuilding` marks an inline projection's rebuild (the write path refuses its events until
 * {@link finishRebuildSql}).
 */
export function resetCheckpointSql(log: EventLog, name: string, scope: string, rebuilding = false): SqlStatement {
  return statement(
    `INSERT INTO ${projectionsTable(log)} ("name", "scope", "rebuilding", "rebuilt_at") ` +
      `VALUES ($1::text, $2::text, $3::boolean, now()) ` +
      `ON CONFLICT ("name", "scope") DO UPDATE SET "tx_id" = '0', "position" = 0, "events" = 0, ` +
      `"rebuilt_at" = now(), "updated_at" = now(), "rebuilding" = $3::boolean`,
    [name, scope, rebuilding],
  );
}

/** The events a projection follows: its tenant filter and resources, over columns prefixed by `alias`. */
function feedScopeConditions(
  params: ParamList,
  filter: { readonly tenant: TenantFilter; readonly resources: readonly string[] | undefined },
  alias: string,
): string[] {
  const conditions: string[] = [];
  if (filter.tenant === null) conditions.push(`${alias}"tenant" IS NULL`);
  else if (filter.tenant !== undefined) conditions.push(`${alias}"tenant" = ${params.add(filter.tenant)}::text`);
  if (filter.resources !== undefined) {
    conditions.push(`${alias}"resource" = ANY(${params.add(filter.resources)}::text[])`);
  }
  return conditions;
}

/**
 * End an inline projection's rebuild at the point it caught up to, unless an event of its
 * scope and resources lies after that point (committed past the horizon the feed stopped at):
 * a compare-and-set that lifts the write path's refusal. Returns one row: `pending` true when
 * such an event held the rebuild open (nothing changed); raises `EEC01` when the checkpoint
 * moved or the rebuild already ended.
 */
export function finishRebuildSql(
  log: EventLog,
  name: string,
  scope: string,
  at: FeedPoint,
  filter: { readonly tenant: TenantFilter; readonly resources: readonly string[] | undefined },
): SqlStatement {
  const params = new ParamList();
  const [n, s, tx, position] = [params.add(name), params.add(scope), params.add(at.txId), params.add(at.position)];
  const conditions = [
    `("tx_id", "position") > (${tx}::xid8, ${position}::bigint)`,
    ...feedScopeConditions(params, filter, ""),
  ];
  const pending = `EXISTS (SELECT 1 FROM ${log.table.sql} WHERE ${conditions.join(" AND ")})`;
  return params.build(
    `WITH "pending" AS (SELECT ${pending} AS "pending"), ` +
      `"done" AS (UPDATE ${projectionsTable(log)} SET "rebuilding" = false, "updated_at" = now() ` +
      `WHERE "name" = ${n}::text AND "scope" = ${s}::text AND "tx_id" = ${tx}::xid8 AND "position" = ${position}::bigint ` +
      `AND "rebuilding" AND NOT (SELECT "pending" FROM "pending") RETURNING 1) ` +
      `SELECT (SELECT "pending" FROM "pending") AS "pending", ${derivedName(log, "expect")}(` +
      `EXISTS (SELECT 1 FROM "done") OR (SELECT "pending" FROM "pending"), ${
        params.add(STALE_SQLSTATE)
      }::text) AS "ok"`,
  );
}

/**
 * The write path's check before an inline projection's statements: raises `EEB01` while the
 * projection is rebuilt in one of `scopes` (`all`, and the scope of each event's tenant). It
 * runs after the write prelude took the fence lock shared, and a rebuild's reset takes that
 * lock alone, so a write either commits before the reset or sees the mark.
 */
export function inlineGuardSql(log: EventLog, name: string, scopes: readonly string[]): SqlStatement {
  return statement(
    `SELECT ${derivedName(log, "expect")}(NOT EXISTS (SELECT 1 FROM ${projectionsTable(log)} ` +
      `WHERE "name" = $1::text AND "scope" = ANY($2::text[]) AND "rebuilding"), $3::text) AS "ok"`,
    [name, Object.freeze([...scopes]), PROJECTION_REBUILDING_SQLSTATE],
  );
}

/**
 * A projection's checkpoint in a scope (or the start of the feed when it has none) and its
 * lag: the events of the scope (and of `resources`, when given) after it in feed order,
 * committed or not yet below the horizon.
 */
export function projectionStatusSql(
  log: EventLog,
  name: string,
  scope: string,
  filter: { readonly tenant: TenantFilter; readonly resources: readonly string[] | undefined },
): SqlStatement {
  const params = new ParamList();
  const [n, s] = [params.add(name), params.add(scope)];
  const conditions = [
    `("e"."tx_id", "e"."position") > (coalesce("c"."tx_id", '0'), coalesce("c"."position", 0))`,
    ...feedScopeConditions(params, filter, `"e".`),
  ];
  return params.build(
    `SELECT "c"."name" IS NOT NULL AS "started", coalesce("c"."tx_id", '0')::text AS "tx_id", ` +
      `coalesce("c"."position", 0) AS "position", coalesce("c"."events", 0) AS "events", "c"."updated_at", ` +
      `"c"."rebuilt_at", coalesce("c"."rebuilding", false) AS "rebuilding", (SELECT count(*) FROM ${log.table.sql} AS "e" WHERE ${
        conditions.join(" AND ")
      }) AS "lag" ` +
      `FROM (SELECT 1) AS "one" LEFT JOIN ${
        projectionsTable(log)
      } AS "c" ON "c"."name" = ${n}::text AND "c"."scope" = ${s}::text`,
  );
}

/**
 * One statement from a projection's fragment: its values become parameters, and each
 * {@link ref} names a table or column (`name` or `qualifier.name`, each part validated and
 * quoted).
 * @throws {TypeError} when it is not a fragment made by `sql`, or a reference is not an identifier
 */
export function projectionStatementSql(fragment: SqlFragment): SqlStatement {
  if (!isSqlFragment(fragment)) throw new TypeError("A projection handler must return sql`...` fragments");
  const params = new ParamList();
  const text = renderFragment(
    fragment,
    (name) => tableName(name, "identifier in a projection statement").sql,
    (value: SqlParam) => params.add(value),
  );
  return params.build(text);
}
