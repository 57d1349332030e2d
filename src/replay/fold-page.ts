/**
 * Folding a page of replay writes into set-based statements: per record, the writes of a
 * page collapse into at most a delete of the old row, an insert, an update and a delete of
 * the inserted row; per table, each kind becomes one statement. A page whose writes do not
 * fold cleanly (an update after a delete, a second create, ...) is left to the per-event
 * statements, which report the exact failure.
 * @module
 */
import type { SqlParam, SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { type JsonObject, type JsonValue, toJson } from "../core/json.ts";
import { jsonAttributes } from "../core/record-mapping.ts";
import type { AnyResource } from "../core/resource.ts";
import { bulkDeleteSql, bulkInsertSql, bulkUpdateSql, bulkUpsertSql } from "../sql/bulk-writes.ts";
import type { WriteTarget } from "../sql/write-statements.ts";

/** One replay write, before it becomes SQL. */
export interface ReplayWrite {
  /** `upsert`: insert the record, or when its key exists, set its attributes but `kept`. */
  readonly kind: "insert" | "update" | "delete" | "upsert";
  readonly resource: AnyResource;
  readonly target: WriteTarget;
  /** The record id as stored in the event. */
  readonly id: string;
  /** The tenant, for multi-tenant resources. */
  readonly tenant: string | undefined;
  /** Attribute values: the whole record for inserts and upserts, the attributes set for updates. */
  readonly values: Readonly<Record<string, SqlParam>>;
  /** What an upsert leaves as it is on an existing record (its key, tenant and createdAt). */
  readonly kept?: readonly string[];
}

interface Folded {
  readonly first: ReplayWrite;
  predelete: boolean;
  insert: Record<string, SqlParam> | undefined;
  /** The record's first write in the page was an upsert: it may or may not exist yet. */
  upsert: { values: Record<string, SqlParam>; kept: readonly string[] } | undefined;
  update: Record<string, SqlParam> | undefined;
  postdelete: boolean;
}

/** Apply one write to the fold of its record; false when the sequence does not fold. */
function without(values: Readonly<Record<string, SqlParam>>, kept: readonly string[]): Record<string, SqlParam> {
  const out: Record<string, SqlParam> = {};
  for (const key in values) if (!kept.includes(key)) out[key] = values[key]!;
  return out;
}

/** Fold an upsert into its record's fold: an insert once the record is gone, else an update. */
function foldUpsert(f: Folded, write: ReplayWrite): boolean {
  const kept = write.kept ?? [];
  if (f.postdelete) return false;
  if (f.insert !== undefined) Object.assign(f.insert, without(write.values, kept));
  else if (f.upsert !== undefined) Object.assign(f.upsert.values, without(write.values, kept));
  else if (f.predelete) f.insert = { ...write.values };
  else f.update = { ...f.update, ...without(write.values, kept) };
  return true;
}

function fold(f: Folded, write: ReplayWrite): boolean {
  if (write.kind === "upsert") return foldUpsert(f, write);
  if (f.upsert !== undefined) {
    // After an upsert whose record may have existed: updates merge into it, unless they set
    // what the upsert keeps on an existing record; a delete follows it.
    if (write.kind === "insert" || f.postdelete) return false;
    if (write.kind === "delete") {
      f.postdelete = true;
      return true;
    }
    if (Object.keys(write.values).some((key) => f.upsert!.kept.includes(key))) return false;
    Object.assign(f.upsert.values, write.values);
    return true;
  }
  // A soft destroy is an update like any other here: replay writes find rows by key whatever
  // their soft-destroy attributes hold (effectWrite), so a restore or a purge after it folds too.
  switch (write.kind) {
    case "insert":
      if (!f.predelete || f.insert !== undefined || f.update !== undefined || f.postdelete) return false;
      f.insert = { ...write.values };
      return true;
    case "update":
      if (f.postdelete || (f.predelete && f.insert === undefined)) return false;
      if (f.insert !== undefined) Object.assign(f.insert, write.values);
      else f.update = { ...f.update, ...write.values };
      return true;
    case "delete":
      if (f.postdelete || (f.predelete && f.insert === undefined)) return false;
      if (f.insert !== undefined) f.postdelete = true;
      else {
        f.update = undefined;
        f.predelete = true;
      }
      return true;
  }
}

function start(write: ReplayWrite): Folded {
  return {
    first: write,
    predelete: write.kind === "delete",
    insert: write.kind === "insert" ? { ...write.values } : undefined,
    upsert: write.kind === "upsert" ? { values: { ...write.values }, kept: write.kept ?? [] } : undefined,
    update: write.kind === "update" ? { ...write.values } : undefined,
    postdelete: false,
  };
}

function jsonOf(resource: AnyResource, attribute: string, value: SqlParam): JsonValue {
  if (typeof value === "string" && jsonAttributes(resource).has(attribute)) return JSON.parse(value) as JsonValue;
  return toJson(value);
}

function row(write: ReplayWrite, values: Readonly<Record<string, SqlParam>>): JsonObject {
  const out: JsonObject = {};
  const { target, resource } = write;
  for (const [attribute, value] of Object.entries(values)) {
    out[target.columns[attribute]!] = jsonOf(resource, attribute, value);
  }
  out[target.columns[target.primaryKey]!] ??= write.id;
  if (target.tenant !== undefined) out[target.columns[target.tenant]!] ??= write.tenant ?? null;
  return out;
}

/** The row one insert or update writes, keyed by column (its key and tenant included), as JSON. */
export function replayWriteRow(write: ReplayWrite): JsonObject {
  return row(write, write.values);
}

function grouped(
  items: readonly { write: ReplayWrite; values: Readonly<Record<string, SqlParam>> }[],
): Map<string, typeof items[number][]> {
  const groups = new Map<string, typeof items[number][]>();
  for (const item of items) {
    const key = Object.keys(item.values).sort().join("\u0000");
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

/**
 * The set-based statements of a page's writes, in an order that gives the same final state
 * as applying them one by one; undefined when the writes do not fold.
 */
export function foldPageSql(log: EventLog, writes: readonly ReplayWrite[]): SqlStatement[] | undefined {
  const records = new Map<string, Folded>();
  for (const write of writes) {
    const key = `${write.resource.name}\u0000${write.id}`;
    const found = records.get(key);
    if (found === undefined) records.set(key, start(write));
    else if (!fold(found, write)) return undefined;
  }
  const tables = new Map<string, Folded[]>();
  for (const f of records.values()) {
    tables.set(f.first.resource.name, [...(tables.get(f.first.resource.name) ?? []), f]);
  }
  const out: SqlStatement[] = [];
  for (const folded of tables.values()) {
    const { target } = folded[0]!.first;
    const predeletes = folded.filter((f) => f.predelete).map((f) => row(f.first, {}));
    if (predeletes.length > 0) out.push(bulkDeleteSql(log, target, predeletes));
    const inserts = folded.filter((f) => f.insert !== undefined).map((f) => ({ write: f.first, values: f.insert! }));
    for (const group of grouped(inserts).values()) {
      const attributes = Object.keys(group[0]!.values);
      out.push(bulkInsertSql(target, attributes, group.map((g) => row(g.write, g.values))));
    }
    const upserts = folded.filter((f) => f.upsert !== undefined).map((f) => ({
      write: f.first,
      values: f.upsert!.values,
    }));
    for (const group of grouped(upserts).values()) {
      const attributes = Object.keys(group[0]!.values);
      const kept = folded.find((f) => f.first === group[0]!.write)!.upsert!.kept;
      out.push(bulkUpsertSql(target, attributes, group.map((g) => row(g.write, g.values)), kept));
    }
    const updates = folded.filter((f) => f.update !== undefined).map((f) => ({ write: f.first, values: f.update! }));
    for (const group of grouped(updates).values()) {
      const keys = Object.keys(group[0]!.values);
      // An update that sets nothing still proves the record exists: set the key to itself.
      const attributes = keys.length === 0 ? [target.primaryKey] : keys;
      out.push(bulkUpdateSql(log, target, attributes, group.map((g) => row(g.write, g.values))));
    }
    const postdeletes = folded.filter((f) => f.postdelete).map((f) => row(f.first, {}));
    if (postdeletes.length > 0) out.push(bulkDeleteSql(log, target, postdeletes));
  }
  return out;
}
