/**
 * The names the event log's DDL derives from the event table's name and the actor columns
 * (indexes, triggers, functions), listed without building the DDL, so that `defineEventLog`
 * can check them at definition time without depending on the DDL builder.
 * @module
 */
import { validateIdentifier } from "./identifier.ts";

/** Suffixes of the names derived from every event table (`<table>_<suffix>`). */
const FIXED_SUFFIXES: readonly string[] = Object.freeze([
  "record_idx",
  "tenant_idx",
  "occurred_at_idx",
  "correlation_idx",
  "tx_idx",
  "action_idx",
  "action_type_idx",
  "causation_idx",
  "tenant_tx_idx",
  "immutable",
  "no_truncate",
  "check_parent",
  "replay_running_idx",
  "idempotency_idx",
  "projections",
  "assert_writable",
  "begin_write",
  "expect",
  "savepoints",
  "chain",
]);

/**
 * Every name the DDL derives from the event table `table` (unqualified) and the actor
 * columns: `<table>_<suffix>` and `<table>_<column>_idx`. `tests/sql/event-log-names.test.ts`
 * checks that the DDL derives no other.
 */
export function derivedNames(table: string, actorColumns: readonly string[]): string[] {
  return [...FIXED_SUFFIXES, ...actorColumns.map((column) => `${column}_idx`)].map((suffix) => `${table}_${suffix}`);
}

/**
 * Check that every derived name is an identifier of at most 63 bytes.
 * @throws {TypeError} naming no value, when one is not
 */
export function checkDerivedNames(table: string, actorColumns: readonly string[]): void {
  for (const name of derivedNames(table, actorColumns)) validateIdentifier(name, "derived name");
}

/**
 * Whether an actor column would give its index (`<table>_<column>_idx`) the name of one of
 * the log's own indexes (`record`, `correlation`, `tx`, `causation`, `tenant_tx`, ...): the
 * DDL's `CREATE INDEX IF NOT EXISTS` would then skip one of the two, silently.
 */
export function actorIndexCollides(column: string): boolean {
  return FIXED_SUFFIXES.includes(`${column}_idx`);
}
