/**
 * Public fields (AshEvents' `public_fields`): which protected parts of events and records a
 * caller sees, and the JSON of events, states, diffs, timelines and summaries with the others
 * left out. A hidden field is absent from the JSON (never `null`, which would read as a value).
 * @module
 */
import type { StoredEvent } from "../core/stored-event.ts";
import { eventToJson, type StoredEventJson } from "../core/wire.ts";
import type { AuditSummary } from "../history/summary.ts";
import { PROTECTED_FIELDS, type ProtectedField } from "./router-types.ts";

/** The protected fields one caller sees. */
export type VisibleFields = ReadonlySet<ProtectedField>;

/**
 * The fields a caller sees: the router's public fields and those its grant adds.
 *
 * @param publicFields the router's `publicFields`
 * @param granted the grant's `fields`
 * @returns the set
 * @throws {TypeError} a field that is not a protected field
 */
export function visibleFields(
  publicFields: "all" | readonly ProtectedField[] | undefined,
  granted: "all" | readonly ProtectedField[] | undefined,
): VisibleFields {
  const out = new Set<ProtectedField>();
  for (const list of [publicFields, granted]) {
    if (list === undefined) continue;
    for (const field of list === "all" ? PROTECTED_FIELDS : list) {
      if (!PROTECTED_FIELDS.includes(field)) throw new TypeError(`"${String(field)}" is not a protected field`);
      out.add(field);
    }
  }
  return out;
}

/** An event as JSON (`eventToJson`), without the fields the caller does not see. */
export type VisibleEventJson =
  & Omit<StoredEventJson, "data" | "changes" | "metadata" | "actor">
  & Partial<
    Pick<StoredEventJson, "data" | "changes" | "metadata" | "actor">
  >;

/** An event's JSON as the caller may see it. */
export function visibleEvent(event: StoredEvent, visible: VisibleFields): VisibleEventJson {
  const json: Record<string, unknown> = { ...eventToJson(event) };
  for (const field of ["data", "changes", "metadata", "actor"] as const) {
    if (!visible.has(field)) delete json[field];
  }
  return json as VisibleEventJson;
}

/** A record's attributes if the caller sees records (`record`), else undefined. */
export function visibleRecord(record: unknown, visible: VisibleFields): unknown {
  return visible.has("record") ? record : undefined;
}

/**
 * A summary as JSON: positions as strings, dates as ISO-8601; without `actor`, the counts
 * by actor are summed by actor type (the ids left out).
 */
export function visibleSummary(summary: AuditSummary, visible: VisibleFields): unknown {
  const point = (e: AuditSummary["first"]) =>
    e === null ? null : { id: e.id, position: e.position.toString(), occurredAt: e.occurredAt.toISOString() };
  let byActor: { actor: { type: string; id?: string } | null; count: number }[];
  if (visible.has("actor")) byActor = summary.byActor.map((a) => ({ actor: a.actor, count: a.count }));
  else {
    const byType = new Map<string | null, number>();
    for (const { actor, count } of summary.byActor) {
      const type = actor?.type ?? null;
      byType.set(type, (byType.get(type) ?? 0) + count);
    }
    byActor = [...byType].map(([type, count]) => ({ actor: type === null ? null : { type }, count }))
      .sort((a, b) => b.count - a.count);
  }
  return {
    total: summary.total,
    byActionType: summary.byActionType,
    byAction: summary.byAction,
    byActor,
    first: point(summary.first),
    last: point(summary.last),
  };
}
