/**
 * The definition of the central event log: its table, actor columns, lock scope and
 * replay routing. Validated once, at definition time.
 * @module
 */
import { type TableName, tableName, validateIdentifier } from "../sql/identifier.ts";
import { actorIndexCollides, checkDerivedNames as checkNames } from "../sql/event-log-names.ts";
import { checkOptionKeys } from "./option-keys.ts";
import { checkSensitiveMetadata, type SensitiveOptions } from "./sensitivity.ts";

/** Postgres column types an actor column may have. */
export type ActorColumnType = "uuid" | "text" | "bigint" | "integer";

/** One actor type: who may be recorded as having performed an action. */
export interface ActorDefinition {
  /** The event-log column that stores this actor's id (snake_case identifier). */
  readonly column: string;
  /** The column's Postgres type. */
  readonly type: ActorColumnType;
}

/** The key of the advisory lock a write takes: one bigint or two int32. */
export type LockKey = bigint | readonly [number, number];

/** What a custom lock-key function receives. */
export interface LockKeyInput {
  /** The resource being written. */
  readonly resource: string;
  /** The action being called. */
  readonly action: string;
  /** The tenant of the write, when the resource is multi-tenant. */
  readonly tenant: string | undefined;
}

/** How writes are serialized. */
export type LockOption =
  | { readonly scope: "global" }
  | { readonly scope: "tenant" }
  | { readonly key: (input: LockKeyInput) => LockKey };

/** Routes old events of one resource/action/version to other actions during replay. */
export interface ReplayOverride {
  /** The resource name stored in the events. */
  readonly resource: string;
  /** The action name stored in the events. */
  readonly action: string;
  /** The event versions this route applies to. */
  readonly versions: readonly number[];
  /** Target `[resource, action]` pairs, applied in order. */
  readonly routeTo: readonly (readonly [string, string])[];
}

/** Actor types by name, as {@link defineEventLog} takes them. */
export type ActorDefinitions = Readonly<Record<string, ActorDefinition>>;

/** What {@link defineEventLog} takes. */
export interface EventLogOptions<TActors extends ActorDefinitions = ActorDefinitions> {
  /** Table name, optionally schema-qualified (`audit.events`). Default `events`. */
  readonly table?: string;
  /** Actor types, each stored in its own column. Default: none. */
  readonly actors?: TActors;
  /** Advisory-lock scope of writes. Default `{ scope: "global" }` (key 2147483647). */
  readonly lock?: LockOption;
  /** Replay routing of old event versions. */
  readonly replayOverrides?: readonly ReplayOverride[];
  /**
   * How long the id of an `ignored` call is remembered (milliseconds), so that a resend with
   * the same id is recognized and not applied again. Older ids are deleted by later ignored
   * writes (a few per write); a resend after that is applied again. Default 86,400,000 (24 h).
   */
  readonly ignoredCallRetentionMs?: number;
  /**
   * Metadata keys never stored in clear, for every resource: `"redact"` or `"encrypt"` (see
   * the resource option `sensitive`). Encrypted metadata uses the key of the event's subject.
   */
  readonly sensitiveMetadata?: SensitiveOptions;
  /**
   * Tamper evidence. `{ chain: true }`: every event stores `prev_hash` and `hash`, a SHA-256
   * chain per lock scope computed in the database under the write lock (docs/integrity.md).
   * `chainScope` is the scope of a chain: the lock scope by default; required with a custom
   * `lock.key` function (`"global"`: one chain; `"tenant"`: one chain per tenant).
   */
  readonly integrity?: IntegrityOptions;
}

/** The scope of a hash chain: one chain for the log, or one per tenant (and one for events without a tenant). */
export type ChainScope = "global" | "tenant";

/** What {@link EventLogOptions.integrity} takes. */
export interface IntegrityOptions {
  /** Chain every event written from now on (default false). */
  readonly chain?: boolean;
  /** One chain for the log or one per tenant; the lock scope by default, required with `lock.key`. */
  readonly chainScope?: ChainScope;
}

/** The validated integrity settings of a log: no chain, or a chain and its scope. */
export type Integrity = { readonly chain: false } | { readonly chain: true; readonly chainScope: ChainScope };

/**
 * A validated event-log definition. `TActor` is the union of its actor type names (a type
 * only: it types the `actor` of every call made through a store of this log).
 */
export interface EventLog<TActor extends string = string> {
  /** Phantom: the actor type names, for the types of calls. Never set at run time. */
  readonly "~actor"?: TActor;
  /** The event table. */
  readonly table: TableName;
  /** The replay state table (fence and checkpoints), beside the event table. */
  readonly replayStateTable: TableName;
  /** The ids of `ignored` calls, beside the event table (`<table>_idempotency`). */
  readonly idempotencyTable: TableName;
  /** How long ignored calls' ids are kept, in milliseconds. */
  readonly ignoredCallRetentionMs: number;
  /** Actor types by name. */
  readonly actors: Readonly<Record<string, ActorDefinition>>;
  /** The lock scope of writes. */
  readonly lock: LockOption;
  /** Replay routing of old event versions. */
  readonly replayOverrides: readonly ReplayOverride[];
  /** Sensitive metadata keys and how each is stored; `{}` when none. */
  readonly sensitiveMetadata: SensitiveOptions;
  /** Whether events are hash-chained, and in which scope. */
  readonly integrity: Integrity;
}

/** Column names that actor columns may not take. */
export const EVENT_LOG_COLUMNS: readonly string[] = Object.freeze([
  "id",
  "position",
  "tx_id",
  "occurred_at",
  "resource",
  "record_id",
  "action",
  "action_type",
  "version",
  "data",
  "changes",
  "metadata",
  "tenant",
  "correlation_id",
  "causation_id",
  "prev_hash",
  "hash",
]);

/** The default of `ignoredCallRetentionMs`: 24 hours. */
export const DEFAULT_IGNORED_CALL_RETENTION_MS = 86_400_000;

const ACTOR_TYPES: readonly ActorColumnType[] = ["uuid", "text", "bigint", "integer"];

// The closed option sets (checkOptionKeys); `satisfies` keeps them in step with the types.
const LOG_KEYS = {
  table: true,
  actors: true,
  lock: true,
  replayOverrides: true,
  ignoredCallRetentionMs: true,
  sensitiveMetadata: true,
  integrity: true,
} as const satisfies Record<keyof EventLogOptions, true>;
const INTEGRITY_KEYS = { chain: true, chainScope: true } as const satisfies Record<keyof IntegrityOptions, true>;
const ACTOR_KEYS = { column: true, type: true } as const satisfies Record<keyof ActorDefinition, true>;
const LOCK_KEYS = { scope: true, key: true } as const;
const OVERRIDE_KEYS = { resource: true, action: true, versions: true, routeTo: true } as const satisfies Record<
  keyof ReplayOverride,
  true
>;

/**
 * Define the central event log.
 *
 * @param options table, actor columns, lock scope, replay routing, hash chain
 * @returns a frozen, validated definition to pass to `createEventStore`
 * @throws {TypeError} on an invalid identifier, a duplicate or reserved actor column, an
 *   unknown actor type, an actor column whose index name is one of the log's own (`record`,
 *   `correlation`, `causation`, `tx`, `tenant_tx`, ...), or an unknown option key (here, in an actor, in `lock` or in a replay override)
 * @throws {TypeError} when `integrity` is malformed, or chains a log with a custom `lock.key`
 *   function without stating `integrity.chainScope`
 * @throws {RangeError} when `ignoredCallRetentionMs` is not a positive integer
 * @example
 * ```ts
 * const log = defineEventLog({
 *   table: "audit.events",
 *   actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
 * });
 * ```
 */
export function defineEventLog<const TActors extends ActorDefinitions = Record<never, ActorDefinition>>(
  options: EventLogOptions<TActors> = {},
): EventLog<keyof TActors & string> {
  checkOptionKeys(options, LOG_KEYS, "defineEventLog()");
  const table = tableName(options.table ?? "events", "event log table name");
  const replayStateTable = tableName(
    table.schema === undefined ? `${table.name}_replay` : `${table.schema}.${table.name}_replay`,
    "event log table name (too long to derive the replay state table)",
  );
  const idempotencyTable = tableName(
    table.schema === undefined ? `${table.name}_idempotency` : `${table.schema}.${table.name}_idempotency`,
    "event log table name (too long to derive the idempotency table)",
  );
  const retention = options.ignoredCallRetentionMs ?? DEFAULT_IGNORED_CALL_RETENTION_MS;
  if (!Number.isSafeInteger(retention) || retention < 1) {
    throw new RangeError("ignoredCallRetentionMs must be a positive integer number of milliseconds");
  }
  const actors: Record<string, ActorDefinition> = {};
  const columns = new Set<string>();
  for (const [name, actor] of Object.entries(options.actors ?? {})) {
    validateIdentifier(name, "actor type name");
    checkOptionKeys(actor, ACTOR_KEYS, `Actor type "${name}"`);
    validateIdentifier(actor.column, `column of actor type "${name}"`);
    if (EVENT_LOG_COLUMNS.includes(actor.column)) {
      throw new TypeError(`Actor type "${name}" uses the reserved event log column "${actor.column}"`);
    }
    if (columns.has(actor.column)) throw new TypeError(`Two actor types share the column "${actor.column}"`);
    if (actorIndexCollides(actor.column)) {
      throw new TypeError(
        `Actor type "${name}": the index of column "${actor.column}" would have the name of one of the log's own indexes; choose another column name`,
      );
    }
    if (!ACTOR_TYPES.includes(actor.type)) {
      throw new TypeError(`Actor type "${name}" has an unknown column type; use one of ${ACTOR_TYPES.join(", ")}`);
    }
    columns.add(actor.column);
    actors[name] = Object.freeze({ column: actor.column, type: actor.type });
  }
  const lock = validateLock(options.lock ?? { scope: "global" });
  const log: EventLog<keyof TActors & string> = Object.freeze({
    table,
    replayStateTable,
    idempotencyTable,
    ignoredCallRetentionMs: retention,
    actors: Object.freeze(actors),
    lock,
    replayOverrides: Object.freeze((options.replayOverrides ?? []).map(validateOverride)),
    sensitiveMetadata: checkSensitiveMetadata(options.sensitiveMetadata),
    integrity: validateIntegrity(options.integrity ?? {}, lock),
  });
  checkDerivedNames(log);
  return log;
}

/**
 * Names derived from the table and the actor columns (`<table>_assert_writable`,
 * `<table>_replay_running_idx`, `<table>_<column>_idx`, ...) must be identifiers too; the DDL
 * quotes every one of them, so a name that cannot be derived fails here, at definition time,
 * rather than in `migrate()` or in the first write. The names are listed in
 * `sql/event-log-names.ts` (not by building the DDL, which imports this module's types).
 */
function checkDerivedNames(log: EventLog): void {
  try {
    checkNames(log.table.name, Object.values(log.actors).map((actor) => actor.column));
  } catch (error) {
    throw new TypeError(
      "Invalid event log table name or actor column: a name derived from it (an index, trigger or function) would not be a valid identifier of at most 63 bytes",
      { cause: error },
    );
  }
}

function validateLock(lock: LockOption): LockOption {
  checkOptionKeys(lock, LOCK_KEYS, "lock");
  if ("key" in lock && "scope" in lock) throw new TypeError("lock takes either scope or key, not both");
  if ("key" in lock) {
    if (typeof lock.key !== "function") throw new TypeError("lock.key must be a function");
    return lock;
  }
  if (lock.scope !== "global" && lock.scope !== "tenant") {
    throw new TypeError('lock.scope must be "global" or "tenant"');
  }
  return Object.freeze({ scope: lock.scope });
}

function validateIntegrity(integrity: IntegrityOptions, lock: LockOption): Integrity {
  checkOptionKeys(integrity, INTEGRITY_KEYS, "integrity");
  const { chain = false, chainScope } = integrity;
  if (typeof chain !== "boolean") throw new TypeError("integrity.chain must be true or false");
  if (chainScope !== undefined && chainScope !== "global" && chainScope !== "tenant") {
    throw new TypeError('integrity.chainScope must be "global" or "tenant"');
  }
  if (!chain) {
    if (chainScope !== undefined) throw new TypeError("integrity.chainScope needs integrity.chain: true");
    return Object.freeze({ chain: false });
  }
  if ("key" in lock && chainScope === undefined) {
    throw new TypeError(
      'integrity.chain with a custom lock.key function needs integrity.chainScope ("global" or "tenant"): the scope of a chain must be stated',
    );
  }
  return Object.freeze({ chain: true, chainScope: chainScope ?? ("scope" in lock ? lock.scope : "global") });
}

function validateOverride(override: ReplayOverride): ReplayOverride {
  checkOptionKeys(override, OVERRIDE_KEYS, `Replay override for ${override.resource}.${override.action}`);
  if (
    !Array.isArray(override.versions) || override.versions.length === 0 ||
    !override.versions.every((v) => Number.isInteger(v) && v > 0)
  ) {
    throw new TypeError(
      `Replay override for ${override.resource}.${override.action}: versions must be positive integers`,
    );
  }
  if (!Array.isArray(override.routeTo) || override.routeTo.length === 0) {
    throw new TypeError(
      `Replay override for ${override.resource}.${override.action}: routeTo needs at least one target`,
    );
  }
  return Object.freeze({
    resource: override.resource,
    action: override.action,
    versions: Object.freeze([...override.versions]),
    routeTo: Object.freeze(override.routeTo.map(([r, a]) => Object.freeze([r, a] as const))),
  });
}
