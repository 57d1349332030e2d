/**
 * Planning one action call: validate everything, compute ids, attributes, `data` and
 * `changes`, and build its write statement. No database access happens here.
 * @module
 */
import * as v from "valibot";
import type { ActionDefinition } from "./action.ts";
import type { ActionContext } from "./context.ts";
import type { EventLog, LockKey } from "./event-log.ts";
import type { SqlParam, SqlStatement } from "./executor.ts";
import { isUlid, newEventId, newUuidV7 } from "./ids.ts";
import { type JsonObject, jsonText, MAX_EVENT_JSON_BYTES, sameJson, toJson, utf8Length } from "./json.ts";
import { writeLockKey } from "./lock-key.ts";
import type { AnyResource } from "./resource.ts";
import { resolveActor, type ResolvedActor } from "./actor.ts";
import { toParam } from "./record-mapping.ts";
import { type AnySchema, validate, validationError } from "./validation.ts";
import { canonicalRecordId, canonicalTenant, canonicalUuid } from "./canonical-id.ts";
import { checkText } from "./well-formed-text.ts";
import type { RecordId } from "./store-types.ts";
import { isAttributeRef, isSqlFragment, type SqlFragment } from "../sql/fragment.ts";
import {
  deleteRecordSql,
  type EventValues,
  type IgnoredCallValues,
  insertRecordSql,
  type RecordSelector,
  updateRecordSql,
  type WriteTarget,
} from "../sql/write-statements.ts";
import { lockRecordSql } from "../sql/lock-record.ts";

/** A validated call, ready to be built into a write. */
export interface PreparedCall {
  readonly resource: AnyResource;
  readonly actionName: string;
  readonly action: ActionDefinition<Record<string, unknown>, AnySchema>;
  readonly tracked: boolean;
  readonly ctx: ActionContext;
  readonly eventId: string;
  /** Whether the caller chose the event id (an idempotency key) rather than us. */
  readonly callerEventId: boolean;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: ResolvedActor | null;
  readonly tenant: string | null;
  /** The tenant attribute's value: `ctx.tenant` canonicalized (see `canonicalTenant`). */
  readonly tenantValue: string | number | bigint | undefined;
  readonly metadata: JsonObject;
  readonly input: unknown;
  readonly inputAttributes: Readonly<Record<string, unknown>>;
  /**
   * Creates: the attributes from the input, `defaults` and `change(input)`, computed once at
   * planning; the primary key is planned from them, as the write will use them.
   */
  readonly createAttributes: Readonly<Record<string, unknown>> | undefined;
  /**
   * The record id as text (for creates: the primary key planned from the attributes the write
   * uses; a `before` hook may still set another one, see {@link BuiltWrite.primaryKey}).
   */
  readonly recordId: string;
  /** The primary key value as a parameter (null: a create whose `before` hook must set it). */
  readonly primaryKey: SqlParam;
  readonly lockKey: LockKey;
  /**
   * The clock when the call was planned. Each attempt to send plans with a fresh clock value
   * (see {@link buildWrite}), and the database stamps the event with that value or the log's
   * latest `occurred_at`, whichever is later.
   */
  readonly occurredAt: Date;
  /** Whether the write needs the current record first (change-function updates). */
  readonly needsRead: boolean;
}

/** A built write: its statement and what the event will say. */
export interface BuiltWrite {
  /** Statements that must run before the write in the same batch (row locks). */
  readonly before: readonly SqlStatement[];
  /** The write (and event) statement; its result has the written row. */
  readonly statement: SqlStatement;
  readonly event: EventValues | null;
  /** `changes` as computed before the write (atomic results are added from the row). */
  readonly changes: JsonObject;
  /** Attributes set by SQL fragments; their values come from the written row. */
  readonly atomicAttributes: readonly string[];
  /**
   * Timestamp attributes (createdAt, updatedAt, the soft-destroy one) that hold the clock
   * value planned with: the database writes the batch's stamp in their place, and in `changes`.
   */
  readonly stampedAttributes: readonly string[];
  /** The primary key written (for creates, after the `before` hook). */
  readonly primaryKey: SqlParam;
}

/** The SQL layer's view of a resource. */
export function writeTarget(resource: AnyResource): WriteTarget {
  return {
    resource: resource.name,
    table: resource.table,
    columns: resource.columns,
    primaryKey: resource.primaryKey.attribute,
    tenant: resource.tenant,
    softDeleteAttributes: resource.softDeleteAttributes,
  };
}

/** The attributes an action takes from its input (`accept`, `map`, or same-named keys). */
export function inputToAttributes(
  resource: AnyResource,
  action: ActionDefinition<Record<string, unknown>, AnySchema>,
  input: unknown,
): Record<string, unknown> {
  if (action.options.map !== undefined) return { ...action.options.map(input as never) };
  const source = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const keys = action.options.accept ?? Object.keys(source).filter((k) => resource.attributeNames.includes(k));
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  if (resource.tenant !== undefined) delete out[resource.tenant];
  return out;
}

/**
 * A new primary key for a create of `resource` (ULID or UUIDv7).
 * @throws {ValidationError} when the resource generates none (`generate: "none"`)
 */
export function newPrimaryKey(resource: AnyResource): string {
  switch (resource.primaryKey.generate) {
    case "ulid":
      return newEventId();
    case "uuidv7":
      return newUuidV7();
    case "none":
      throw validationError(
        `${resource.name} needs its primary key in the input`,
        resource.primaryKey.attribute,
        "missing",
      );
  }
}

/** A context id (correlation, causation) as text Postgres stores exactly. */
function contextId(value: unknown, path: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw validationError(`${path} must be a non-empty string`, path);
  }
  checkText(value, path);
  return value;
}

/** One call to prepare: the action, the record it addresses, its input and context. */
export interface CallRequest {
  readonly resource: AnyResource;
  readonly actionName: string;
  /** The record id (undefined for a create). */
  readonly id: RecordId | undefined;
  /** The raw input, validated by {@link prepareCall}. */
  readonly input: unknown;
  readonly ctx: ActionContext;
  /** The clock when the call was planned. */
  readonly now: Date;
  /** A create's primary key fixed before planning, used when the input and defaults give none. */
  readonly primaryKeyHint?: string | undefined;
}

/**
 * Validate a call and fix its ids. Throws before anything is sent.
 *
 * Every value the call writes is checked here or in {@link buildWrite}: text with NUL or
 * lone surrogates, non-finite numbers, non-JSON values and JSON nested deeper than
 * `MAX_JSON_DEPTH` are refused naming their path; UUID tenants and ids are canonicalized.
 * @throws {ValidationError} on invalid input, metadata, actor, context ids, record id or missing tenant
 */
export async function prepareCall(log: EventLog, request: CallRequest): Promise<PreparedCall> {
  const { resource, actionName, id, input: rawInput, ctx, now, primaryKeyHint } = request;
  const action = (resource.actions as Record<string, ActionDefinition<Record<string, unknown>, AnySchema>>)[actionName];
  if (action === undefined) throw new TypeError(`${resource.name} has no action "${actionName}"`);
  if (ctx.eventId !== undefined && !isUlid(ctx.eventId)) {
    throw validationError("The event id must be a ULID", "eventId");
  }
  if (resource.tenant !== undefined && (ctx.tenant === undefined || ctx.tenant === null || ctx.tenant === "")) {
    throw validationError(`${resource.name} is multi-tenant: the call needs a tenant`, "tenant", "missing");
  }
  // Only multi-tenant resources record a tenant: a tenant replay must find exactly the rows it clears.
  const tenantValue = resource.tenant === undefined ? undefined : canonicalTenant(ctx.tenant!);
  const tenant = tenantValue === undefined ? null : String(tenantValue);
  const actor = resolveActor(log, ctx.actor);
  const correlationId = ctx.correlationId === undefined ? newEventId() : contextId(ctx.correlationId, "correlationId");
  const causationId = ctx.causationId === undefined || ctx.causationId === null
    ? null
    : contextId(ctx.causationId, "causationId");
  const metadata = toJson(ctx.metadata ?? {}, "metadata");
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw validationError("Metadata must be a JSON object", "metadata");
  }
  const input = await validate(action.input, rawInput ?? {}, `input of ${resource.name}.${actionName}`);
  // The input is stored as the event's data: it must be JSON that round-trips exactly.
  toJson(input);
  const inputAttributes = inputToAttributes(resource, action, input);
  let primaryKey: SqlParam;
  let createAttributes: Record<string, unknown> | undefined;
  if (action.type === "create") {
    // The key comes from the attributes the write starts from (input through map or accept,
    // defaults, change), and only when they have none from the hint or the generator.
    createAttributes = createStart(action, input, inputAttributes);
    const given = createAttributes[resource.primaryKey.attribute];
    if (given !== undefined && given !== null) primaryKey = canonicalRecordId(resource, given as SqlParam);
    else if (primaryKeyHint !== undefined) primaryKey = primaryKeyHint;
    else if (resource.primaryKey.generate !== "none" || action.options.before === undefined) {
      primaryKey = newPrimaryKey(resource);
    } else primaryKey = null; // left to the before hook; checked when the write is built
  } else {
    if (id === undefined || id === null || id === "") {
      throw validationError(`${resource.name}.${actionName} needs a record id`, "id", "missing");
    }
    primaryKey = canonicalRecordId(resource, id);
  }
  const recordId = primaryKey === null ? "" : String(primaryKey);
  return Object.freeze({
    resource,
    actionName,
    action,
    tracked: resource.isTracked(actionName),
    ctx,
    eventId: ctx.eventId ?? newEventId(),
    callerEventId: ctx.eventId !== undefined,
    correlationId,
    causationId,
    actor,
    tenant,
    tenantValue,
    metadata,
    input,
    inputAttributes,
    createAttributes,
    recordId,
    primaryKey,
    lockKey: writeLockKey(log.lock, { resource: resource.name, action: actionName, tenant }),
    occurredAt: now,
    needsRead: action.type === "update" && typeof action.options.change === "function",
  });
}

function changesOf(
  final: Record<string, unknown>,
  fromInput: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(final)) {
    if (!(key in fromInput) || !sameJson(value, fromInput[key])) changes[key] = value;
  }
  return changes;
}

/** What the idempotency table records of an ignored call (null for calls that write an event). */
function ignoredValues(call: PreparedCall): IgnoredCallValues | null {
  if (call.tracked) return null;
  return { id: call.eventId, action: call.actionName, tenant: call.tenant, data: jsonText(call.input ?? {}) };
}

/**
 * The timestamp attributes among `candidates` that still hold the clock value `now` (a
 * `before` hook may have set another value: that one is kept as is).
 */
function stampedOf(values: Record<string, unknown>, candidates: readonly (string | undefined)[], now: Date): string[] {
  return [...new Set(candidates)].filter((a): a is string =>
    a !== undefined && values[a] instanceof Date && (values[a] as Date).getTime() === now.getTime()
  );
}

function eventValues(call: PreparedCall, changes: Record<string, unknown>): EventValues | null {
  if (!call.tracked) return null;
  const parts = {
    input: jsonText(call.input ?? {}),
    changes: jsonText(changes, "changes"),
    metadata: jsonText(call.metadata),
  };
  const sizes = Object.entries(parts).map(([name, text]) => [name, utf8Length(text)] as const);
  if (sizes.reduce((sum, [, size]) => sum + size, 0) > MAX_EVENT_JSON_BYTES) {
    const largest = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
    throw validationError(
      `The event of ${call.resource.name}.${call.actionName} is larger than ${MAX_EVENT_JSON_BYTES} bytes of JSON (data, changes and metadata)`,
      largest[0],
      "max_size",
    );
  }
  return {
    id: call.eventId,
    action: call.actionName,
    actionType: call.action.type,
    version: call.action.version,
    data: parts.input,
    changes: parts.changes,
    metadata: parts.metadata,
    tenant: call.tenant,
    correlationId: call.correlationId,
    causationId: call.causationId,
    actor: call.actor === null ? null : { column: call.actor.column, type: call.actor.columnType, id: call.actor.id },
  };
}

/**
 * Refuse attribute values that cannot be stored exactly (the rules of `toJson`, for every
 * column): values computed by defaults, `set`, change functions and `before` hooks, and
 * the values of SQL fragments.
 */
function checkWritten(values: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (isSqlFragment(value)) checkFragment(value, key);
    else toJson(value, key);
  }
}

function checkFragment(fragment: SqlFragment, path: string): void {
  for (const value of fragment.values) {
    if (isSqlFragment(value)) checkFragment(value, path);
    else if (!isAttributeRef(value)) toJson(value, path);
  }
}

async function runBefore(
  call: PreparedCall,
  attributes: Record<string, unknown>,
  record: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  const before = call.action.options.before;
  if (before === undefined) return attributes;
  const adjusted = await before(attributes as never, { input: call.input, ctx: call.ctx, record } as never);
  return adjusted === undefined ? attributes : { ...adjusted };
}

/** A create's attributes before key, tenant and timestamps: input, then `defaults`, then `change(input)`. */
function createStart(
  action: ActionDefinition<Record<string, unknown>, AnySchema>,
  input: unknown,
  inputAttributes: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const attributes: Record<string, unknown> = { ...inputAttributes };
  const defaults = action.options.defaults;
  const defaultValues = typeof defaults === "function" ? defaults(input as never) : defaults ?? {};
  for (const [key, value] of Object.entries(defaultValues)) if (attributes[key] === undefined) attributes[key] = value;
  if (typeof action.options.change === "function") {
    Object.assign(attributes, (action.options.change as (i: unknown) => object)(input));
  }
  return attributes;
}

async function buildCreate(log: EventLog, call: PreparedCall, now: Date): Promise<BuiltWrite> {
  const { resource, action } = call;
  let attributes: Record<string, unknown> = {
    ...(call.createAttributes ?? createStart(action, call.input, call.inputAttributes)),
  };
  if (attributes[resource.primaryKey.attribute] === undefined || attributes[resource.primaryKey.attribute] === null) {
    if (call.primaryKey === null) delete attributes[resource.primaryKey.attribute];
    else attributes[resource.primaryKey.attribute] = call.primaryKey;
  }
  if (resource.tenant !== undefined) attributes[resource.tenant] = call.tenantValue;
  const { createdAt, updatedAt } = resource.timestamps;
  if (createdAt !== undefined) attributes[createdAt] = now;
  if (updatedAt !== undefined) attributes[updatedAt] = now;
  attributes = await runBefore(call, attributes, undefined);
  const key = attributes[resource.primaryKey.attribute];
  if (key === undefined || key === null) {
    throw validationError(
      `${resource.name} needs its primary key in the input`,
      resource.primaryKey.attribute,
      "missing",
    );
  }
  // The event records ctx.tenant: a before hook may not file the record under another one.
  if (resource.tenant !== undefined && !sameJson(canonicalUuid(attributes[resource.tenant]), call.tenantValue)) {
    throw validationError(`${resource.name}.${call.actionName} may not change ${resource.tenant}`, resource.tenant);
  }
  const final = await validate(
    resource.attributes,
    attributes,
    `record of ${resource.name}.${call.actionName}`,
  ) as Record<string, unknown>;
  checkWritten(final);
  const changes = changesOf(final, call.inputAttributes);
  const params: Record<string, SqlParam> = {};
  for (const [key, value] of Object.entries(final)) {
    if (value !== undefined) params[key] = toParam(resource, key, value);
  }
  const event = eventValues(call, changes);
  const stampedAttributes = stampedOf(final, [createdAt, updatedAt], now);
  return {
    before: [],
    statement: insertRecordSql(log, writeTarget(resource), params, event, {
      ignored: ignoredValues(call),
      stamped: stampedAttributes,
    }),
    event,
    changes: toJson(changes) as JsonObject,
    atomicAttributes: [],
    stampedAttributes,
    primaryKey: params[resource.primaryKey.attribute] ?? null,
  };
}

/**
 * Validate the attributes an update sets against the resource's schema (partially).
 * @throws {ValidationError} for unknown attributes or invalid values
 */
export async function validateSet(
  resource: AnyResource,
  values: Record<string, unknown>,
  what: string,
): Promise<Record<string, unknown>> {
  const unknown = Object.keys(values).filter((k) => !resource.attributeNames.includes(k));
  if (unknown.length > 0) throw validationError(`${what} sets an unknown attribute`, unknown[0]);
  const shape = v.partial(v.pick(resource.attributes, Object.keys(values) as never));
  return await validate(shape, values, what) as Record<string, unknown>;
}

async function buildUpdate(
  log: EventLog,
  call: PreparedCall,
  current: { record: Record<string, unknown>; lastPosition: bigint | null } | undefined,
  now: Date,
): Promise<BuiltWrite> {
  const { resource, action } = call;
  let set: Record<string, unknown> = { ...call.inputAttributes };
  const soft = action.type === "destroy" ? action.options.soft as string | undefined : undefined;
  if (action.type === "destroy") {
    if (soft === undefined) {
      const event = eventValues(call, {});
      return {
        before: [],
        statement: deleteRecordSql(log, writeTarget(resource), selector(call, current), event, ignoredValues(call)),
        event,
        changes: {},
        atomicAttributes: [],
        stampedAttributes: [],
        primaryKey: call.primaryKey,
      };
    }
    set = { ...set, [soft]: now };
  }
  if (typeof action.options.set === "function") Object.assign(set, action.options.set(call.input as never));
  if (current !== undefined && typeof action.options.change === "function") {
    Object.assign(set, (action.options.change as (r: unknown, i: unknown) => object)(current.record, call.input));
  }
  const { updatedAt } = resource.timestamps;
  if (updatedAt !== undefined) set[updatedAt] = now;
  set = await runBefore(call, set, current?.record);
  for (const key of [resource.primaryKey.attribute, ...(resource.tenant === undefined ? [] : [resource.tenant])]) {
    if (key in set) throw validationError(`${resource.name}.${call.actionName} may not change ${key}`, key);
  }
  const plain = Object.fromEntries(Object.entries(set).filter(([, value]) => !isSqlFragment(value)));
  const validated = await validateSet(resource, plain, `record of ${resource.name}.${call.actionName}`);
  checkWritten({ ...set, ...validated });
  const params: Record<string, SqlParam | SqlFragment> = {};
  for (const [key, value] of Object.entries(set)) {
    params[key] = isSqlFragment(value) ? value : toParam(resource, key, validated[key]);
  }
  const changes = changesOf(
    Object.fromEntries(Object.entries(validated).filter(([k]) => k in plain)),
    call.inputAttributes,
  );
  const event = eventValues(call, changes);
  const atomicAttributes = Object.keys(set).filter((k) => isSqlFragment(set[k]));
  const before = current === undefined ? [] : [lockRecordSql(writeTarget(resource), recordSelectorOf(call))];
  const stampedAttributes = stampedOf(Object.fromEntries(Object.entries(validated).filter(([k]) => k in plain)), [
    soft,
    updatedAt,
  ], now);
  return {
    before,
    statement: updateRecordSql(log, writeTarget(resource), selector(call, current), params, event, {
      ignored: ignoredValues(call),
      stamped: stampedAttributes,
    }),
    event,
    changes: toJson(changes) as JsonObject,
    atomicAttributes,
    stampedAttributes,
    primaryKey: call.primaryKey,
  };
}

/**
 * The record a call addresses: `id` (by default the call's primary key) and, when the resource
 * is multi-tenant, the call's tenant, so that a call never reaches another tenant's record.
 */
export function recordSelectorOf(call: PreparedCall, id: SqlParam = call.primaryKey): RecordSelector {
  return call.resource.tenant === undefined ? { id } : { id, tenant: call.tenant };
}

function selector(call: PreparedCall, current: { lastPosition: bigint | null } | undefined): RecordSelector {
  const base = recordSelectorOf(call);
  return current === undefined ? base : { ...base, lastPosition: current.lastPosition };
}

/**
 * Build the write of a prepared call: runs defaults, change functions and the `before`
 * hook, validates the record, and returns the statement and the event it will append.
 * @param current the record read first, for change-function updates
 * @param now the clock value of this attempt (default: the one read at planning)
 */
export function buildWrite(
  log: EventLog,
  call: PreparedCall,
  current?: { record: Record<string, unknown>; lastPosition: bigint | null },
  now: Date = call.occurredAt,
): Promise<BuiltWrite> {
  return call.action.type === "create" ? buildCreate(log, call, now) : buildUpdate(log, call, current, now);
}
