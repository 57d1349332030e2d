/**
 * The types of a model, in one module because they refer to each other: a resource holds
 * its actions, an action's `after` hook receives a store of resources, and that store's
 * clients are typed by the resources and their actions. This module imports none of the
 * modules that re-export its types (`action.ts`, `resource.ts`, `store-types.ts`), so the
 * recursion is no import cycle.
 * @module
 */
import type * as v from "valibot";
import type { SqlFragment } from "../sql/fragment.ts";
import type { TableName } from "../sql/identifier.ts";
import type { ActionContext, ChangeCallContext } from "./context.ts";
import type { HookFailedError } from "./errors.ts";
import type { JsonObject } from "./json.ts";
import type { ActionType, StoredEvent } from "./stored-event.ts";
import type { AnySchema } from "./validation.ts";
import type { EncryptionSubjectInfo, SensitiveOptions } from "./sensitivity.ts";

/** What an `after` hook receives besides the record. */
export interface AfterHookInfo<TInput> {
  /** The event the action wrote (null for ignored actions). */
  readonly event: StoredEvent | null;
  /** The validated input. */
  readonly input: TInput;
  /** The call's context. */
  readonly ctx: ActionContext;
  /**
   * The store's actions, scoped to this event: actions called through it share the
   * correlation id and name this event as their cause. Only resource clients, `transaction`
   * and `withContext`: a hook cannot migrate, read the log or replay.
   */
  readonly store: ActionStore;
}

/** What a `before` hook receives besides the attributes about to be written. */
export interface BeforeHookInfo<TAttrs, TInput> {
  /** The validated input. */
  readonly input: TInput;
  /** The call's context. */
  readonly ctx: ActionContext;
  /** The current record (change-function updates only). */
  readonly record: TAttrs | undefined;
}

/** Options shared by every action type. */
export interface CommonActionOptions<TAttrs, TIn extends AnySchema> {
  /** The input schema. Default: an empty object. */
  readonly input?: TIn;
  /** Input keys copied as is to the attributes of the same name. Default: every input key that names an attribute. */
  readonly accept?: readonly (keyof TAttrs & string)[];
  /** Map the input to attributes instead of `accept` (for inputs whose names differ from attributes). */
  readonly map?: (input: v.InferOutput<TIn>) => Partial<TAttrs>;
  /** The action's current version, stored on every event it writes. Default 1. */
  readonly version?: number;
  /** Write no events: the action exists as a replay target for old event versions. */
  readonly ignored?: boolean;
  /** Old names of this action, so that events stored under them find it during replay. */
  readonly aliases?: readonly string[];
  /**
   * Upcasters of old event data, keyed by the version they upgrade from: `upcast[1]` turns
   * version-1 data into version-2 data. Replay chains them up to the current version
   * before validating the data against today's input schema.
   */
  readonly upcast?: Readonly<Record<number, (data: JsonObject) => JsonObject>>;
  /**
   * What replay (and the fold of `stateAt` and history) validates against this action's
   * input: `"data"` (default) the event's data as upcast; `"changes"` that data plus, for each
   * input key the data lacks, the value the event recorded in `changes` under that name
   * (AshEvents' `as_arguments`): for an input the original call did not pass because it was
   * computed then (a derived slug), and that today's input requires.
   */
  readonly replayInput?: "data" | "changes";
  /**
   * Adjust the attributes before the write. Never runs during replay.
   *
   * Runs once per attempt: when a change-function update finds its record changed and is
   * retried (`conflictRetry`), the write is built again and `before` runs again, with the
   * record as read for that attempt (a resend after a lost response sends the batch already
   * built and does not run it). Keep it free of side effects; put those in `after`.
   */
  readonly before?: (
    attributes: Partial<TAttrs>,
    info: BeforeHookInfo<TAttrs, v.InferOutput<TIn>>,
  ) => Partial<TAttrs> | void | Promise<Partial<TAttrs> | void>;
  /** Runs after commit. Never runs during replay; a failure never un-commits the action. */
  readonly after?: (record: TAttrs, info: AfterHookInfo<v.InferOutput<TIn>>) => void | Promise<void>;
}

/** Options of a create action. */
export interface CreateOptions<TAttrs, TIn extends AnySchema> extends CommonActionOptions<TAttrs, TIn> {
  /** Attribute defaults (a value or a function of the input); recorded in `changes`. */
  readonly defaults?: Partial<TAttrs> | ((input: v.InferOutput<TIn>) => Partial<TAttrs>);
  /** Compute further attributes from the input; recorded in `changes`. */
  readonly change?: (input: v.InferOutput<TIn>) => Partial<TAttrs>;
  /**
   * Upsert on an identity: the attributes of a unique index (`resourceTableSql` and
   * `migrate({ resourceTables: true })` create it; with the tenant first for a multi-tenant
   * resource, and only over live rows when the resource soft-destroys). A call whose identity is
   * taken updates that record instead of inserting: every attribute it would insert but the
   * primary key, `createdAt` and the tenant. Either way it writes one create event whose record
   * id is the row's key.
   */
  readonly upsert?: UpsertOptions<TAttrs>;
}

/** How a create upserts (see {@link CreateOptions.upsert}). */
export interface UpsertOptions<TAttrs> {
  /** The attributes whose values identify the record (one or more; not the primary key). */
  readonly identity: readonly [keyof TAttrs & string, ...(keyof TAttrs & string)[]];
}

/**
 * Attribute values or atomic SQL expressions for an update. A fragment may reference only
 * attributes of the resource (`ref("balnce")` does not compile).
 */
export type AtomicSet<TAttrs> = { readonly [K in keyof TAttrs]?: TAttrs[K] | SqlFragment<keyof TAttrs & string> };

/** Options of an update action. */
export interface UpdateOptions<TAttrs, TIn extends AnySchema> extends CommonActionOptions<TAttrs, TIn> {
  /**
   * Compute attributes from the current record and the input (read, then a write
   * conditional on the record being unchanged; retried on conflict). Recorded in `changes`.
   */
  readonly change?: (record: TAttrs, input: v.InferOutput<TIn>) => Partial<TAttrs>;
  /**
   * Atomic SQL expressions computed by the database in the write itself, such as
   * `` { balance: sql`${ref("balance")} + ${input.amount}` } ``. Results go to `changes`.
   */
  readonly set?: (input: v.InferOutput<TIn>) => AtomicSet<TAttrs>;
}

/** Options of a destroy action. */
export interface DestroyOptions<TAttrs, TIn extends AnySchema> extends CommonActionOptions<TAttrs, TIn> {
  /** Soft destroy: set this timestamp attribute instead of deleting the row. */
  readonly soft?: keyof TAttrs & string;
}

/** Options of a restore: an update that clears a soft destroy (`restore({ soft: "deletedAt" })`). */
export interface RestoreOptions<TAttrs, TIn extends AnySchema> extends CommonActionOptions<TAttrs, TIn> {
  /**
   * The soft-destroy attribute this restore clears (set to null); a soft destroy of the
   * resource must set it. Only a record soft-destroyed through it can be restored.
   */
  readonly soft: keyof TAttrs & string;
}

/** Options of a purge: a destroy that deletes the row whether the record is live or soft-destroyed. */
export type PurgeOptions<TAttrs, TIn extends AnySchema> = CommonActionOptions<TAttrs, TIn>;

/** A defined action (the runtime form; type parameters keep the record and input types). */
export interface ActionDefinition<
  TAttrs = Record<string, unknown>,
  TIn extends AnySchema = AnySchema,
  TType extends ActionType = ActionType,
> {
  /** The action type. */
  readonly type: TType;
  /** The input schema. */
  readonly input: TIn;
  /** The options as given. */
  readonly options:
    & CommonActionOptions<TAttrs, TIn>
    & Partial<Pick<CreateOptions<TAttrs, TIn>, "defaults" | "upsert">>
    & { readonly change?: ((...args: never[]) => unknown) | undefined }
    & Partial<Pick<UpdateOptions<TAttrs, TIn>, "set">>
    & Partial<Pick<DestroyOptions<TAttrs, TIn>, "soft">>
    & { readonly purge?: true };
  /** The action's version. */
  readonly version: number;
  /** Whether the action writes no event. */
  readonly ignored: boolean;
  /** Old names of the action. */
  readonly aliases: readonly string[];
}

/** The typed builders a resource passes to its `actions` function. */
export interface ActionBuilders<TAttrs> {
  /** Define a create action. */
  create<TIn extends AnySchema = v.ObjectSchema<Record<never, never>, undefined>>(
    options?: CreateOptions<TAttrs, TIn>,
  ): ActionDefinition<TAttrs, TIn, "create">;
  /** Define an update action. */
  update<TIn extends AnySchema = v.ObjectSchema<Record<never, never>, undefined>>(
    options?: UpdateOptions<TAttrs, TIn>,
  ): ActionDefinition<TAttrs, TIn, "update">;
  /** Define a destroy action (hard, or soft with `soft: "deletedAt"`). */
  destroy<TIn extends AnySchema = v.ObjectSchema<Record<never, never>, undefined>>(
    options?: DestroyOptions<TAttrs, TIn>,
  ): ActionDefinition<TAttrs, TIn, "destroy">;
  /**
   * Define a restore: an update (its events say `update`) that sets the soft-destroy attribute
   * `soft` back to null, only on a record soft-destroyed through it (else `RECORD_NOT_DESTROYED`).
   */
  restore<TIn extends AnySchema = v.ObjectSchema<Record<never, never>, undefined>>(
    options: RestoreOptions<TAttrs, TIn>,
  ): ActionDefinition<TAttrs, TIn, "update">;
  /**
   * Define a purge: a destroy (its events say `destroy`) that deletes the row whether the
   * record is live or soft-destroyed; replay deletes it again.
   */
  purge<TIn extends AnySchema = v.ObjectSchema<Record<never, never>, undefined>>(
    options?: PurgeOptions<TAttrs, TIn>,
  ): ActionDefinition<TAttrs, TIn, "destroy">;
}

/** A valibot object schema describing a resource's attributes. */
export type AttributesSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

/** How primary keys of new records are generated. */
export type PrimaryKeyGeneration = "ulid" | "uuidv7" | "none";

/** Any action definition of a resource with attributes `TAttrs`. */
// deno-lint-ignore no-explicit-any
export type AnyActionOf<TAttrs> = ActionDefinition<TAttrs, any, any>;

/** A defined resource. */
export interface Resource<
  TAttrs = Record<string, unknown>,
  TActions extends Record<string, AnyActionOf<TAttrs>> = Record<string, AnyActionOf<TAttrs>>,
> {
  /** The stable resource name. */
  readonly name: string;
  /** The table; null for an event-only resource (`table: false`), whose state is its events' fold. */
  readonly table: TableName | null;
  /** The attributes schema. */
  readonly attributes: AttributesSchema;
  /** Attribute names, in schema order. */
  readonly attributeNames: readonly string[];
  /** Column name of each attribute. */
  readonly columns: Readonly<Record<string, string>>;
  /** Column type overrides for DDL. */
  readonly columnTypes: Readonly<Record<string, string>>;
  /** The primary key attribute and its generation. */
  readonly primaryKey: { readonly attribute: string; readonly generate: PrimaryKeyGeneration };
  /** The tenant attribute, when multi-tenant. */
  readonly tenant: string | undefined;
  /** Timestamp attributes. */
  readonly timestamps: { readonly createdAt: string | undefined; readonly updatedAt: string | undefined };
  /** Attributes that soft destroys set; a record with any of them set counts as destroyed. */
  readonly softDeleteAttributes: readonly string[];
  /** The actions by name. */
  readonly actions: TActions;
  /** Old action names → current action names. */
  readonly aliases: Readonly<Record<string, string>>;
  /** Whether an action writes events (not ignored, and within `only`). */
  isTracked(action: string): boolean;
  /** Your version of the fold, part of the savepoints' fingerprint; `""` by default. */
  readonly foldVersion: string;
  /** Events after a record's newest savepoint that make a write take a new one (undefined: never). */
  readonly savepointEvery: number | undefined;
  /** Sensitive attributes and inputs, and how each is stored (`redact`, `encrypt`); `{}` when none. */
  readonly sensitive: SensitiveOptions;
  /** The subject whose keys encrypt the resource's events (see `ResourceOptions.encryptionSubject`). */
  readonly encryptionSubject: (info: EncryptionSubjectInfo) => string;
  /** Phantom: the record type. */
  readonly "~attrs"?: TAttrs;
}

/** Any resource, whatever its record and action types. */
// deno-lint-ignore no-explicit-any
export type AnyResource = Resource<any, any>;

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

/**
 * The typed function that calls one action; `TActor` names the log's actor types. Updates and
 * destroys take a {@link ChangeCallContext}: an `expectedPosition` precondition, and for
 * change-function updates the record held at it.
 */
export type ActionCall<TAttrs, A, TActor extends string = string> =
  // deno-lint-ignore no-explicit-any
  A extends ActionDefinition<any, infer TIn, "create">
    ? Record<never, never> extends InputArg<TIn>
      ? (input?: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
    : (input: InputArg<TIn>, ctx?: ActionContext<TActor>) => Promise<ActionResult<TAttrs>>
    // deno-lint-ignore no-explicit-any
    : A extends ActionDefinition<any, infer TIn, "update" | "destroy"> ? Record<never, never> extends InputArg<TIn> ? (
          id: RecordId,
          input?: InputArg<TIn>,
          ctx?: ChangeCallContext<TAttrs, TActor>,
        ) => Promise<ActionResult<TAttrs>>
      : (id: RecordId, input: InputArg<TIn>, ctx?: ChangeCallContext<TAttrs, TActor>) => Promise<ActionResult<TAttrs>>
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
