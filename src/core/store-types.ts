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
import type { ReplayOptions, ReplayResult, ReplayStepOptions } from "../replay/replay-types.ts";
import type { AdoptOptions, AdoptResult } from "../replay/adopt.ts";

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

// deno-lint-ignore no-explicit-any
type ActionsOf<R> = R extends Resource<any, infer T> ? T : never;

type InputArg<TIn> = TIn extends v.GenericSchema | v.GenericSchemaAsync ? v.InferInput<TIn> : never;

/** The typed function that calls one action; `TActor` names the log's actor types. */
export type ActionCall<TAttrs, A, TActor extends string = string> =
  // deno-lint-ignore no-explicit-any
  A extends ActionDefinition<any, infer TIn, "create">
    ? {} extends InputArg<TIn> ? (input?: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
    : (input: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
    // deno-lint-ignore no-explicit-any
    : A extends ActionDefinition<any, infer TIn, "update" | "destroy">
      ? {} extends InputArg<TIn> ? (id: RecordId, input?: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
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
  /** The record id: known before sending (generated primary keys are made at planning time). */
  readonly recordId: string;
  /** Phantom: the record type. */
  readonly "~attrs"?: TAttrs;
}

/** The typed function that plans one action inside a transaction. */
export type PlannedCall<TAttrs, A, TActor extends string = string> =
  ActionCall<TAttrs, A, TActor> extends (...args: infer P) => Promise<ActionResult<TAttrs>> ? (...args: P) => PlannedAction<TAttrs>
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

/** Options of a log read. */
export interface ReadEventsOptions {
  /** Only events after this position. Default: from the start. */
  readonly afterPosition?: bigint;
  /** At most this many events. Default 1000. */
  readonly limit?: number;
  /** Only events of this resource. */
  readonly resource?: string;
  /** Only events of this record (with `resource`). */
  readonly recordId?: string;
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
  /** Read events in position order. */
  readEvents(options?: ReadEventsOptions): Promise<StoredEvent[]>;
  /**
   * Rebuild tracked state from the log: clear, then apply events in position order in
   * pages (one write batch per page), with a fence that refuses every action meanwhile.
   * @throws {ReplayError} code `REPLAY_FAILED` when an event cannot be applied (`onError: "stop"`)
   */
  replay(options?: ReplayOptions): Promise<ReplayResult>;
  /** Do a bounded amount of replay work; returns `replayId` to pass as the next `cursor`. */
  replayStep(options: ReplayStepOptions): Promise<ReplayResult>;
  /** Abort the running replay: the fence is lifted and tables stay as they are. */
  abortReplay(): Promise<boolean>;
  /** Write one `adopt` event for every row of a resource that no event describes. */
  adopt(resource: AnyResource, options?: AdoptOptions): Promise<AdoptResult>;
}
