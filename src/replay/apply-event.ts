/**
 * Replay's side of an event's effect: the effects of `src/core/event-effect.ts` become
 * writes (attribute values as SQL parameters) and then SQL statements, with no event and no
 * hooks. What an event does to a record is decided there, not here.
 * @module
 */
import { type EffectEnv, type EventEffect, eventEffects } from "../core/event-effect.ts";
import type { EventLog } from "../core/event-log.ts";
import type { SqlParam, SqlStatement } from "../core/executor.ts";
import type { JsonObject } from "../core/json.ts";
import { toParam } from "../core/record-mapping.ts";
import { EventEffectError } from "../core/replay-routes.ts";
import type { AnyResource } from "../core/resource.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { RedactedValueError } from "../core/errors.ts";
import { isErased, isRedacted } from "../core/sensitive-markers.ts";
import { writeTarget } from "../core/write-plan.ts";
import { deleteRecordSql, insertRecordSql, updateRecordSql, upsertRecordSql } from "../sql/write-statements.ts";
import type { ReplayWrite } from "./fold-page.ts";

/** The replay write of one effect of `event`. */
export function effectWrite(effect: EventEffect, event: StoredEvent): ReplayWrite {
  // Replay finds a row by its key whatever its soft-destroy attributes hold: the log says
  // what happens to it, and a restore changes, a purge deletes, a soft-destroyed row.
  const target = { ...writeTarget(effect.resource), softDeleteAttributes: [] };
  const base = { resource: effect.resource, target, id: effect.recordId };
  const tenant = effect.tenant;
  if (effect.kind === "delete") return { ...base, tenant, kind: "delete", values: {} };
  const values = params(effect.resource, effect.attributes, event);
  // An upsert's event names the row's key: replay applies it by that key (ON CONFLICT on the
  // primary key), which the store never offers a caller (an identity may not name the key).
  if (effect.kind === "insert" && effect.upsert !== undefined) {
    return { ...base, tenant, kind: "upsert", values, kept: effect.upsert.kept };
  }
  return { ...base, tenant, kind: effect.kind, values };
}

/**
 * The row values of an effect. An erased value (its key destroyed) is written as NULL; a
 * redacted one cannot be written at all: the replay stops on the event ({@link RedactedValueError}).
 */
function params(
  resource: AnyResource,
  values: Readonly<Record<string, unknown>>,
  event: StoredEvent,
): Record<string, SqlParam> {
  const changes: JsonObject = event.changes;
  const out: Record<string, SqlParam> = {};
  for (const [key, value] of Object.entries(values)) {
    if (isRedacted(value)) throw new RedactedValueError({ eventId: event.id, position: event.position }, key);
    if (isErased(value)) {
      out[key] = null;
      continue;
    }
    const param = toParam(resource, key, value);
    // A pinned timestamp keeps its stored text: a Date would cut the microseconds of a
    // database-computed value (an atomic `now()`), so the row would not come back identical.
    const stored = changes[key];
    out[key] = param instanceof Date && typeof stored === "string" && Date.parse(stored) === param.getTime()
      ? stored
      : param;
  }
  return out;
}

/** The single statement of one replay write (no event, no hooks). */
export function replayWriteSql(log: EventLog, write: ReplayWrite): SqlStatement {
  const selector = write.tenant === undefined ? { id: write.id } : { id: write.id, tenant: write.tenant };
  switch (write.kind) {
    case "insert":
      return insertRecordSql(log, write.target, write.values, null);
    case "update":
      return updateRecordSql(log, write.target, selector, write.values, null);
    case "delete":
      return deleteRecordSql(log, write.target, selector, null);
    case "upsert":
      return upsertRecordSql(log, write.target, write.values, null, {
        upsert: { identity: [write.target.primaryKey], live: [], kept: write.kept ?? [], createdAt: undefined },
      });
  }
}

/** The writes of one event, or why it cannot be applied (and the typed error behind it, if any). */
export type EventPlan = { writes: ReplayWrite[]; routed: boolean } | { failure: string; cause?: unknown };

/**
 * The writes of one event, or why it cannot be applied. An effect on an event-only resource
 * (`table: false`) writes nothing: its state is the event itself, so the event counts as applied.
 */
export async function planEvent(env: EffectEnv, event: StoredEvent): Promise<EventPlan> {
  try {
    const { effects, routed } = await eventEffects(env, event);
    const tabled = effects.filter((effect) => effect.resource.table !== null);
    return { writes: tabled.map((effect) => effectWrite(effect, event)), routed };
  } catch (error) {
    // The cause (a ValidationError naming the field, for data that fails the action's input) goes
    // on the ReplayError a stopped replay throws.
    if (error instanceof EventEffectError) {
      return error.cause === undefined ? { failure: error.message } : { failure: error.message, cause: error.cause };
    }
    if (error instanceof RedactedValueError) return { failure: error.message, cause: error };
    throw error;
  }
}
