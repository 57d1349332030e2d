/**
 * The event store: binds an executor, the event log and the resources, and hands out
 * typed action functions.
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { Executor } from "./executor.ts";
import type { HookFailedError } from "./errors.ts";
import type { ActionContext } from "./context.ts";
import type { AnyResource } from "./resource.ts";
import type {
  ActionStore,
  EventStore,
  PlannedAction,
  RecordId,
  ResourceClient,
  TransactionBuilder,
  TransactionResourceClient,
  TransactionResults,
} from "./store-types.ts";
import { newPrimaryKey, prepareCall, type PreparedCall } from "./prepare-call.ts";
import type { ExpectationRequest } from "./expected-position.ts";
import { newEventId } from "./ids.ts";
import { type CommittedSubscriber, type ConflictRetryOptions, runCalls, type RunnerConfig } from "./action-runner.ts";
import { readAllTenantsEvents, readAllTenantsFeed, type ReadEnv, readEvents, readFeed } from "./read-log.ts";
import { migrateBatch } from "../sql/event-log-ddl.ts";
import { resourceTableSql } from "./resource-table.ts";
import type { ReplayConfig } from "./replay-config.ts";
import { checkReplayRoutes } from "./replay-routes.ts";
import type { Projection } from "./projection.ts";
import { inlineStatements } from "./inline-projections.ts";
import type { SavepointErrorHandler } from "./auto-savepoints.ts";
import type { Keyring } from "./keyring.ts";
import { encrypts } from "./sensitivity.ts";

/** What {@link createEventStore} takes; `TActor` comes from the log's actor types. */
export interface EventStoreOptions<TActor extends string = string> {
  /** The executor: `neonHttp(neon(url))`, `pglite(db)` or `pgPool(pool)`. */
  readonly db: Executor;
  /** The event log definition. */
  readonly log: EventLog<TActor>;
  /** Every tracked resource. Resource names must be unique. */
  readonly resources: readonly AnyResource[];
  /** Retries of change-function updates on conflict. */
  readonly conflictRetry?: ConflictRetryOptions;
  /** How often a batch whose response was lost is resent (idempotent by event id). Default 2. */
  readonly lostResponseRetries?: number;
  /** The clock of `occurred_at` and timestamps. Default `() => new Date()`. */
  readonly clock?: () => Date;
  /**
   * Called with every failed `after` hook (also reported on the action's result), and with
   * every failure of `onCommitted` (`hook: "onCommitted"`).
   */
  readonly onHookError?: (error: HookFailedError) => void;
  /**
   * The log-level subscriber: called after every committed batch that wrote events (a call, a
   * transaction, an `after` hook's own calls), with its events in position order, before the
   * batch's `after` hooks run, and awaited before the call returns (keep it short, or hand the
   * events to a queue). Never called by replay, `adopt` or `materialize`, nor for a batch that
   * wrote no event (ignored actions), a failed batch, or a caller's repeat of a call
   * (`duplicate: true`). A throw never fails the committed batch: it becomes a
   * `HookFailedError` (`hook: "onCommitted"`) passed to `onHookError` and set as `hookError`
   * on each result whose own `after` hook did not fail. In-process and best effort (a crash
   * after the commit loses it): integrations that must see every event follow `readFeed`.
   */
  readonly onCommitted?: CommittedSubscriber;
  /**
   * Called with the error of each automatic savepoint (a resource's `savepointEvery`) that
   * failed. It runs after the action committed and never changes its result; a record destroyed
   * meanwhile is not reported (nothing to save), and errors this callback throws are ignored.
   * Without it, failures are ignored: the next write of the record tries again.
   */
  readonly onSavepointError?: SavepointErrorHandler;
  /** Replay configuration: how tracked state is cleared, and the page size. */
  readonly replay?: ReplayConfig;
  /**
   * Inline projections (`defineProjection({ inline: true, ... })`): their statements join each
   * action's own write batch, so their read models never lag. Not run by replay.
   */
  readonly projections?: readonly Projection<true>[];
  /**
   * Where the keys of values marked `encrypt` come from (a resource's `sensitive`, the log's
   * `sensitiveMetadata`): required when any is marked. Writes encrypt with
   * `keyring.currentKey(subject)`; replay, history and folds decrypt with `keyring.keyFor(kid)`,
   * and read a value whose key is gone as erased.
   */
  readonly keyring?: Keyring;
}

/** Refuse a store that would have to encrypt without a keyring. */
function checkKeyring(options: EventStoreOptions, resources: ReadonlyMap<string, AnyResource>): void {
  const keyring = options.keyring;
  if (keyring !== undefined) {
    if (typeof keyring?.currentKey !== "function" || typeof keyring?.keyFor !== "function") {
      throw new TypeError("keyring must have currentKey(subject) and keyFor(kid)");
    }
    return;
  }
  const needing = [...resources.values()].find((r) => encrypts(r.sensitive));
  if (needing !== undefined) {
    throw new TypeError(`${needing.name} encrypts sensitive values: the store needs a keyring`);
  }
  if (encrypts(options.log.sensitiveMetadata)) {
    throw new TypeError("The log encrypts sensitive metadata: the store needs a keyring");
  }
}

function checkInlineProjections(projections: readonly Projection<true>[] | undefined): void {
  if (projections === undefined) return;
  const names = new Set<string>();
  for (const projection of projections) {
    if (projection?.kind !== "projection" || projection.inline !== true) {
      throw new TypeError("The projections option takes inline projections: defineProjection({ inline: true, ... })");
    }
    if (names.has(projection.name)) throw new TypeError(`Two projections are named "${projection.name}"`);
    names.add(projection.name);
  }
}

function mergeContext(base: ActionContext, call: ActionContext | undefined): ActionContext {
  return { ...base, ...(call ?? {}) };
}

/** The keys of a call's context that are its precondition (`ChangeCallContext`), not context to share. */
const PRECONDITION_KEYS = ["expectedPosition", "record"] as const;

/** A call's own context split into the context proper and its precondition. */
function splitCallContext(given: unknown): { ctx: ActionContext | undefined; expectation: ExpectationRequest } {
  if (typeof given !== "object" || given === null) return { ctx: given as undefined, expectation: {} };
  const { expectedPosition, record, ...ctx } = given as ActionContext & ExpectationRequest;
  return { ctx, expectation: { expectedPosition, record } };
}

/**
 * Create the event store.
 *
 * @throws {TypeError} when two resources share a name or a table, or when values are marked
 *   `encrypt` and no `keyring` is given
 * @example
 * ```ts
 * import { neon } from "@neondatabase/serverless";
 * import * as v from "valibot";
 * import { createEventStore, defineEventLog, defineResource } from "edge-events";
 * import { neonHttp } from "edge-events/neon";
 *
 * const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });
 * const User = defineResource({
 *   name: "user", table: "users",
 *   attributes: v.object({ id: v.string(), email: v.string(), name: v.string() }),
 *   actions: ({ create }) => ({ register: create({ input: v.object({ email: v.string(), name: v.string() }) }) }),
 * });
 *
 * // A Worker; `store.migrate({ resourceTables: true })` runs once, at deploy time.
 * export default {
 *   async fetch(request: Request, env: { DATABASE_URL: string }): Promise<Response> {
 *     const store = createEventStore({ db: neonHttp(neon(env.DATABASE_URL)), log, resources: [User] });
 *     const { email, name } = await request.json();
 *     const { record } = await store.resource(User).register({ email, name }, { actor: { user: "u1" } });
 *     return Response.json(record);
 *   },
 * };
 * ```
 */
export function createEventStore<TActor extends string = string>(
  options: EventStoreOptions<TActor>,
): EventStore<TActor> {
  const resources = new Map<string, AnyResource>();
  for (const resource of options.resources) {
    if (resources.has(resource.name)) throw new TypeError(`Two resources are named "${resource.name}"`);
    resources.set(resource.name, resource);
  }
  checkReplayRoutes(options.log, resources);
  checkInlineProjections(options.projections);
  for (const key of ["onHookError", "onSavepointError", "onCommitted"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "function") {
      throw new TypeError(`The ${key} option takes a function`);
    }
  }
  checkKeyring(options as EventStoreOptions, resources);
  const clock = options.clock ?? (() => new Date());
  const retry = options.conflictRetry ?? {};
  const conflictRetry = {
    maxAttempts: retry.maxAttempts ?? 10,
    baseDelayMs: retry.baseDelayMs ?? 5,
    maxDelayMs: retry.maxDelayMs ?? 200,
  };
  const setup: StoreSetup = { options: options as EventStoreOptions, resources, clock, conflictRetry };
  return storeWithContext(setup, {}) as EventStore<TActor>;
}

/**
 * The narrow store an `after` hook receives: resource clients, transaction and withContext of
 * `store`, and nothing else (not even as properties a hook could reach at run time).
 */
function actionStoreOf(store: EventStore): ActionStore {
  return Object.freeze({
    resource: store.resource,
    transaction: store.transaction,
    withContext: (ctx: ActionContext): ActionStore => actionStoreOf(store.withContext(ctx)),
  });
}

/** What every store of one `createEventStore` call shares, whatever its context. */
interface StoreSetup {
  readonly options: EventStoreOptions;
  readonly resources: ReadonlyMap<string, AnyResource>;
  readonly clock: () => Date;
  readonly conflictRetry: Required<ConflictRetryOptions>;
}

function storeWithContext(setup: StoreSetup, baseCtx: ActionContext): EventStore {
  const { options, resources, clock, conflictRetry } = setup;
  const { db, log } = options;
  const inline = options.projections ?? [];
  const known = (resource: AnyResource): AnyResource => {
    if (resources.get(resource.name) !== resource) {
      throw new TypeError(`The resource "${resource.name}" is not part of this store`);
    }
    return resource;
  };
  const config: RunnerConfig = {
    log,
    db,
    resources,
    conflictRetry,
    lostResponseRetries: options.lostResponseRetries ?? 2,
    scopedStore: (ctx) => actionStoreOf(storeWithContext(setup, ctx)),
    onHookError: options.onHookError,
    onCommitted: options.onCommitted,
    onSavepointError: options.onSavepointError,
    clock,
    keyring: options.keyring,
    inlineStatements: inline.length === 0 ? undefined : (calls, writes) => inlineStatements(log, inline, calls, writes),
  };
  const replayConfig: ReplayConfig = options.replay ?? {};
  const readEnv: ReadEnv = { log, db, ctx: baseCtx, resources };
  const prepare = (
    resource: AnyResource,
    action: string,
    args: unknown[],
    shared: ActionContext = {},
  ): { recordId: string | undefined; call: Promise<PreparedCall> } => {
    const creating = (resource.actions as Record<string, { type: string }>)[action]?.type === "create";
    const [id, input, ctx] = creating ? [undefined, args[0], args[1]] : [args[0] as RecordId, args[1], args[2]];
    // Fix a create's primary key now, so a transaction plan can reference it before sending.
    const given = creating ? (input as Record<string, unknown> | undefined)?.[resource.primaryKey.attribute] : id;
    const hint = creating && given === undefined && resource.primaryKey.generate !== "none"
      ? newPrimaryKey(resource)
      : undefined;
    const own = splitCallContext(ctx);
    const call = prepareCall(log, {
      resource,
      actionName: action,
      id,
      input,
      ctx: mergeContext({ ...shared, ...baseCtx }, own.ctx),
      now: clock(),
      primaryKeyHint: hint,
      expectation: own.expectation,
    });
    // The id handed out before the call is planned: the raw input's key, the generated hint, or
    // (for a key the input does not hold) a fresh placeholder that the write resolves.
    return {
      recordId: given === undefined || given === null ? hint ?? (creating ? newEventId() : undefined) : String(given),
      call,
    };
  };
  const clientOf = <T>(
    resource: AnyResource,
    call: (action: string, args: unknown[]) => T,
  ): Record<string, (...args: unknown[]) => T> => {
    const client: Record<string, (...args: unknown[]) => T> = {};
    for (const action of Object.keys(resource.actions)) client[action] = (...args) => call(action, args);
    return Object.freeze(client);
  };
  // A uuid record id is read in the spelling it was written in (lower case).
  const store: EventStore = {
    log,
    db,
    resources: resources as ReadonlyMap<string, AnyResource>,
    context: Object.freeze({ ...baseCtx }),
    clock,
    replayConfig,
    keyring: options.keyring,
    async migrate(migrateOptions = {}) {
      // Resource tables go in the same batch, under the migration lock: in a batch of their
      // own, concurrent migrations raced on CREATE SCHEMA / CREATE TABLE IF NOT EXISTS (23505).
      const tables = migrateOptions.resourceTables === true
        ? [...resources.values()].flatMap((r) => resourceTableSql(r))
        : [];
      await db.batch([...migrateBatch(log), ...tables]);
    },
    resource<R extends AnyResource>(resource: R): ResourceClient<R> {
      const r = known(resource);
      return clientOf(
        r,
        async (action, args) => (await runCalls(config, [await prepare(r, action, args).call]))[0]!,
      ) as unknown as ResourceClient<R>;
    },
    async transaction<T extends readonly PlannedAction<unknown>[] | void>(
      plan: (tx: TransactionBuilder) => T | Promise<T>,
    ): Promise<TransactionResults<T>> {
      const pending: Promise<PreparedCall>[] = [];
      const handedOut: { call: Promise<PreparedCall>; recordId: string }[] = [];
      // Where each planned action's result will be, for a plan that returns planned actions.
      const slots = new WeakMap<PlannedAction<unknown>, number>();
      // The actions of one transaction are one request: they share a correlation id unless told otherwise.
      const shared: ActionContext = { correlationId: newEventId() };
      const builder: TransactionBuilder = {
        resource<R extends AnyResource>(resource: R): TransactionResourceClient<R> {
          const r = known(resource);
          return clientOf(r, (action, args): PlannedAction<unknown> => {
            const { recordId, call } = prepare(r, action, args, shared);
            call.catch(() => undefined); // surfaced by Promise.all below, not as an unhandled rejection
            pending.push(call);
            if (recordId !== undefined) handedOut.push({ call, recordId });
            const planned: PlannedAction<unknown> = Object.freeze({ recordId: recordId ?? "" });
            slots.set(planned, pending.length - 1);
            return planned;
          }) as unknown as TransactionResourceClient<R>;
        },
      };
      const returned = await plan(builder);
      // Checked before anything is sent: a wrong return value must not follow a commit.
      const picked = Array.isArray(returned)
        ? returned.map((planned: PlannedAction<unknown>, i: number) => {
          const slot = slots.get(planned);
          if (slot === undefined) {
            throw new TypeError(
              `The transaction plan returned something other than an action it planned (at index ${i})`,
            );
          }
          return slot;
        })
        : undefined;
      const calls = await Promise.all(pending);
      // The ids handed out for creates: when the key written differs (it came from map, accept,
      // defaults, change or a before hook), later calls naming the id address that key (runCalls).
      const placeholders = new Map<PreparedCall, string>();
      for (const { call, recordId } of handedOut) {
        const prepared = await call;
        if (prepared.action.type === "create") placeholders.set(prepared, recordId);
      }
      const results = calls.length === 0 ? [] : await runCalls(config, calls, placeholders);
      return (picked === undefined ? results : picked.map((slot) => results[slot])) as TransactionResults<T>;
    },
    withContext(ctx: ActionContext): EventStore {
      for (const key of PRECONDITION_KEYS) {
        if (typeof ctx === "object" && ctx !== null && key in ctx) {
          throw new TypeError(`${key} is a precondition of one call, not a context: pass it to the call`);
        }
      }
      return storeWithContext(setup, mergeContext(baseCtx, ctx));
    },
    readEvents: (readOptions) => readEvents(readEnv, readOptions),
    readAllTenantsEvents: (readOptions) => readAllTenantsEvents(readEnv, readOptions),
    readFeed: (feedOptions) => readFeed(readEnv, feedOptions),
    readAllTenantsFeed: (feedOptions) => readAllTenantsFeed(readEnv, feedOptions),
  };
  return Object.freeze(store);
}
