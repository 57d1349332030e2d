/**
 * The public shape of the event store and of its typed resource clients.
 * @module
 */
import type { ActionContext } from "./context.ts";
import type { EventLog } from "./event-log.ts";
import type { Executor } from "./executor.ts";
import type { StoredEvent } from "./stored-event.ts";
import type { ReplayConfig } from "./replay-config.ts";
import type { Keyring } from "./keyring.ts";
import type {
  AnyResource,
  PlannedAction,
  ResourceClient,
  TransactionBuilder,
  TransactionResults,
} from "./model-types.ts";

export type {
  ActionCall,
  ActionResult,
  ActionsOf,
  ActionStore,
  InputArg,
  PlannedAction,
  PlannedCall,
  RecordId,
  RecordOf,
  ResourceClient,
  TransactionBuilder,
  TransactionResourceClient,
  TransactionResults,
} from "./model-types.ts";

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
   * The `keyring` option: replay, history and folds decrypt the log's encrypted values with it
   * (undefined when none was given).
   */
  readonly keyring: Keyring | undefined;
  /**
   * Create the event log (idempotent, safe to run concurrently). With
   * `{ resourceTables: true }`, also create each resource's table from its definition (event-only resources have none).
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
