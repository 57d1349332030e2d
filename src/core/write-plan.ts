/**
 * Planning the write of a prepared call (`prepare-call.ts`): defaults, change functions and
 * the `before` hook, the record validated, `data` and `changes`, and its write statement. No
 * database access happens here.
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { SqlParam, SqlStatement } from "./executor.ts";
import { type JsonObject, MAX_EVENT_JSON_BYTES, sameJson, toJson, utf8Length } from "./json.ts";
import type { AnyResource } from "./resource.ts";
import { toParam } from "./record-mapping.ts";
import { type AnySchema, validate, validationError } from "./validation.ts";
import { validateSet } from "./action-attributes.ts";
import { canonicalRecordId, canonicalUuid } from "./canonical-id.ts";
import { type ActionDefinition, isPurge, restoredAttribute } from "./action.ts";
import { isAttributeRef, isSqlFragment, type SqlFragment } from "../sql/fragment.ts";
import {
  deleteRecordSql,
  type EventTarget,
  type EventValues,
  type IgnoredCallValues,
  insertRecordSql,
  type RecordSelector,
  updateRecordSql,
  upsertRecordSql,
  type WriteTarget,
} from "../sql/write-statements.ts";
import { upsertTargetOf } from "./upsert.ts";
import { lockRecordSql } from "../sql/lock-record.ts";
import { createStart, type PreparedCall } from "./prepare-call.ts";
import { type EventOnlyRecord, eventOnlyWriteSql, readRecordEventsSql } from "../sql/event-only-writes.ts";
import { heldValuesOf, positionParam } from "./expected-position.ts";
import type { Keyring } from "./keyring.ts";
import { protect, subjectKey } from "./sensitive-values.ts";
import { markOf } from "./sensitivity.ts";

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
  /**
   * Event-only resources: the record written, and whether the last statement of `before`
   * reads its events (an update or destroy without a change function: its result is folded
   * from them and the event). Undefined for resources with a table.
   */
  readonly eventOnly?: { readonly record: EventOnlyRecord; readonly readsEvents: boolean };
  /**
   * An upsert: the record id and `changes` the event stored come from the database (the key of
   * the row written, which on the update path is not the planned one).
   */
  readonly upserts?: boolean;
}

/** The SQL layer's view of a resource's events: its name and how its primary key is spelled. */
export function eventTarget(resource: AnyResource): EventTarget {
  return { resource: resource.name, columns: resource.columns, primaryKey: resource.primaryKey.attribute };
}

/** The SQL layer's view of a resource with a table. */
export function writeTarget(resource: AnyResource): WriteTarget {
  if (resource.table === null) throw new TypeError(`${resource.name} has no table (table: false)`);
  return {
    resource: resource.name,
    table: resource.table,
    columns: resource.columns,
    primaryKey: resource.primaryKey.attribute,
    tenant: resource.tenant,
    softDeleteAttributes: resource.softDeleteAttributes,
  };
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

/** What a write needs besides the call: the attempt's clock and the keys of sensitive values. */
export interface BuildOptions {
  /** The clock value of this attempt (default: the one read at planning). */
  readonly now?: Date;
  /** The store's keyring, for values marked `encrypt`. */
  readonly keyring?: Keyring | undefined;
}

/** The event's `data`, `changes` and `metadata` as stored: sensitive keys redacted or encrypted. */
interface StoredParts {
  readonly data: JsonObject;
  readonly changes: JsonObject;
  readonly metadata: JsonObject;
}

/**
 * The parts of the event as the log stores them: each key marked sensitive (the resource's
 * `sensitive`, the log's `sensitiveMetadata`) redacted, or encrypted under the current key of
 * the event's subject, bound to this event id and field.
 */
async function storedParts(
  log: EventLog,
  call: PreparedCall,
  written: { readonly changes: Record<string, unknown>; readonly recordId: string; readonly attributes: object },
  keyring: Keyring | undefined,
): Promise<StoredParts> {
  const { resource } = call;
  const target = {
    eventId: call.eventId,
    key: subjectKey(keyring, () =>
      resource.encryptionSubject({
        resource: resource.name,
        recordId: written.recordId,
        tenant: call.tenant,
        attributes: written.attributes as Readonly<Record<string, unknown>>,
        input: call.input,
      })),
  };
  const marks = resource.sensitive;
  return {
    data: await protect(toJson(call.input ?? {}) as JsonObject, "data", marks, target),
    changes: await protect(toJson(written.changes, "changes") as JsonObject, "changes", marks, target),
    metadata: await protect(call.metadata, "metadata", log.sensitiveMetadata, target),
  };
}

/** What the idempotency table records of an ignored call (null for calls that write an event). */
function ignoredValues(call: PreparedCall, parts: StoredParts): IgnoredCallValues | null {
  if (call.tracked) return null;
  return { id: call.eventId, action: call.actionName, tenant: call.tenant, data: JSON.stringify(parts.data) };
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

function eventValues(call: PreparedCall, stored: StoredParts): EventValues | null {
  if (!call.tracked) return null;
  const parts = {
    input: JSON.stringify(stored.data),
    changes: JSON.stringify(stored.changes),
    metadata: JSON.stringify(stored.metadata),
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
    parentId: call.parentId,
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

async function buildCreate(
  log: EventLog,
  call: PreparedCall,
  now: Date,
  keyring: Keyring | undefined,
): Promise<BuiltWrite> {
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
  const recordId = canonicalRecordId(resource, key as SqlParam);
  const stored = await storedParts(log, call, { changes, recordId: String(recordId), attributes: final }, keyring);
  const event = eventValues(call, stored);
  const stampedAttributes = stampedOf(final, [createdAt, updatedAt], now);
  if (resource.table === null) {
    const record = eventOnlyRecord(call, recordId);
    return {
      before: [],
      statement: eventOnlyWriteSql(
        log,
        eventTarget(resource),
        {
          record,
          condition: { kind: "create", hardDestroys: hardDestroysOf(resource) },
        },
        event!,
        stampedAttributes,
      ),
      event,
      changes: stored.changes,
      atomicAttributes: [],
      stampedAttributes,
      primaryKey: record.recordId,
      eventOnly: { record, readsEvents: false },
    };
  }
  const upsert = upsertTargetOf(resource, action);
  const extra = { ignored: ignoredValues(call, stored), stamped: stampedAttributes };
  return {
    before: [],
    statement: upsert === undefined
      ? insertRecordSql(log, writeTarget(resource), params, event, extra)
      : upsertRecordSql(log, writeTarget(resource), params, event, { ...extra, upsert }),
    upserts: upsert !== undefined,
    event,
    changes: stored.changes,
    atomicAttributes: [],
    stampedAttributes,
    primaryKey: params[resource.primaryKey.attribute] ?? null,
  };
}

async function buildUpdate(
  log: EventLog,
  call: PreparedCall,
  current: { record: Record<string, unknown>; lastPosition: bigint | null } | undefined,
  now: Date,
  keyring: Keyring | undefined,
): Promise<BuiltWrite> {
  const { resource, action } = call;
  let set: Record<string, unknown> = { ...call.inputAttributes };
  const soft = action.type === "destroy" ? action.options.soft as string | undefined : undefined;
  if (action.type === "destroy") {
    if (soft === undefined) {
      const stored = await storedParts(log, call, { changes: {}, recordId: call.recordId, attributes: {} }, keyring);
      const event = eventValues(call, stored);
      if (call.resource.table === null) {
        const last = isPurge(action) ? { hardDestroys: hardDestroysOf(resource) } : undefined;
        return eventOnlyChange(log, call, current, { event, stamped: [], last });
      }
      return {
        before: rowLocks(call, current),
        statement: deleteRecordSql(
          log,
          writeTarget(resource),
          selector(call, current),
          event,
          ignoredValues(call, stored),
        ),
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
  // A restore clears its attribute whatever `before` returned; the NULL is written past the
  // schema (which may reject null for what a row stores as absent), as replay writes recorded nulls.
  const restored = restoredAttribute(action);
  if (restored !== undefined) delete set[restored];
  const plain = Object.fromEntries(Object.entries(set).filter(([, value]) => !isSqlFragment(value)));
  const validated = await validateSet(resource, plain, `record of ${resource.name}.${call.actionName}`);
  if (restored !== undefined) set[restored] = plain[restored] = validated[restored] = null;
  checkWritten({ ...set, ...validated });
  const params: Record<string, SqlParam | SqlFragment> = {};
  for (const [key, value] of Object.entries(set)) {
    params[key] = isSqlFragment(value) ? value : toParam(resource, key, validated[key]);
  }
  const changes = changesOf(
    Object.fromEntries(Object.entries(validated).filter(([k]) => k in plain)),
    call.inputAttributes,
  );
  const atomicAttributes = Object.keys(set).filter((k) => isSqlFragment(set[k]));
  const atomicSensitive = atomicAttributes.find((a) => markOf(resource.sensitive, a) !== undefined);
  if (atomicSensitive !== undefined) {
    // The database computes it into `changes` itself, where it would be stored in clear.
    throw new TypeError(
      `${resource.name}.${call.actionName} sets ${atomicSensitive} with SQL, and ${atomicSensitive} is sensitive: compute it in TypeScript (change) instead`,
    );
  }
  const stored = await storedParts(log, call, { changes, recordId: call.recordId, attributes: validated }, keyring);
  const event = eventValues(call, stored);
  const stampedAttributes = stampedOf(Object.fromEntries(Object.entries(validated).filter(([k]) => k in plain)), [
    soft,
    updatedAt,
  ], now);
  if (resource.table === null) {
    if (atomicAttributes.length > 0) {
      throw new TypeError(
        `${resource.name}.${call.actionName} sets ${
          atomicAttributes[0]
        } with SQL, and ${resource.name} has no table (table: false): an sql value needs a row to compute from`,
      );
    }
    const last = restored === undefined ? undefined : { softDestroys: softDestroysOf(resource, restored) };
    return {
      ...eventOnlyChange(log, call, current, { event, stamped: stampedAttributes, last }),
      changes: stored.changes,
    };
  }
  return {
    before: rowLocks(call, current),
    statement: updateRecordSql(log, writeTarget(resource), selector(call, current), params, event, {
      ignored: ignoredValues(call, stored),
      stamped: stampedAttributes,
    }),
    event,
    changes: stored.changes,
    atomicAttributes,
    stampedAttributes,
    primaryKey: call.primaryKey,
  };
}

/** The actions (names and aliases) whose events end a record: the destroys that are not soft. */
function hardDestroysOf(resource: AnyResource): readonly string[] {
  const names: string[] = [];
  for (
    const [name, action] of Object.entries(resource.actions as Record<string, ActionDefinition<unknown, AnySchema>>)
  ) {
    if (action.type === "destroy" && action.options.soft === undefined) names.push(name, ...action.aliases);
  }
  return Object.freeze(names);
}

/** The soft destroys (names and aliases) that set `attribute`: what a restore of it follows. */
function softDestroysOf(resource: AnyResource, attribute: string): readonly string[] {
  const names: string[] = [];
  for (
    const [name, action] of Object.entries(resource.actions as Record<string, ActionDefinition<unknown, AnySchema>>)
  ) {
    if (action.type === "destroy" && action.options.soft === attribute) names.push(name, ...action.aliases);
  }
  return Object.freeze(names);
}

function eventOnlyRecord(call: PreparedCall, recordId: SqlParam): EventOnlyRecord {
  return {
    resource: call.resource.name,
    recordId: String(recordId),
    tenant: call.resource.tenant === undefined ? undefined : call.tenant ?? undefined,
  };
}

/**
 * The write of an update or destroy of an event-only record. With the record folded first (a
 * change function), the write requires its last event to be the one folded; otherwise the
 * batch reads the record's events just before the write, to fold the result from.
 */
function eventOnlyChange(
  log: EventLog,
  call: PreparedCall,
  current: { lastPosition: bigint | null } | undefined,
  written: {
    readonly event: EventValues | null;
    readonly stamped: readonly string[];
    /** A restore's or a purge's condition on the last event (see `EventOnlyCondition`). */
    readonly last?:
      | { readonly softDestroys: readonly string[] }
      | { readonly hardDestroys: readonly string[] }
      | undefined;
  },
): BuiltWrite {
  const record = eventOnlyRecord(call, call.primaryKey);
  // The caller's expected position, else the one read (the runner checked they agree).
  const lastPosition = call.expected?.position ?? current?.lastPosition ?? undefined;
  const last = written.last === undefined ? {} : { last: written.last };
  const condition = lastPosition === undefined
    ? { kind: "change" as const, ...last }
    : { kind: "change" as const, lastPosition, expected: call.expected !== undefined, ...last };
  return {
    before: current === undefined ? [readRecordEventsSql(log, record)] : [],
    statement: eventOnlyWriteSql(
      log,
      eventTarget(call.resource),
      { record, condition },
      written.event!,
      written.stamped,
    ),
    event: written.event,
    changes: {},
    atomicAttributes: [],
    stampedAttributes: written.stamped,
    primaryKey: call.primaryKey,
    eventOnly: { record, readsEvents: current === undefined },
  };
}

/**
 * The record a call addresses: `id` (by default the call's primary key) and, when the resource
 * is multi-tenant, the call's tenant, so that a call never reaches another tenant's record.
 */
export function recordSelectorOf(call: PreparedCall, id: SqlParam = call.primaryKey): RecordSelector {
  return call.resource.tenant === undefined ? { id } : { id, tenant: call.tenant };
}

/**
 * The record a write addresses and its condition: the caller's expected position (and the
 * record held there, compared with the row), or the last position of the record read first.
 */
function selector(call: PreparedCall, current: { lastPosition: bigint | null } | undefined): RecordSelector {
  const restored = restoredAttribute(call.action);
  const soft = restored !== undefined
    ? { soft: { destroyedBy: restored } }
    : isPurge(call.action)
    ? { soft: "any" as const }
    : {};
  const base = { ...recordSelectorOf(call), ...soft };
  const expected = call.expected;
  if (expected !== undefined) {
    const held = expected.heldRecord === undefined ? {} : { held: heldValuesOf(call.resource, expected.heldRecord) };
    return { ...base, lastPosition: positionParam(expected.position), expected: true, ...held };
  }
  return current === undefined ? base : { ...base, lastPosition: current.lastPosition };
}

/**
 * The row lock a conditional write takes first, in a statement of its own: then the write's
 * check of the last event runs on a snapshot that sees every writer it waited for.
 */
function rowLocks(call: PreparedCall, current: unknown): SqlStatement[] {
  if (current === undefined && call.expected === undefined) return [];
  return [lockRecordSql(writeTarget(call.resource), recordSelectorOf(call))];
}

/**
 * Build the write of a prepared call: runs defaults, change functions and the `before`
 * hook, validates the record, and returns the statement and the event it will append, its
 * sensitive values redacted or encrypted.
 * @param current the record read first, for change-function updates
 * @param options `now`, the clock value of this attempt (default: the one read at planning);
 *   `keyring`, for values marked `encrypt`
 */
export function buildWrite(
  log: EventLog,
  call: PreparedCall,
  current?: { record: Record<string, unknown>; lastPosition: bigint | null },
  options: BuildOptions = {},
): Promise<BuiltWrite> {
  const now = options.now ?? call.occurredAt;
  return call.action.type === "create"
    ? buildCreate(log, call, now, options.keyring)
    : buildUpdate(log, call, current, now, options.keyring);
}
