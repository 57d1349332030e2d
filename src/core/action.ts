/**
 * Action definitions: create, update and destroy, each with a valibot input schema.
 * Built through the typed builders a resource hands to its `actions` function, so that
 * attribute names and record types are checked against the resource.
 * @module
 */
import * as v from "valibot";
import type { AnySchema } from "./validation.ts";
import type { SqlFragment } from "../sql/fragment.ts";
import type { ActionContext } from "./context.ts";
import type { StoredEvent } from "./stored-event.ts";
import type { JsonObject } from "./json.ts";
import type { ActionStore } from "./store-types.ts";
import { checkOptionKeys, type OptionKeys } from "./option-keys.ts";

/** The three kinds of action; stored as the event's `action_type`. */
export type ActionType = "create" | "update" | "destroy";

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
    & Partial<Pick<CreateOptions<TAttrs, TIn>, "defaults">>
    & { readonly change?: ((...args: never[]) => unknown) | undefined }
    & Partial<Pick<UpdateOptions<TAttrs, TIn>, "set">>
    & Partial<Pick<DestroyOptions<TAttrs, TIn>, "soft">>;
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
}

// The closed option sets of each builder (checkOptionKeys); `satisfies` keeps them in step with the types.
const COMMON_KEYS = {
  input: true,
  accept: true,
  map: true,
  version: true,
  ignored: true,
  aliases: true,
  upcast: true,
  before: true,
  after: true,
} as const satisfies Record<keyof CommonActionOptions<unknown, AnySchema>, true>;
const ACTION_KEYS: Readonly<Record<ActionType, OptionKeys>> = {
  create: { ...COMMON_KEYS, defaults: true, change: true } satisfies Record<
    keyof CreateOptions<unknown, AnySchema>,
    true
  >,
  update: { ...COMMON_KEYS, change: true, set: true } satisfies Record<keyof UpdateOptions<unknown, AnySchema>, true>,
  destroy: { ...COMMON_KEYS, soft: true } satisfies Record<keyof DestroyOptions<unknown, AnySchema>, true>,
};

function defineAction<TType extends ActionType>(
  type: TType,
  options: Record<string, unknown>,
): ActionDefinition<never, AnySchema, TType> {
  checkOptionKeys(options, ACTION_KEYS[type], `${type}()`);
  const version = options["version"] ?? 1;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw new TypeError("An action version must be a positive integer");
  }
  for (const [from, fn] of Object.entries((options["upcast"] as Record<string, unknown> | undefined) ?? {})) {
    const n = Number(from);
    if (!Number.isInteger(n) || n < 1 || n >= version || typeof fn !== "function") {
      throw new TypeError("upcast keys must be versions below the action's version, each with a function");
    }
  }
  if (options["accept"] !== undefined && options["map"] !== undefined) {
    throw new TypeError("An action takes either accept or map, not both");
  }
  if (options["change"] !== undefined && options["set"] !== undefined) {
    throw new TypeError("An update takes either change or set, not both");
  }
  return Object.freeze({
    type,
    input: (options["input"] as AnySchema | undefined) ?? v.object({}),
    options: Object.freeze({ ...options }) as ActionDefinition<never, AnySchema, TType>["options"],
    version,
    ignored: options["ignored"] === true,
    aliases: Object.freeze([...((options["aliases"] as string[] | undefined) ?? [])]),
  });
}

/** The runtime builders (the same functions serve every resource; types come from {@link ActionBuilders}). */
export const actionBuilders: ActionBuilders<never> = Object.freeze({
  create: (options = {}) => defineAction("create", options as Record<string, unknown>) as never,
  update: (options = {}) => defineAction("update", options as Record<string, unknown>) as never,
  destroy: (options = {}) => defineAction("destroy", options as Record<string, unknown>) as never,
});
