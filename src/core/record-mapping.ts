/**
 * Mapping between records (attributes) and rows (columns), and between event rows and
 * {@link StoredEvent}s.
 * @module
 */
import type { Row, SqlParam } from "./executor.ts";
import type { EventLog } from "./event-log.ts";
import type { JsonObject } from "./json.ts";
import { checkStorableDate, jsonText } from "./json.ts";
import type { AnyResource } from "./resource.ts";
import type { ActionType } from "./action.ts";
import type { EventActor, StoredEvent } from "./stored-event.ts";
import { inferColumnType } from "./column-types.ts";
import { isErased, isRedacted } from "./sensitive-markers.ts";

/** The attributes of a row, by the resource's column mapping (other columns are ignored). */
export function rowToRecord(resource: AnyResource, row: Row): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const attribute of resource.attributeNames) {
    const column = resource.columns[attribute]!;
    if (column in row) record[attribute] = row[column];
  }
  return record;
}

const jsonAttributeCache = new WeakMap<object, ReadonlySet<string>>();

/** Attributes stored in json/jsonb columns (by override or inferred from valibot). */
export function jsonAttributes(resource: AnyResource): ReadonlySet<string> {
  let set = jsonAttributeCache.get(resource);
  if (set === undefined) {
    const found = new Set<string>();
    for (const attribute of resource.attributeNames) {
      const type = resource.columnTypes[attribute] ??
        inferColumnType(resource.attributes.entries[attribute] as never)?.type;
      if (type !== undefined && /^jsonb?$/i.test(type.trim())) found.add(attribute);
    }
    set = found;
    jsonAttributeCache.set(resource, set);
  }
  return set;
}

/**
 * Convert an attribute value to a bind parameter (JSON columns and plain objects as JSON
 * text; an erased value is NULL, a redacted one a TypeError: replay checks it first).
 */
export function toParam(resource: AnyResource, attribute: string, value: unknown): SqlParam {
  if (value === undefined || value === null || isErased(value)) return null;
  if (isRedacted(value)) {
    throw new TypeError(`${resource.name}.${attribute} holds a redacted value, which no row can hold`);
  }
  if (jsonAttributes(resource).has(attribute)) return jsonText(value);
  if (value instanceof Date) checkStorableDate(value, attribute); // a timestamp column
  if (
    typeof value === "object" && !(value instanceof Date) && !(value instanceof Uint8Array) && !Array.isArray(value)
  ) {
    return jsonText(value);
  }
  return value as SqlParam;
}

/** A `jsonb` column value as a JSON object (drivers return it parsed or as text). */
export function parseJson(value: unknown): JsonObject {
  if (typeof value === "string") return JSON.parse(value) as JsonObject;
  return (value ?? {}) as JsonObject;
}

/** Build a {@link StoredEvent} from a row of the event table. */
export function rowToEvent(log: EventLog, row: Row): StoredEvent {
  let actor: EventActor | null = null;
  for (const [type, definition] of Object.entries(log.actors)) {
    const id = row[definition.column];
    if (id !== null && id !== undefined) actor = { type, id: String(id) };
  }
  return Object.freeze({
    id: String(row["id"]),
    position: BigInt(row["position"] as bigint),
    occurredAt: row["occurred_at"] as Date,
    resource: String(row["resource"]),
    recordId: String(row["record_id"]),
    action: String(row["action"]),
    actionType: row["action_type"] as ActionType,
    version: Number(row["version"]),
    data: parseJson(row["data"]),
    changes: parseJson(row["changes"]),
    metadata: parseJson(row["metadata"]),
    tenant: (row["tenant"] as string | null) ?? null,
    correlationId: String(row["correlation_id"]),
    causationId: (row["causation_id"] as string | null) ?? null,
    parentId: (row["parent_id"] as string | null) ?? null,
    actor,
  });
}
