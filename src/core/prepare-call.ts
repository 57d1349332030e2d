/**
 * Preparing one action call: validate the input, the context (tenant, actor, metadata,
 * correlation and causation ids) and the record id, and fix the ids and the lock key, before
 * anything is sent. Building the write from a prepared call is `write-plan.ts`.
 * @module
 */
import type { ActionDefinition } from "./action.ts";
import type { ActionContext } from "./context.ts";
import type { EventLog, LockKey } from "./event-log.ts";
import type { SqlParam } from "./executor.ts";
import { isUlid, newEventId, newUuidV7 } from "./ids.ts";
import { type JsonObject, toJson } from "./json.ts";
import { writeLockKey } from "./lock-key.ts";
import type { AnyResource } from "./resource.ts";
import { resolveActor, type ResolvedActor } from "./actor.ts";
import { type AnySchema, validate, validationError } from "./validation.ts";
import { canonicalRecordId, canonicalTenant } from "./canonical-id.ts";
import { checkText } from "./well-formed-text.ts";
import { inputToAttributes } from "./action-attributes.ts";
import type { RecordId } from "./store-types.ts";
import { type Expectation, type ExpectationRequest, prepareExpectation } from "./expected-position.ts";

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
  /** The call's `expectedPosition` and `record`, as given (validated by {@link prepareCall}). */
  readonly expectation?: ExpectationRequest | undefined;
}

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
  /** The parent event's id (`ctx.parentEventId`), or null. */
  readonly parentId: string | null;
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
  /**
   * The caller's precondition: the record's last event position, and the record held there
   * (see `ChangeCallContext`).
   */
  readonly expected: Expectation | undefined;
  /**
   * Whether the write needs the current record first: change-function updates, unless the
   * caller holds the record (`expected.heldRecord`).
   */
  readonly needsRead: boolean;
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
  const { resource, actionName, id, input: rawInput, ctx, now, primaryKeyHint, expectation } = request;
  const action = (resource.actions as Record<string, ActionDefinition<Record<string, unknown>, AnySchema>>)[actionName];
  if (action === undefined) throw new TypeError(`${resource.name} has no action "${actionName}"`);
  if (ctx.eventId !== undefined && !isUlid(ctx.eventId)) {
    throw validationError("The event id must be a ULID", "eventId");
  }
  const parentId = ctx.parentEventId ?? null;
  if (parentId !== null && !isUlid(parentId)) {
    throw validationError("The parent event id must be a ULID", "parentEventId");
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
  const expected = expectation === undefined ? undefined : await prepareExpectation(resource, action, expectation);
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
    parentId,
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
    expected,
    needsRead: action.type === "update" && typeof action.options.change === "function" &&
      expected?.heldRecord === undefined,
  });
}

/** A context id (correlation, causation) as text Postgres stores exactly. */
function contextId(value: unknown, path: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw validationError(`${path} must be a non-empty string`, path);
  }
  checkText(value, path);
  return value;
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

/** A create's attributes before key, tenant and timestamps: input, then `defaults`, then `change(input)`. */
export function createStart(
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
