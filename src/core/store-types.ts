/**
 * The public shape of the event store and of its typed resource clients.
 * @module
 */
import type * as v from "valibot";
import type { ActionDefinition } from "./action.ts";
import type { ActionContext } from "./context.ts";
import type { HookFailedError } from "./errors.ts";
import type { EventLog } from "./event-log.ts";
import type { Executor } from "./executor.ts";
import type { AnyResource, Resource } from "./resource.ts";
import type { StoredEvent } from "./stored-event.ts";
import type { ReplayConfig } from "./replay-config.ts";

/** A record id as callers pass it: the primary key value. */
export type RecordId = string | number | bigint;

/** The outcome of an action call. */
export interface ActionResult<TAttrs> {
  /**
   * The record as written (for a hard destroy: as it was when deleted). For a duplicate
   * call, the record as it is now, or, when it no longer exists, as the event described it.
   */
  readonly record: TAttrs;
  /** The event written (or, for a duplicate, the original event); null for ignored actions. */
  readonly event: StoredEvent | null;
  /** True when the event id had been used before: nothing was written, the original outcome is returned. */
  readonly duplicate: boolean;
  /** Set when an `after` hook failed. The action stays committed. */
  readonly hookError: HookFailedError | undefined;
}

/** The record type of a resource. */
// deno-lint-ignore no-explicit-any
export type RecordOf<R> = R extends Resource<infer A, any> ? A : never;

/** The action definitions of a resource, by action name. */
// deno-lint-ignore no-explicit-any
export type ActionsOf<R> = R extends Resource<any, infer T> ? T : never;

/** What an action call takes as `input`: the input type of its valibot schema `TIn`. */
export type InputArg<TIn> = TIn extends v.GenericSchema | v.GenericSchemaAsync ? v.InferInput<TIn> : never;

/** The typed function that calls one action; `TActor` names the log's actor types. */
export type ActionCall<TAttrs, A, TActor extends string = string> =
  // deno-lint-ignore no-explicit-any
  A extends ActionDefinition<any, infer TIn, "create">
    ? Record<never, never> extends InputArg<TIn>
      ? (input?: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
    : (input: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
    // deno-lint-ignore no-explicit-any
    : A extends ActionDefinition<any, infer TIn, "update" | "destroy">
      ? Record<never, never> extends InputArg<TIn>
        ? (id: RecordId, input?: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
      : (id: RecordId, input: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
    : never;

/** One function per action of the resource, typed from its definition. */
export type ResourceClient<R, TActor extends string = string> = {
  readonly [K in keyof ActionsOf<R>]: ActionCall<RecordOf<R>, ActionsOf<R>[K], TActor>;
};

/**
 * An action planned inside {@link EventStore.transaction}; it runs when the transaction is
 * sent. Return planned actions from the plan to get their results typed, in that order.
 */
export interface PlannedAction<TAttrs> {
  /**
   * The record id, to name the record in later calls of the same transaction. Generated
   * primary keys and keys given in the raw input are made or taken at planning time, and
   * this is the key. When the key comes from elsewhere (`map`, `accept` or the input schema's
   * output, `defaults`, `change`, a `before` hook), the key is known only once the action is
   * planned, and this is a reference that later calls of the transaction resolve to it; the
   * action's result carries the key.
   */
  readonly recordId: string;
  /** Phantom: the record type. */
  readonly "~attrs"?: TAttrs;
}

/** The typed function that plans one action inside a transaction. */
export type PlannedCall<TAttrs, A, TActor extends string = string> = ActionCall<TAttrs, A, TActor> extends
  (...args: infer P) => Promise<ActionResult<TAttrs>> ? (...args: P) => PlannedAction<TAttrs>
  : never;

/** One planning function per action of the resource. */
export type TransactionResourceClient<R, TActor extends string = string> = {
  readonly [K in keyof ActionsOf<R>]: PlannedCall<RecordOf<R>, ActionsOf<R>[K], TActor>;
};

/** What the callback of {@link EventStore.transaction} receives. */
export interface TransactionBuilder<TActor extends string = string> {
  /** Plan actions of a resource; they are sent together when the callback returns. */
  resource<R extends AnyResource>(resource: R): TransactionResourceClient<R, TActor>;
}

/**
 * The results of a transaction: typed per planned action, in order, when the plan returns
 * its planned actions (a tuple); otherwise every action's result in planning order.
 */
export type TransactionResults<T> = T extends readonly PlannedAction<unknown>[]
  ? { -readonly [K in keyof T]: ActionResult<T[K] extends PlannedAction<infer A> ? A : never> }
  : ActionResult<unknown>[];

/**
 * Options of {@link EventStore.readEvents}: one record's history, or a snapshot of the log.
 * To follow the log page by page, use {@link EventStore.readFeed}.
 */
export interface ReadEventsOptions {
  /**
   * Only events after this position: paging one record's history, so only with `recordId`
   * (otherwise `VALIDATION_FAILED` naming `afterPosition`). Default: from the start.
   */
  readonly afterPosition?: bigint;
  /** At most this many events. Default 1000. */
  readonly limit?: number;
  /** Only events of this resource. */
  readonly resource?: string;
  /** Only events of this record (with `resource`). */
  readonly recordId?: string;
}

/** Options of {@link EventStore.readFeed}. */
export interface ReadFeedOptions {
  /**
   * The `cursor` of the previous page; omitted: from the start of the log. A cursor only
   * continues the feed that returned it (same event table, tenant and `resource` filter):
   * anything else is `VALIDATION_FAILED` naming `after`, and nothing is sent.
   */
  readonly after?: string;
  /** At most this many events, 1 to 10000. Default 1000. */
  readonly limit?: number;
  /** Only events of this resource. */
  readonly resource?: string;
}

/** One page of {@link EventStore.readFeed}. */
export interface FeedPage {
  /** The next events of the feed, oldest transaction first (see {@link EventStore.readFeed}). */
  readonly events: readonly StoredEvent[];
  /**
   * Where this page ended: pass it as `after` to read on. Opaque; store it as it is (a
   * string) with the consumer's progress. An empty page returns the cursor it was given.
   */
  readonly cursor: string;
}

/**
 * What an `after` hook receives as `store`: the actions of the store, scoped to the event
 * (calls share its correlation id and name it as their cause), and nothing else: no log,
 * executor, `migrate`, reads or replay. A hook acts; it does not administer the store.
 */
export interface ActionStore<TActor extends string = string> {
  /** The typed action functions of a resource (see {@link EventStore.resource}). */
  resource<R extends AnyResource>(resource: R): ResourceClient<R, TActor>;
  /** Commit several actions atomically (see {@link EventStore.transaction}). */
  transaction<const T extends readonly PlannedAction<unknown>[] | void>(
    plan: (tx: TransactionBuilder<TActor>) => T | Promise<T>,
  ): Promise<TransactionResults<T>>;
  /** An action store whose calls default to this context (explicit call context wins). */
  withContext(ctx: ActionContext<TActor>): ActionStore<TActor>;
}

/**
 * The event store: the one object an application talks to. `TActor` is the union of the
 * log's actor type names (see {@link ActionContext}).
 */
export interface EventStore<TActor extends string = string> {
  /** The event log definition. */
  readonly log: EventLog;
  /** The executor the store writes through. */
  readonly db: Executor;
  /** The resources the store tracks, by name. */
  readonly resources: ReadonlyMap<string, AnyResource>;
  /**
   * The context this store's calls default to (from `withContext`). Its tenant confines every
   * read of this store and of the functions over it (`history(store, ...)`, `audit(store, ...)`).
   */
  readonly context: Readonly<ActionContext<TActor>>;
  /** The store's clock (`clock` option): the stamp of writes, and of `adopt` events. */
  readonly clock: () => Date;
  /**
   * The `replay` option, read by `replay(store)`, `replayStep(store, ...)` and
   * `abortReplay(store)`, which are functions (not methods) so that a bundle that only
   * writes does not carry the replay engine.
   */
  readonly replayConfig: ReplayConfig;
  /**
   * Create the event log (idempotent, safe to run concurrently). With
   * `{ resourceTables: true }`, also create each resource's table from its definition.
   */
  migrate(options?: { readonly resourceTables?: boolean }): Promise<void>;
  /** The typed action functions of a resource. */
  resource<R extends AnyResource>(resource: R): ResourceClient<R, TActor>;
  /**
   * Commit several actions atomically, in one round trip (plus one read round trip for
   * change-function updates). When the plan returns planned actions (`return [a, b]`), the
   * result is their results in that order, typed per action; otherwise every action's result
   * in planning order.
   */
  transaction<const T extends readonly PlannedAction<unknown>[] | void>(
    plan: (tx: TransactionBuilder<TActor>) => T | Promise<T>,
  ): Promise<TransactionResults<T>>;
  /** A store whose calls default to this context (explicit call context wins). */
  withContext(ctx: ActionContext<TActor>): EventStore<TActor>;
  /**
   * One record's history (`resource` and `recordId`, paged with `afterPosition`), or a
   * snapshot of the first events of the log, in position order. Only the store's tenant: on
   * a store from `withContext({ tenant })` that tenant's events, on a store without a tenant
   * only events without one (resources that are not multi-tenant). Not for following the
   * log: under tenant or custom lock scopes positions commit out of order; use `readFeed`.
   * @throws {ValidationError} `afterPosition` without `recordId`; `limit` not an integer from 1 to 10000
   */
  readEvents(options?: ReadEventsOptions): Promise<StoredEvent[]>;
  /**
   * `readEvents` over every tenant. Only on a store without a tenant (a store from
   * `withContext({ tenant })` rejects with a `TypeError`): reading across tenants is
   * always this explicit call.
   */
  readAllTenantsEvents(options?: ReadEventsOptions): Promise<StoredEvent[]>;
  /**
   * Follow the log: the next page of events after `after` (a cursor from the previous
   * page) and the cursor to continue from. A consumer that stores the cursor and reads on
   * sees every committed event of its tenant exactly once, under every lock scope. The order
   * is by writing transaction, then position: the position order under the global lock;
   * under tenant or custom scopes, events whose transactions commit out of order come in
   * transaction order, and only once every older transaction in the cluster has ended (the
   * visibility horizon), so new events appear with some lag while other transactions are open.
   * @throws {ValidationError} (path `after`) a cursor this feed did not return; (path `limit`) not an integer from 1 to 10000
   */
  readFeed(options?: ReadFeedOptions): Promise<FeedPage>;
  /**
   * `readFeed` over every tenant. Only on a store without a tenant (a store from
   * `withContext({ tenant })` rejects with a `TypeError`). Its cursors are its own.
   */
  readAllTenantsFeed(options?: ReadFeedOptions): Promise<FeedPage>;
}
