/**
 * What one stored event does to a record, as a value: insert this record, update these
 * attributes, or delete. Pure (no database, no clock): replay turns effects into SQL
 * (`src/replay/apply-event.ts`), history folds them in memory with {@link evolve} (Emmett's
 * `evolve`). Both therefore agree on routing, aliases, upcasters, pinned `changes` and nulls.
 * @module
 */
import * as v from "valibot";
import type { ActionDefinition } from "./action.ts";
import { inputToAttributes, validateSet } from "./action-attributes.ts";
import { isMarker } from "./sensitive-markers.ts";
import { holdsProtected, reveal } from "./sensitive-values.ts";
import type { SensitiveOptions } from "./sensitivity.ts";
import type { EventLog } from "./event-log.ts";
import type { JsonObject } from "./json.ts";
import type { Keyring } from "./keyring.ts";
import { EventEffectError, type EventTarget, routeEvent } from "./replay-routes.ts";
import type { AnyResource } from "./resource.ts";
import { revive } from "./revive.ts";
import type { StoredEvent } from "./stored-event.ts";
import { type AnySchema, validate } from "./validation.ts";
import { upsertTargetOf } from "./upsert.ts";

type AnyAction = ActionDefinition<Record<string, unknown>, AnySchema>;

interface EffectBase {
  readonly resource: AnyResource;
  /** The record id as stored in the event. */
  readonly recordId: string;
  /** The tenant, for multi-tenant resources; undefined otherwise. */
  readonly tenant: string | undefined;
}

/**
 * The event creates the record: `attributes` is the whole record. An upsert's event (`upsert`
 * set) creates it when it does not exist, else sets its attributes but the `kept` ones: the
 * record id is the row's key either way, so replay applies it by key, not by identity.
 */
export interface InsertEffect extends EffectBase {
  readonly kind: "insert";
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly upsert?: { readonly kept: readonly string[] };
}

/** The event changes the record: `attributes` holds the attributes it sets (a soft destroy is one). */
export interface UpdateEffect extends EffectBase {
  readonly kind: "update";
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The event deletes the record's row (a hard destroy). */
export interface DeleteEffect extends EffectBase {
  readonly kind: "delete";
}

/** What one event does to one record. */
export type EventEffect = InsertEffect | UpdateEffect | DeleteEffect;

/** The effects of one event (one per target; a routed event may have several) and whether it was routed. */
export interface EventEffects {
  readonly effects: readonly EventEffect[];
  readonly routed: boolean;
}

/** What routing needs: the log's routes and the tracked resources by name; and the keys of encrypted values. */
export interface EffectEnv {
  readonly log: EventLog;
  readonly resources: ReadonlyMap<string, AnyResource>;
  /** The store's keyring (undefined: none; a log with encrypted values then fails to fold). */
  readonly keyring?: Keyring | undefined;
}

/**
 * The effects of `event`: routed, upcast, validated against the target action and with its
 * recorded `changes` pinned, so a replayed or folded record equals the live one.
 * @throws {EventEffectError} when no action answers the event or its data fails validation
 */
export async function eventEffects(env: EffectEnv, stored: StoredEvent): Promise<EventEffects> {
  const { targets, routed } = routeEvent(env.log, env.resources, stored);
  const event = await revealed(env, stored, targets);
  // One target is the common case: no Promise.all (a fold runs this for every event).
  const effects = targets.length === 1
    ? [await eventEffect(targets[0]!, event, routed)]
    : await Promise.all(targets.map((target) => eventEffect(target, event, routed)));
  return { effects, routed };
}

/**
 * `event` with the encrypted values of its `data` and `changes` decrypted (or erased), by the
 * sensitive marks of its resource (of its targets, for a resource the store no longer has).
 * Events without marked values are returned as they are.
 */
async function revealed(env: EffectEnv, event: StoredEvent, targets: readonly EventTarget[]): Promise<StoredEvent> {
  const marks = env.resources.get(event.resource)?.sensitive ?? unionOf(targets);
  if (!holdsProtected(event.data, marks) && !holdsProtected(event.changes, marks)) return event;
  return {
    ...event,
    data: await reveal(event.data, "data", marks, env.keyring, event.id),
    changes: await reveal(event.changes, "changes", marks, env.keyring, event.id),
  };
}

function unionOf(targets: readonly EventTarget[]): SensitiveOptions {
  return targets.length === 1
    ? targets[0]!.resource.sensitive
    : Object.assign({}, ...targets.map((t) => t.resource.sensitive));
}

/** The keys of `values` that hold a marker (redacted or erased). */
function markedKeys(values: Readonly<Record<string, unknown>>): string[] {
  const keys: string[] = [];
  for (const key in values) if (isMarker(values[key])) keys.push(key);
  return keys;
}

const OBJECT_TYPES = new Set(["object", "loose_object", "strict_object", "object_with_rest"]);

/**
 * Validate `values` against an object `schema` except the keys holding markers (a redacted
 * or erased value cannot pass a schema, and is no value to check), then put the markers back.
 * A schema that is no object schema is not run: the values are taken as they are.
 */
async function validateMarked(
  schema: AnySchema,
  values: Record<string, unknown>,
  marked: readonly string[],
  what: () => string,
): Promise<Record<string, unknown>> {
  const rest: Record<string, unknown> = {};
  for (const key in values) if (!marked.includes(key)) rest[key] = values[key];
  const type = (schema as { type?: string; entries?: object }).type;
  const object = (schema as { entries?: object }).entries !== undefined && type !== undefined && OBJECT_TYPES.has(type);
  const output = object
    ? { ...(await validate(v.omit(schema as v.ObjectSchema<v.ObjectEntries, undefined>, marked as never), rest, what)) }
    : rest;
  for (const key of marked) output[key] = values[key];
  return output;
}

/**
 * The effect of `event` on one target. A routed event's data is already in the target's
 * shape; an event of the target's own action is upcast from its version first.
 * @throws {EventEffectError} when the event's data fails the target's validation
 */
export async function eventEffect(target: EventTarget, event: StoredEvent, routed: boolean): Promise<EventEffect> {
  const { resource, action } = target;
  // Written out only for an error: a fold runs this for every event.
  const what = (): string =>
    `event at position ${event.position} (${event.resource}.${event.action} v${event.version})`;
  try {
    let inputAttributes: Record<string, unknown> = {};
    if (action !== undefined) {
      const given = routed ? event.data : upcast(action, event);
      const data = action.options.replayInput === "changes" ? withChanges(action.input, given, event.changes) : given;
      const marked = markedKeys(data);
      const revived = revive(action.input, data);
      const input = marked.length === 0
        ? await validate(action.input, revived, () => `data of ${what()}`)
        : await validateMarked(action.input, revived as Record<string, unknown>, marked, () => `data of ${what()}`);
      inputAttributes = inputToAttributes(resource, action, input);
    }
    // A recorded null is a NULL column (an optional attribute left empty, then an atomic
    // result over it, or an adopted row): the schema may reject null for what a row stores
    // as absent, so it is kept as recorded, past validation.
    const { recorded, nulls } = pinned(resource, event.changes);
    const type = action?.type ?? "create";
    const base = {
      resource,
      recordId: event.recordId,
      tenant: resource.tenant === undefined ? undefined : event.tenant ?? undefined,
    };
    if (type === "create") {
      const values: Record<string, unknown> = { ...inputAttributes, ...recorded };
      values[resource.primaryKey.attribute] ??= event.recordId;
      if (resource.tenant !== undefined) values[resource.tenant] ??= event.tenant;
      const marked = markedKeys(values);
      const record = marked.length === 0
        ? await validate(resource.attributes, values, () => `record of ${what()}`) as Record<string, unknown>
        : await validateMarked(resource.attributes, values, marked, () => `record of ${what()}`);
      const upsert = action === undefined ? undefined : upsertTargetOf(resource, action);
      const attributes = defined(record, nulls);
      return upsert === undefined
        ? { ...base, kind: "insert", attributes }
        : { ...base, kind: "insert", attributes, upsert: { kept: upsert.kept } };
    }
    if (type === "destroy" && action?.options.soft === undefined) return { ...base, kind: "delete" };
    // Built without the key and the tenant rather than deleting them after: `delete` turns an
    // object into a slow dictionary, and an update never sets either.
    const values: Record<string, unknown> = {};
    for (const source of [inputAttributes, recorded]) {
      for (const key in source) {
        if (key !== resource.primaryKey.attribute && key !== resource.tenant) values[key] = source[key];
      }
    }
    const marked = markedKeys(values);
    const set = await validateSet(resource, withoutKeys(values, marked), () => `record of ${what()}`);
    for (const key of marked) set[key] = values[key];
    return { ...base, kind: "update", attributes: defined(set, nulls) };
  } catch (error) {
    if (error instanceof EventEffectError) throw error;
    throw new EventEffectError(error instanceof Error ? error.message : `Could not apply ${what()}`, { cause: error });
  }
}

/**
 * The record after `effect`, from the record before it (undefined: no row). Pure: returns a
 * new object. An insert over an existing record or a change of a missing one is the same
 * failure the database gives replay.
 * @throws {EventEffectError} when the effect does not fit the state
 */
export function evolve(
  state: Readonly<Record<string, unknown>> | undefined,
  effect: EventEffect,
): Record<string, unknown> | undefined {
  const record = `${effect.resource.name} ${effect.recordId}`;
  switch (effect.kind) {
    case "insert":
      if (state !== undefined && effect.upsert !== undefined) return { ...state, ...appliedAttributes(state, effect) };
      if (state !== undefined) throw new EventEffectError(`${record} is created twice`);
      return { ...effect.attributes };
    case "update":
      if (state === undefined) throw new EventEffectError(`${record} is changed before it exists`);
      return { ...state, ...effect.attributes };
    case "delete":
      if (state === undefined) throw new EventEffectError(`${record} is destroyed before it exists`);
      return undefined;
  }
}

/**
 * The attributes `effect` sets on a record whose state before it is `state` (undefined: no
 * record): all of them, except for an upsert over an existing record, which keeps its own.
 */
export function appliedAttributes(
  state: Readonly<Record<string, unknown>> | undefined,
  effect: InsertEffect | UpdateEffect,
): Readonly<Record<string, unknown>> {
  if (state === undefined || effect.kind !== "insert" || effect.upsert === undefined) return effect.attributes;
  const kept = effect.upsert.kept;
  const out: Record<string, unknown> = {};
  for (const key in effect.attributes) if (!kept.includes(key)) out[key] = effect.attributes[key];
  return out;
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

/**
 * `data` with, for each key of the input schema that it lacks, the value `changes` recorded
 * under that name (`replayInput: "changes"`). The data wins where both have a key: it is what
 * the call passed.
 */
function withChanges(schema: AnySchema, data: JsonObject, changes: JsonObject): JsonObject {
  const keys = inputKeys(schema);
  let out: JsonObject | undefined;
  for (const key of keys) {
    if (Object.hasOwn(data, key) || !Object.hasOwn(changes, key)) continue;
    (out ??= { ...data })[key] = changes[key]!;
  }
  return out ?? data;
}

/** The keys of an object schema, also under a `pipe` (none for other schemas). */
function inputKeys(schema: AnySchema): readonly string[] {
  const s = schema as { readonly entries?: Record<string, unknown>; readonly pipe?: readonly unknown[] };
  if (s.entries !== undefined) return Object.keys(s.entries);
  const first = s.pipe?.[0];
  return first === undefined || first === schema ? [] : inputKeys(first as AnySchema);
}

/** The attributes `changes` pins (revived), and those it pins to null apart. */
function pinned(
  resource: AnyResource,
  changes: JsonObject,
): { recorded: Record<string, unknown>; nulls: Record<string, null> | undefined } {
  const recorded: Record<string, unknown> = {};
  let nulls: Record<string, null> | undefined;
  for (const key in changes) {
    if (!resource.attributeNames.includes(key)) continue;
    const value = changes[key];
    if (value === null) (nulls ??= {})[key] = null;
    else recorded[key] = isMarker(value) ? value : revive(resource.attributes.entries[key], value);
  }
  return { recorded, nulls };
}

/** `values` without its undefined entries, then `nulls` over them. */
function defined(values: Record<string, unknown>, nulls: Record<string, null> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in values) if (values[key] !== undefined) out[key] = values[key];
  if (nulls !== undefined) { for (const key in nulls) out[key] = null; }
  return out;
}

function withoutKeys(values: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  if (keys.length === 0) return values;
  const out: Record<string, unknown> = {};
  for (const key in values) if (!keys.includes(key)) out[key] = values[key];
  return out;
}
