/**
 * Resource definitions: a table, its attributes (a valibot object), its primary key and
 * its actions. Validated once, at definition time.
 * @module
 */
import type * as v from "valibot";
import { tableName, validateIdentifier } from "../sql/identifier.ts";
import { actionBuilders, restoredAttribute, upsertIdentity } from "./action.ts";
import { checkOptionKeys } from "./option-keys.ts";
import type { AnySchema } from "./validation.ts";
import { checkSensitive, defaultSubject, type EncryptionSubjectInfo, type SensitiveOptions } from "./sensitivity.ts";
import type {
  ActionBuilders,
  ActionDefinition,
  AnyActionOf,
  AttributesSchema,
  PrimaryKeyGeneration,
  Resource,
} from "./model-types.ts";

export type { AnyActionOf, AnyResource, AttributesSchema, PrimaryKeyGeneration, Resource } from "./model-types.ts";

/** The primary key option: an attribute name, or the attribute and how it is generated. */
export type PrimaryKeyOption<TAttrs> =
  | (keyof TAttrs & string)
  | { readonly attribute: keyof TAttrs & string; readonly generate?: PrimaryKeyGeneration };

/** What {@link defineResource} takes. */
export interface ResourceOptions<
  TSchema extends AttributesSchema,
  TActions extends Record<string, AnyActionOf<v.InferOutput<TSchema>>>,
> {
  /** Stable resource name stored in events; independent of the TypeScript variable. */
  readonly name: string;
  /**
   * The table, optionally schema-qualified; `false` for an event-only resource, whose state
   * lives only in the log (read by folding its events; see the README, "Event-only resources").
   */
  readonly table: string | false;
  /** The attributes: a valibot object schema (defaults, checks and all). */
  readonly attributes: TSchema;
  /** The primary key attribute. Default `id`, generated as a ULID. */
  readonly primaryKey?: PrimaryKeyOption<v.InferOutput<TSchema>>;
  /** Column names that differ from the snake_case of the attribute name. */
  readonly columns?: { readonly [K in keyof v.InferOutput<TSchema>]?: string };
  /** Postgres column types for DDL where inference from valibot is ambiguous (`numeric(12,2)`). */
  readonly columnTypes?: { readonly [K in keyof v.InferOutput<TSchema>]?: string };
  /** The tenant attribute of a multi-tenant resource; set from `ctx.tenant`, never from input. */
  readonly tenant?: keyof v.InferOutput<TSchema> & string;
  /** Timestamp attributes set by every create (`createdAt`) and every write (`updatedAt`). */
  readonly timestamps?: {
    readonly createdAt?: keyof v.InferOutput<TSchema> & string;
    readonly updatedAt?: keyof v.InferOutput<TSchema> & string;
  };
  /** When given, only these actions write events; the others behave as `ignored`. */
  readonly only?: readonly (keyof TActions & string)[];
  /** The actions, built with the typed builders. */
  readonly actions: (builders: ActionBuilders<v.InferOutput<TSchema>>) => TActions;
  /**
   * Your version of this resource's fold, part of its savepoints' fingerprint (see
   * `savepoint`): bump it when a change the fingerprint cannot see alters what events fold
   * to (the body of an upcaster, a `map` function, an attribute or input schema's checks or
   * transforms), so that older savepoints are retired. Default `""`.
   */
  readonly foldVersion?: string;
  /**
   * Take a savepoint of a record automatically once `savepointEvery` of its events follow its
   * newest usable savepoint (a positive integer; default none). Each write of such a resource
   * counts the record's events since that savepoint in its own batch (still one request); the
   * write that reaches the count takes the savepoint after its result is ready (two more
   * requests). A failed savepoint never fails the action: see the store's `onSavepointError`.
   */
  readonly savepointEvery?: number;
  /**
   * Attributes and inputs never stored in clear in the log (`data`, `changes`): `"redact"`
   * stores the marker `{ "$redacted": true }` instead (the value is gone: a replay that needs
   * it stops with `VALUE_REDACTED`, so keep what you derive from it, such as a password hash,
   * in an attribute); `"encrypt"` stores an AES-GCM envelope under a key of the store's
   * `keyring` (readable by replay and history until the key is destroyed, then erased). Keys
   * are top-level input keys and attribute names; the primary key, the tenant and timestamp
   * attributes cannot be marked. Mark an input and the attribute it becomes under another
   * name (`map`) alike.
   */
  readonly sensitive?: SensitiveOptions;
  /**
   * The subject whose keys encrypt an event's values (and that crypto-shredding destroys).
   * Default: the record, `recordSubject` (`user/42`). Return a stable value per record
   * (a user id held in the input, the actor), never derived from a sensitive value.
   */
  readonly encryptionSubject?: (info: EncryptionSubjectInfo) => string;
}

// The closed option sets (checkOptionKeys); `satisfies` keeps them in step with the types.
type AnyResourceOptions = ResourceOptions<AttributesSchema, Record<string, AnyActionOf<unknown>>>;
const RESOURCE_KEYS = {
  name: true,
  table: true,
  attributes: true,
  primaryKey: true,
  columns: true,
  columnTypes: true,
  tenant: true,
  timestamps: true,
  only: true,
  actions: true,
  foldVersion: true,
  savepointEvery: true,
  sensitive: true,
  encryptionSubject: true,
} as const satisfies Record<keyof AnyResourceOptions, true>;
const PRIMARY_KEY_KEYS = { attribute: true, generate: true } as const;
const TIMESTAMP_KEYS = { createdAt: true, updatedAt: true } as const satisfies Record<
  keyof NonNullable<AnyResourceOptions["timestamps"]>,
  true
>;

/** Convert a camelCase attribute name to its default snake_case column. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z])([A-Z][a-z])/g, "$1_$2").toLowerCase();
}

function resolveColumns(
  attributeNames: readonly string[],
  given: Readonly<Record<string, string | undefined>>,
  resource: string,
): Record<string, string> {
  const columns: Record<string, string> = {};
  const seen = new Set<string>();
  for (const attribute of attributeNames) {
    const column = validateIdentifier(given[attribute] ?? snakeCase(attribute), `column of ${resource}.${attribute}`);
    if (seen.has(column)) throw new TypeError(`Two attributes of ${resource} map to the column "${column}"`);
    seen.add(column);
    columns[attribute] = column;
  }
  for (const attribute of Object.keys(given)) {
    if (!attributeNames.includes(attribute)) {
      throw new TypeError(`columns of ${resource} names an unknown attribute "${attribute}"`);
    }
  }
  return columns;
}

function requireAttribute(
  attributeNames: readonly string[],
  attribute: string | undefined,
  what: string,
): string | undefined {
  if (attribute !== undefined && !attributeNames.includes(attribute)) {
    throw new TypeError(`${what} names an unknown attribute "${attribute}"`);
  }
  return attribute;
}

function checkActions(
  resource: string,
  attributeNames: readonly string[],
  actions: Record<string, ActionDefinition<unknown, AnySchema>>,
): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const [name, action] of Object.entries(actions)) {
    if (typeof action !== "object" || action === null || !("type" in action)) {
      throw new TypeError(`${resource}.${name} is not an action: build it with create(), update() or destroy()`);
    }
    for (const attribute of action.options.accept ?? []) {
      requireAttribute(attributeNames, attribute as string, `accept of ${resource}.${name}`);
    }
    if (action.type === "destroy") {
      requireAttribute(attributeNames, action.options.soft as string | undefined, `soft of ${resource}.${name}`);
    }
    for (const alias of action.aliases) {
      if (alias in actions || alias in aliases) throw new TypeError(`Duplicate action name "${alias}" in ${resource}`);
      aliases[alias] = name;
    }
  }
  return aliases;
}

/**
 * Refuse upserts whose identity is not a set of plain attributes (the primary key is the
 * record's own identity, and an upsert on it would let a caller rewrite any record: replay
 * alone applies an upsert by key), on an event-only resource (no row, no unique index), or on a
 * resource with encrypted values (the record, whose key encrypts them, is known only in the
 * database).
 */
function checkUpserts(
  resource: string,
  actions: Record<string, ActionDefinition<unknown, AnySchema>>,
  facts: {
    readonly attributeNames: readonly string[];
    readonly primaryKey: string;
    readonly tenant: string | undefined;
    readonly eventOnly: boolean;
    readonly softDeleteAttributes: readonly string[];
    readonly encrypted: boolean;
  },
): void {
  for (const [name, action] of Object.entries(actions)) {
    const identity = upsertIdentity(action);
    if (identity === undefined) continue;
    const what = `upsert of ${resource}.${name}`;
    if (facts.eventOnly) throw new TypeError(`${what}: ${resource} has no table (table: false), so no unique index`);
    if (facts.encrypted) {
      throw new TypeError(
        `${what}: ${resource} encrypts values under its record's key, which an upsert learns only in the database`,
      );
    }
    for (const attribute of identity) {
      requireAttribute(facts.attributeNames, attribute, `identity of ${what}`);
      if (
        attribute === facts.primaryKey || attribute === facts.tenant || facts.softDeleteAttributes.includes(attribute)
      ) {
        throw new TypeError(
          `identity of ${what} names ${attribute}: an identity is made of plain attributes, not the primary key, the tenant or a soft-destroy attribute`,
        );
      }
    }
  }
}

/**
 * Refuse what an event-only resource cannot do: there is no row, so no column to name or type,
 * and a call that writes no event (an `ignored` action, one left out of `only`) would leave no
 * trace at all.
 */
function checkEventOnly(
  name: string,
  options: { readonly columns?: object; readonly columnTypes?: object; readonly only?: readonly string[] },
  actions: Record<string, AnyActionOf<unknown>>,
): void {
  for (const option of ["columns", "columnTypes"] as const) {
    if (options[option] !== undefined) throw new TypeError(`${name} has no table (table: false): remove ${option}`);
  }
  for (const [action, definition] of Object.entries(actions)) {
    if (definition.ignored || (options.only !== undefined && !options.only.includes(action))) {
      throw new TypeError(
        `${name}.${action} would write no event, and ${name} has no table (table: false): its state is its events`,
      );
    }
  }
}

/**
 * Define a resource: a table whose every tracked write appends one event.
 *
 * @throws {TypeError} at definition time: invalid identifiers, no primary key, unknown
 *   attributes in `accept`, `tenant`, `timestamps`, `soft` or `only`, duplicate action names,
 *   unknown option keys (here, in `primaryKey`, in `timestamps` and in each action's options);
 *   for an event-only resource (`table: false`), `columns`, `columnTypes`, `ignored` actions and
 *   actions left out of `only`; a `sensitive` key that names neither an attribute nor an input,
 *   or names the primary key, the tenant or a timestamp attribute
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineResource } from "edge-events";
 *
 * const User = defineResource({
 *   name: "user", table: "users",
 *   attributes: v.object({ id: v.string(), email: v.pipe(v.string(), v.email()), name: v.string() }),
 *   actions: ({ create, update, destroy }) => ({
 *     register: create({ input: v.object({ email: v.string(), name: v.string() }) }),
 *     rename: update({ input: v.object({ name: v.string() }) }),
 *     remove: destroy(),
 *   }),
 * });
 * ```
 */
export function defineResource<
  TSchema extends AttributesSchema,
  TActions extends Record<string, AnyActionOf<v.InferOutput<TSchema>>>,
>(options: ResourceOptions<TSchema, TActions>): Resource<v.InferOutput<TSchema>, TActions> {
  const called = typeof options?.name === "string" ? `defineResource() of "${options.name}"` : "defineResource()";
  checkOptionKeys(options, RESOURCE_KEYS, called);
  if (typeof options.primaryKey === "object") {
    checkOptionKeys(options.primaryKey, PRIMARY_KEY_KEYS, `primaryKey of ${called}`);
  }
  checkOptionKeys(options.timestamps, TIMESTAMP_KEYS, `timestamps of ${called}`);
  if (typeof options.name !== "string" || options.name.length === 0) throw new TypeError("A resource needs a name");
  const name = options.name;
  const table = options.table === false ? null : tableName(options.table, `table of ${name}`);
  if (options.attributes?.type !== "object") {
    throw new TypeError(`attributes of ${name} must be a valibot object schema`);
  }
  const attributeNames = Object.keys(options.attributes.entries);
  const pk = typeof options.primaryKey === "object" ? options.primaryKey : { attribute: options.primaryKey ?? "id" };
  if (!attributeNames.includes(pk.attribute)) {
    throw new TypeError(`${name} has no primary key: add an "id" attribute or name one with primaryKey`);
  }
  const generate = pk.generate ?? "ulid";
  if (!["ulid", "uuidv7", "none"].includes(generate)) {
    throw new TypeError(`primaryKey.generate of ${name} must be ulid, uuidv7 or none`);
  }
  const columns = resolveColumns(attributeNames, (options.columns ?? {}) as Record<string, string | undefined>, name);
  const columnTypes = { ...(options.columnTypes ?? {}) } as Record<string, string>;
  for (const attribute of Object.keys(columnTypes)) {
    requireAttribute(attributeNames, attribute, `columnTypes of ${name}`);
  }
  const actions = options.actions(actionBuilders as unknown as ActionBuilders<v.InferOutput<TSchema>>);
  const aliases = checkActions(name, attributeNames, actions as Record<string, ActionDefinition<unknown, AnySchema>>);
  const only = options.only === undefined ? undefined : new Set<string>(options.only);
  for (const action of only ?? []) {
    if (!(action in actions)) throw new TypeError(`only of ${name} names an unknown action "${action}"`);
  }
  if (table === null) checkEventOnly(name, options, actions as Record<string, AnyActionOf<unknown>>);
  const softDeleteAttributes = [
    ...new Set(
      Object.values(actions)
        .map((a) => (a.type === "destroy" ? (a.options.soft as string | undefined) : undefined))
        .filter((a): a is string => a !== undefined),
    ),
  ];
  for (const [actionName, action] of Object.entries(actions)) {
    const restored = restoredAttribute(action);
    if (restored !== undefined && !softDeleteAttributes.includes(restored)) {
      throw new TypeError(
        `${name}.${actionName} restores ${restored}, which no soft destroy of ${name} sets: restore() needs destroy({ soft: "${restored}" })`,
      );
    }
  }
  if (options.foldVersion !== undefined && typeof options.foldVersion !== "string") {
    throw new TypeError(`foldVersion of ${name} must be a string`);
  }
  const every = options.savepointEvery;
  if (every !== undefined && !(typeof every === "number" && Number.isSafeInteger(every) && every > 0)) {
    throw new TypeError(`savepointEvery of ${name} must be a positive integer`);
  }
  const sensitive = checkSensitive(
    name,
    options.sensitive,
    attributeNames,
    Object.values(actions as Record<string, ActionDefinition<unknown, AnySchema>>).map((a) => a.input),
    {
      primaryKey: pk.attribute,
      tenant: options.tenant,
      timestamps: [options.timestamps?.createdAt, options.timestamps?.updatedAt, ...softDeleteAttributes],
    },
  );
  const sensitiveAttribute = Object.keys(sensitive).find((key) => attributeNames.includes(key));
  if (every !== undefined && sensitiveAttribute !== undefined) {
    throw new TypeError(
      `${name}.${sensitiveAttribute} is sensitive, and savepoints would store it in clear: remove savepointEvery`,
    );
  }
  checkUpserts(name, actions as Record<string, ActionDefinition<unknown, AnySchema>>, {
    attributeNames,
    primaryKey: pk.attribute,
    tenant: options.tenant,
    eventOnly: table === null,
    softDeleteAttributes,
    encrypted: Object.values(sensitive).includes("encrypt"),
  });
  if (options.encryptionSubject !== undefined && typeof options.encryptionSubject !== "function") {
    throw new TypeError(`encryptionSubject of ${name} must be a function`);
  }
  return Object.freeze({
    name,
    table,
    attributes: options.attributes,
    attributeNames: Object.freeze(attributeNames),
    columns: Object.freeze(columns),
    columnTypes: Object.freeze(columnTypes),
    primaryKey: Object.freeze({ attribute: pk.attribute, generate }),
    tenant: requireAttribute(attributeNames, options.tenant, `tenant of ${name}`),
    timestamps: Object.freeze({
      createdAt: requireAttribute(attributeNames, options.timestamps?.createdAt, `timestamps.createdAt of ${name}`),
      updatedAt: requireAttribute(attributeNames, options.timestamps?.updatedAt, `timestamps.updatedAt of ${name}`),
    }),
    softDeleteAttributes: Object.freeze(softDeleteAttributes),
    actions: Object.freeze({ ...actions }),
    aliases: Object.freeze(aliases),
    isTracked: (action: string) => {
      const definition = (actions as Record<string, AnyActionOf<unknown> | undefined>)[action];
      return definition !== undefined && !definition.ignored && (only === undefined || only.has(action));
    },
    foldVersion: options.foldVersion ?? "",
    savepointEvery: every,
    sensitive,
    encryptionSubject: options.encryptionSubject ?? defaultSubject,
  });
}
