/**
 * Applying one stored event during replay: route it, upcast its data, validate it
 * against the target action, pin its `changes`, and build the write (no event, no hooks).
 * @module
 */
import type { ActionDefinition } from "../core/action.ts";
import type { EventLog } from "../core/event-log.ts";
import type { SqlParam, SqlStatement } from "../core/executor.ts";
import type { JsonObject } from "../core/json.ts";
import type { AnyResource } from "../core/resource.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { toParam } from "../core/record-mapping.ts";
import { type AnySchema, validate } from "../core/validation.ts";
import { inputToAttributes, validateSet, writeTarget } from "../core/write-plan.ts";
import { deleteRecordSql, insertRecordSql, updateRecordSql } from "../sql/write-statements.ts";
import { findAction } from "../core/replay-routes.ts";
import { revive } from "./revive.ts";
import type { ReplayWrite } from "./fold-page.ts";

type AnyAction = ActionDefinition<Record<string, unknown>, AnySchema>;

/** Where an event goes during replay. */
export interface ReplayTarget {
  readonly resource: AnyResource;
  /** The action name, or `adopt` for adoption events. */
  readonly actionName: string;
  /** The action; undefined for adoption events (a create of every attribute in `changes`). */
  readonly action: AnyAction | undefined;
}

/** Why an event could not be applied. */
export class ApplyFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ApplyFailure";
  }
}

/**
 * The targets of an event: its `replayOverrides` route for its version, else its own
 * action (found by name or alias), else adoption for `adopt` events.
 * @throws {ApplyFailure} when nothing answers the event
 */
export function replayTargets(
  log: EventLog,
  resources: ReadonlyMap<string, AnyResource>,
  event: StoredEvent,
): { targets: ReplayTarget[]; routed: boolean } {
  const override = log.replayOverrides.find((o) =>
    o.resource === event.resource && o.action === event.action && o.versions.includes(event.version)
  );
  if (override !== undefined) {
    const targets = override.routeTo.map(([r, a]) => {
      const resource = resources.get(r)!;
      return { resource, actionName: a, action: findAction(resource, a) };
    });
    return { targets, routed: true };
  }
  const resource = resources.get(event.resource);
  if (resource === undefined) throw new ApplyFailure(`No resource named "${event.resource}" is tracked`);
  const action = findAction(resource, event.action);
  if (action === undefined && !(event.action === "adopt" && event.actionType === "create")) {
    throw new ApplyFailure(`${event.resource} has no action "${event.action}" (nor an alias of that name)`);
  }
  return { targets: [{ resource, actionName: event.action, action }], routed: false };
}

function upcast(action: AnyAction, event: StoredEvent): JsonObject {
  let data = event.data;
  const upcasters = action.options.upcast;
  for (let version = event.version; version < action.version; version++) {
    const step = upcasters?.[version];
    if (step !== undefined) data = step(data);
  }
  return data;
}

function pinned(resource: AnyResource, changes: JsonObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (resource.attributeNames.includes(key)) out[key] = revive(resource.attributes.entries[key], value);
  }
  return out;
}

function params(resource: AnyResource, values: Record<string, unknown>, changes: JsonObject): Record<string, SqlParam> {
  const out: Record<string, SqlParam> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
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
  }
}

/**
 * Plan the replay write of one event for one target.
 * @throws {ApplyFailure} when the event's data fails the target's validation
 */
export async function applyEvent(target: ReplayTarget, event: StoredEvent, routed: boolean): Promise<ReplayWrite> {
  const { resource, action } = target;
  const what = `event at position ${event.position} (${event.resource}.${event.action} v${event.version})`;
  try {
    let inputAttributes: Record<string, unknown> = {};
    if (action !== undefined) {
      const data = routed ? event.data : upcast(action, event);
      const input = await validate(action.input, revive(action.input, data), `data of ${what}`);
      inputAttributes = inputToAttributes(resource, action, input);
    }
    const recorded = pinned(resource, event.changes);
    // A recorded null is a NULL column (an optional attribute left empty, then an atomic
    // result over it, or an adopted row): the schema may reject null for what a row stores
    // as absent, so it is bound as recorded, past validation.
    const nulls = Object.fromEntries(
      Object.keys(recorded).filter((key) => recorded[key] === null).map((key) => [key, null]),
    );
    for (const key of Object.keys(nulls)) delete recorded[key];
    const values: Record<string, unknown> = { ...inputAttributes, ...recorded };
    const type = action?.type ?? "create";
    const base = {
      resource,
      target: writeTarget(resource),
      id: event.recordId,
      tenant: resource.tenant === undefined ? undefined : event.tenant ?? undefined,
    };
    if (type === "create") {
      values[resource.primaryKey.attribute] ??= event.recordId;
      if (resource.tenant !== undefined) values[resource.tenant] ??= event.tenant;
      const record = await validate(resource.attributes, values, `record of ${what}`) as Record<string, unknown>;
      return { ...base, kind: "insert", values: params(resource, { ...record, ...nulls }, event.changes) };
    }
    if (type === "destroy" && action?.options.soft === undefined) return { ...base, kind: "delete", values: {} };
    delete values[resource.primaryKey.attribute];
    if (resource.tenant !== undefined) delete values[resource.tenant];
    const set = await validateSet(resource, values, `record of ${what}`);
    return { ...base, kind: "update", values: params(resource, { ...set, ...nulls }, event.changes) };
  } catch (error) {
    if (error instanceof ApplyFailure) throw error;
    throw new ApplyFailure(error instanceof Error ? error.message : `Could not apply ${what}`, { cause: error });
  }
}

/** The writes of one event, or why it cannot be applied. */
export type EventPlan = { writes: ReplayWrite[]; routed: boolean } | { failure: string };

/** The writes of one event, or why it cannot be applied. */
export async function planEvent(
  env: { readonly log: EventLog; readonly resources: ReadonlyMap<string, AnyResource> },
  event: StoredEvent,
): Promise<EventPlan> {
  try {
    const { targets, routed } = replayTargets(env.log, env.resources, event);
    const writes = await Promise.all(targets.map((t) => applyEvent(t, event, routed)));
    return { writes, routed };
  } catch (error) {
    if (error instanceof ApplyFailure) return { failure: error.message };
    throw error;
  }
}
