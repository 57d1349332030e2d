/**
 * `CREATE TABLE` DDL from a resource definition, for examples, tests and quick starts.
 * Production apps usually create their tables with their own migrations.
 * @module
 */
import type { SqlStatement } from "./executor.ts";
import type { AnyResource } from "./resource.ts";
import { inferColumnType } from "./column-types.ts";
import { markOf } from "./sensitivity.ts";
import { createSchemaSql } from "../sql/create-schema.ts";
import { createTableSql } from "../sql/create-table.ts";
import { uniqueIndexSql } from "../sql/unique-index.ts";
import { upsertTargetsOf } from "./upsert.ts";

/**
 * The statements that create a resource's table (and its schema when qualified): column
 * types inferred from valibot where unambiguous, else taken from `columnTypes`, and the unique
 * index of each upsert's identity (see `CreateOptions.upsert`). None for an
 * event-only resource (`table: false`). Attributes marked `encrypt` get nullable columns: once
 * their key is destroyed, a replay writes NULL in their place.
 *
 * @throws {TypeError} when a column type can be neither inferred nor found in `columnTypes`
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineResource, type Executor, resourceTableSql } from "edge-events";
 *
 * const User = defineResource({
 *   name: "user", table: "users",
 *   attributes: v.object({ id: v.string(), name: v.string() }),
 *   actions: () => ({}),
 * });
 *
 * async function createUserTable(db: Executor): Promise<void> {
 *   for (const s of resourceTableSql(User)) await db.query(s);
 * }
 * ```
 */
export function resourceTableSql(resource: AnyResource): SqlStatement[] {
  const table = resource.table;
  if (table === null) return [];
  const columns = resource.attributeNames.map((attribute) => {
    const inferred = inferColumnType(resource.attributes.entries[attribute] as never);
    const type = resource.columnTypes[attribute] ?? inferred?.type;
    if (type === undefined) {
      throw new TypeError(`Cannot infer the column type of ${resource.name}.${attribute}: give it in columnTypes`);
    }
    const primaryKey = attribute === resource.primaryKey.attribute;
    return {
      column: resource.columns[attribute]!,
      type,
      // An encrypted attribute whose key is destroyed replays as NULL: its column must allow it.
      nullable: !primaryKey && (markOf(resource.sensitive, attribute) === "encrypt" || (inferred?.nullable ?? true)),
      primaryKey,
    };
  });
  const out: SqlStatement[] = [];
  if (table.schema !== undefined) {
    out.push(createSchemaSql(table.schema));
  }
  out.push(createTableSql(table, columns));
  // The unique index each upsert's ON CONFLICT names (only live rows, for a resource that soft-destroys).
  for (const upsert of upsertTargetsOf(resource)) {
    const column = (a: string): string => resource.columns[a]!;
    out.push(uniqueIndexSql(table, upsert.identity.map(column), upsert.live.map(column)));
  }
  return out;
}
