/**
 * DDL of the hash chain (docs/integrity.md): a BEFORE INSERT trigger on the event table that
 * reads the head of the event's chain and sets `prev_hash` and `hash`. Every event insert of
 * every write path passes through it, inside the write's own statement, under the write lock
 * that orders the chain's scope (the write prelude takes the chain's key): no extra round trip.
 * @module
 */
import type { ChainScope, EventLog } from "../core/event-log.ts";
import { quoteIdentifier, validateIdentifier } from "./identifier.ts";

/** The first element of every envelope: the rule's name and version. */
export const CHAIN_RULE = "edge-events/chain/1";

/**
 * The `to_char` pattern of `occurred_at` in an envelope (after `AT TIME ZONE 'UTC'`): always six
 * fraction digits, `Z` for UTC.
 */
export const OCCURRED_AT_PATTERN = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/** The actor columns of a log in envelope order: sorted by code point (they are ASCII identifiers). */
export function envelopeActorColumns(log: EventLog): string[] {
  return Object.values(log.actors).map((a) => validateIdentifier(a.column)).sort();
}

/** `to_json(x)::text`, or `null` when x is NULL: a JSON string in Postgres's escaping (JSON.stringify's). */
function jsonString(expression: string): string {
  return `coalesce(to_json(${expression})::text, 'null')`;
}

/**
 * The SQL expression of an event's envelope (version 1), for the row `row` and the previous
 * hash `prev` (bytea, NULL at a chain's genesis). A JSON array with no whitespace between its
 * elements, whose payload elements are the jsonb columns' own text. The TypeScript builder is
 * `src/history/chain-envelope.ts`; both follow docs/integrity.md.
 */
export function envelopeSql(log: EventLog, row: string, prev: string): string {
  const col = (name: string): string => `${row}.${quoteIdentifier(name)}`;
  // Column names are validated identifiers ([A-Za-z0-9_]): as JSON keys they need no escaping.
  const actors = envelopeActorColumns(log).map((c) =>
    `CASE WHEN ${col(c)} IS NULL THEN NULL ELSE '"${c}":' || to_json(${col(c)}::text)::text END`
  );
  const parts = [
    `'["${CHAIN_RULE}"'`,
    `CASE WHEN ${prev} IS NULL THEN 'null' ELSE '"' || encode(${prev}, 'hex') || '"' END`,
    jsonString(col("id")),
    `${col("position")}::text`,
    jsonString(col("tenant")),
    jsonString(col("resource")),
    jsonString(col("record_id")),
    jsonString(col("action")),
    jsonString(col("action_type")),
    `${col("version")}::text`,
    `'"' || to_char(${col("occurred_at")} AT TIME ZONE 'UTC', '${OCCURRED_AT_PATTERN}') || '"'`,
    jsonString(col("correlation_id")),
    jsonString(col("causation_id")),
    jsonString(col("parent_id")),
    actors.length === 0 ? `'{}'` : `'{' || concat_ws(',', ${actors.join(", ")}) || '}'`,
    `${col("data")}::text`,
    `${col("changes")}::text`,
    `${col("metadata")}::text || ']'`,
  ];
  return parts.join(` || ',' || `);
}

/** The condition that selects the events of `row`'s chain, in the event table. */
function sameChain(scope: ChainScope, row: string, tenant: "null" | "value"): string {
  if (scope === "global") return "true";
  return tenant === "null" ? `"tenant" IS NULL` : `"tenant" = ${row}."tenant"`;
}

/**
 * The chain trigger: its function (`<table>_chain`) and the BEFORE INSERT trigger. The head of
 * a chain is its chained event of highest position; with none, the event is the chain's genesis
 * (`prev_hash` NULL). Whatever a writer puts in `prev_hash` and `hash` is overwritten.
 */
export function chainDdl(log: EventLog, scope: ChainScope): string[] {
  const t = log.table.sql;
  // `<table>_chain`, in the event table's schema (as event-log-ddl.ts derives its names).
  const local = quoteIdentifier(`${log.table.name}_chain`);
  const fn = log.table.schema === undefined ? local : `${quoteIdentifier(log.table.schema)}.${local}`;
  const head = (tenant: "null" | "value"): string =>
    `SELECT "hash" INTO v_prev FROM ${t} WHERE ${
      sameChain(scope, "NEW", tenant)
    } AND "hash" IS NOT NULL ORDER BY "position" DESC LIMIT 1;`;
  const read = scope === "global"
    ? `  ${head("value")}\n`
    : `  IF NEW."tenant" IS NULL THEN\n    ${head("null")}\n  ELSE\n    ${head("value")}\n  END IF;\n`;
  return [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $fn$\n` +
    `DECLARE\n` +
    `  v_prev bytea;\n` +
    `BEGIN\n` +
    read +
    `  NEW."prev_hash" := v_prev;\n` +
    `  NEW."hash" := sha256(convert_to(${envelopeSql(log, "NEW", "v_prev")}, 'UTF8'));\n` +
    `  RETURN NEW;\n` +
    `END\n$fn$`,
    `CREATE OR REPLACE TRIGGER ${local} BEFORE INSERT ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  ];
}
