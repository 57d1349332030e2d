/**
 * The size of a replay request as the executor sends it: the UTF-8 bytes of the JSON body of
 * a SQL-over-HTTP batch (`{"queries":[{"query":…,"params":[…]}]}`), parameters encoded as
 * Postgres text the way the drivers encode them. Multi-byte text, escaped quotes of JSON
 * values and the SQL text itself all count.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import { encodeParams } from "../drivers/pg-text/encode-params.ts";

// Pure: a bundle that does not use replay drops this module (tests/edge/bundle.test.ts).
const encoder = /* @__PURE__ */ new TextEncoder();
/** `{"queries":[` and `]}`. */
const ENVELOPE_BYTES = 14;

/** The bytes one statement adds to a batch request (with its separating comma). */
export function statementBytes(statement: SqlStatement): number {
  return encoder.encode(JSON.stringify({ query: statement.text, params: encodeParams(statement.params) })).length + 1;
}

/** The bytes of one batch request of these statements. */
export function requestBytes(statements: readonly SqlStatement[]): number {
  return statements.reduce((bytes, statement) => bytes + statementBytes(statement), ENVELOPE_BYTES);
}
