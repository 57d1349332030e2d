/**
 * Reads of the hash chain: a page of one chain with every envelope field as stored text, the
 * next tenant's chain, and a chain's head (for checkpoints).
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { quoteIdentifier } from "./identifier.ts";
import { ParamList } from "./statement.ts";
import { envelopeActorColumns, OCCURRED_AT_PATTERN } from "./chain-ddl.ts";

/** Which chain: the log's one (`all`), or the chain of one tenant (null: events without a tenant). */
export type ChainSelector = { readonly all: true } | { readonly tenant: string | null };

/** The alias of actor column `column` in a chain page's rows. */
export function actorAlias(column: string): string {
  return `__ee_actor_${column}`;
}

function chainCondition(chain: ChainSelector, params: ParamList): string {
  if ("all" in chain) return "true";
  return chain.tenant === null ? `"tenant" IS NULL` : `"tenant" = ${params.add(chain.tenant)}::text`;
}

/**
 * Up to `limit` events of one chain after position `after` (and from `from`), in position
 * order: text of every envelope field (`occurred_at` in the envelope's format, jsonb as
 * Postgres prints it, hashes as lowercase hex).
 */
export function chainPageSql(
  log: EventLog,
  page: { readonly chain: ChainSelector; readonly after: bigint; readonly from: bigint; readonly limit: number },
): SqlStatement {
  const params = new ParamList();
  const actors = envelopeActorColumns(log).map((c) =>
    `${quoteIdentifier(c)}::text AS ${quoteIdentifier(actorAlias(c))}`
  );
  const columns = [
    `"id"`,
    `"position"`,
    `"tenant"`,
    `"resource"`,
    `"record_id"`,
    `"action"`,
    `"action_type"`,
    `"version"`,
    `to_char("occurred_at" AT TIME ZONE 'UTC', ${params.add(OCCURRED_AT_PATTERN)}::text) AS "occurred_at"`,
    `"correlation_id"`,
    `"causation_id"`,
    `"parent_id"`,
    ...actors,
    `"data"::text AS "data"`,
    `"changes"::text AS "changes"`,
    `"metadata"::text AS "metadata"`,
    `encode("prev_hash", 'hex') AS "prev_hash"`,
    `encode("hash", 'hex') AS "hash"`,
  ];
  const where = `${chainCondition(page.chain, params)} AND "position" > ${params.add(page.after)}::bigint AND ` +
    `"position" >= ${params.add(page.from)}::bigint`;
  return params.build(
    `SELECT ${columns.join(", ")} FROM ${log.table.sql} WHERE ${where} ORDER BY "position" LIMIT ${
      params.add(page.limit)
    }::int`,
  );
}

/** The least tenant after `after` (null: the least tenant) that has events: the next tenant chain. */
export function nextTenantSql(log: EventLog, after: string | null): SqlStatement {
  const params = new ParamList();
  const where = after === null ? `"tenant" IS NOT NULL` : `"tenant" > ${params.add(after)}::text`;
  return params.build(`SELECT min("tenant") AS "tenant" FROM ${log.table.sql} WHERE ${where}`);
}

/** The head of a chain: its chained event of highest position (no row: the chain has not started). */
export function chainHeadSql(log: EventLog, chain: ChainSelector): SqlStatement {
  const params = new ParamList();
  return params.build(
    `SELECT "id", "position", encode("hash", 'hex') AS "hash" FROM ${log.table.sql} WHERE ${
      chainCondition(chain, params)
    } AND "hash" IS NOT NULL ORDER BY "position" DESC LIMIT 1`,
  );
}

/** The stored hash of the chained event just before position `before` in a chain (to start mid-chain). */
export function chainPredecessorSql(log: EventLog, chain: ChainSelector, before: bigint): SqlStatement {
  const params = new ParamList();
  return params.build(
    `SELECT encode("hash", 'hex') AS "hash" FROM ${log.table.sql} WHERE ${chainCondition(chain, params)} AND ` +
      `"position" < ${params.add(before)}::bigint ORDER BY "position" DESC LIMIT 1`,
  );
}
