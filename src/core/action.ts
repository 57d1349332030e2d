/**
 * Action definitions: create, update and destroy, each with a valibot input schema.
 * Built through the typed builders a resource hands to its `actions` function, so that
 * attribute names and record types are checked against the resource.
 * @module
 */
import * as v from "valibot";
import type { AnySchema } from "./validation.ts";
import { checkOptionKeys, type OptionKeys } from "./option-keys.ts";
import type { ActionType } from "./stored-event.ts";
import type {
  ActionBuilders,
  ActionDefinition,
  CommonActionOptions,
  CreateOptions,
  DestroyOptions,
  PurgeOptions,
  RestoreOptions,
  UpdateOptions,
} from "./model-types.ts";

export type { ActionType } from "./stored-event.ts";
export type {
  ActionBuilders,
  ActionDefinition,
  AfterHookInfo,
  AtomicSet,
  BeforeHookInfo,
  CommonActionOptions,
  CreateOptions,
  DestroyOptions,
  PurgeOptions,
  RestoreOptions,
  UpdateOptions,
  UpsertOptions,
} from "./model-types.ts";

// The closed option sets of each builder (checkOptionKeys); `satisfies` keeps them in step with the types.
const COMMON_KEYS = {
  input: true,
  accept: true,
  map: true,
  version: true,
  ignored: true,
  aliases: true,
  upcast: true,
  replayInput: true,
  before: true,
  after: true,
} as const satisfies Record<keyof CommonActionOptions<unknown, AnySchema>, true>;
const ACTION_KEYS: Readonly<Record<ActionType, OptionKeys>> = {
  create: { ...COMMON_KEYS, defaults: true, change: true, upsert: true } satisfies Record<
    keyof CreateOptions<unknown, AnySchema>,
    true
  >,
  update: { ...COMMON_KEYS, change: true, set: true } satisfies Record<keyof UpdateOptions<unknown, AnySchema>, true>,
  destroy: { ...COMMON_KEYS, soft: true } satisfies Record<keyof DestroyOptions<unknown, AnySchema>, true>,
};
const RESTORE_KEYS = { ...COMMON_KEYS, soft: true } as const satisfies Record<
  keyof RestoreOptions<unknown, AnySchema>,
  true
>;
const PURGE_KEYS: OptionKeys = COMMON_KEYS satisfies Record<keyof PurgeOptions<unknown, AnySchema>, true>;

function defineAction<TType extends ActionType>(
  type: TType,
  options: Record<string, unknown>,
  keys: { readonly keys: OptionKeys; readonly builder: string } = { keys: ACTION_KEYS[type], builder: type },
): ActionDefinition<never, AnySchema, TType> {
  checkOptionKeys(options, keys.keys, `${keys.builder}()`);
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
  if (
    options["replayInput"] !== undefined && options["replayInput"] !== "data" && options["replayInput"] !== "changes"
  ) {
    throw new TypeError(`replayInput of ${keys.builder}() is "data" or "changes"`);
  }
  if (options["accept"] !== undefined && options["map"] !== undefined) {
    throw new TypeError("An action takes either accept or map, not both");
  }
  if (options["upsert"] !== undefined) checkUpsert(options["upsert"]);
  if (options["change"] !== undefined && options["set"] !== undefined) {
    throw new TypeError("An update takes either change or set, not both");
  }
  return Object.freeze({
    type,
    // No input schema: no input. A strict object, so a context passed in the input's place
    // (`close(id, { actor })`) is refused by name rather than dropped with the actor.
    input: (options["input"] as AnySchema | undefined) ?? v.strictObject({}),
    options: Object.freeze({ ...options }) as ActionDefinition<never, AnySchema, TType>["options"],
    version,
    ignored: options["ignored"] === true,
    aliases: Object.freeze([...((options["aliases"] as string[] | undefined) ?? [])]),
  });
}

function checkUpsert(upsert: unknown): void {
  checkOptionKeys(upsert, { identity: true }, "upsert of create()");
  const identity = (upsert as { identity?: unknown }).identity;
  if (
    !Array.isArray(identity) || identity.length === 0 || identity.some((a) => typeof a !== "string") ||
    new Set(identity).size !== identity.length
  ) {
    throw new TypeError("upsert of create() needs identity: one or more distinct attribute names");
  }
}

/** The identity a create upserts on; undefined for every other action. */
export function upsertIdentity(
  action: { readonly type: ActionType; readonly options: object },
): readonly string[] | undefined {
  return action.type === "create"
    ? (action.options as { readonly upsert?: { readonly identity: readonly string[] } }).upsert?.identity
    : undefined;
}

function defineRestore(options: Record<string, unknown>): ActionDefinition<never, AnySchema, "update"> {
  if (typeof options !== "object" || options === null || typeof options["soft"] !== "string") {
    throw new TypeError("restore() needs soft: the soft-destroy attribute it clears");
  }
  return defineAction("update", options, { keys: RESTORE_KEYS, builder: "restore" });
}

function definePurge(options: Record<string, unknown>): ActionDefinition<never, AnySchema, "destroy"> {
  checkOptionKeys(options, PURGE_KEYS, "purge()");
  return defineAction("destroy", { ...options, purge: true }, {
    keys: { ...PURGE_KEYS, purge: true },
    builder: "purge",
  });
}

/** What tells a restore and a purge from the other actions of their type. */
type ActionKind = { readonly type: ActionType; readonly options: { readonly soft?: unknown; readonly purge?: true } };

/** The soft-destroy attribute a restore clears; undefined for every other action. */
export function restoredAttribute(action: ActionKind): string | undefined {
  return action.type === "update" ? action.options.soft as string | undefined : undefined;
}

/** Whether an action is a purge (a destroy of the row whatever its soft-destroy attributes hold). */
export function isPurge(action: ActionKind): boolean {
  return action.type === "destroy" && action.options.purge === true;
}

/** The runtime builders (the same functions serve every resource; types come from {@link ActionBuilders}). */
export const actionBuilders: ActionBuilders<never> = Object.freeze({
  create: (options = {}) => defineAction("create", options as Record<string, unknown>) as never,
  update: (options = {}) => defineAction("update", options as Record<string, unknown>) as never,
  destroy: (options = {}) => defineAction("destroy", options as Record<string, unknown>) as never,
  restore: (options: unknown) => defineRestore(options as Record<string, unknown>) as never,
  purge: (options = {}) => definePurge(options as Record<string, unknown>) as never,
});
