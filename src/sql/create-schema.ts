/**
 * `CREATE SCHEMA IF NOT EXISTS` for the schema of a qualified table.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import { quoteIdentifier } from "./identifier.ts";
import { statement } from "./statement.ts";

/**
 * Create a schema unless it exists: the first statement of the DDL of a table in a schema
 * (an event log's or a resource's).
 *
 * @param schema the schema name (an identifier, quoted here)
 * @returns the statement, without parameters
 * @throws {TypeError} when `schema` is not a valid identifier
 * @example
 * ```ts
 * createSchemaSql("billing") // => { text: 'CREATE SCHEMA IF NOT EXISTS "billing"', params: [] }
 * ```
 */
export function createSchemaSql(schema: string): SqlStatement {
  return statement(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
}
