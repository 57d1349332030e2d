/**
 * Typed errors that callers of edge-events are expected to handle.
 *
 * Every error carries a stable `code` that is part of the public API. Use
 * {@link isEdgeEventsError} rather than `instanceof`: it keeps working when two
 * copies of the package are loaded (a brand check, as Drizzle does).
 *
 * Messages never contain parameters, payloads, connection strings or secrets.
 * @module
 */

/** The stable error codes of edge-events. */
export type EdgeEventsErrorCode =
  | "VALIDATION_FAILED"
  | "NOT_FOUND"
  | "STALE_RECORD"
  | "CONFLICT"
  | "REPLAY_IN_PROGRESS"
  | "REPLAY_FAILED"
  | "REPLAY_ALREADY_RUNNING"
  | "REPLAY_CONFLICT"
  | "REPLAY_NOT_CONFIGURED"
  | "STORAGE_FAILURE"
  | "HOOK_FAILED"
  | "PROJECTION_FAILED"
  | "PROJECTION_CONFLICT"
  | "PROJECTION_REBUILDING"
  | "ROW_EXISTS"
  | "RECORD_DESTROYED"
  | "RECORD_NOT_DESTROYED"
  | "FOLD_FAILED"
  | "DECRYPTION_FAILED"
  | "VALUE_REDACTED";

const BRAND = "__edgeEventsError" as const;

/** Options accepted by every edge-events error. */
export interface EdgeEventsErrorOptions {
  /** The underlying error (driver error, hook error, ...). */
  readonly cause?: unknown;
}

/**
 * Base class of every error a caller must handle. Check with {@link isEdgeEventsError}.
 *
 * @example
 * ```ts
 * import { isEdgeEventsError } from "edge-events";
 *
 * // `users` is `store.resource(User)` of a resource with an update action `rename`.
 * type Users = { rename(id: string, input: { name: string }): Promise<unknown> };
 *
 * async function rename(users: Users, id: string, name: string): Promise<Response> {
 *   try {
 *     await users.rename(id, { name });
 *   } catch (err) {
 *     if (isEdgeEventsError(err, "NOT_FOUND")) return new Response(null, { status: 404 });
 *     throw err;
 *   }
 *   return new Response(null, { status: 204 });
 * }
 * ```
 */
export class EdgeEventsError extends Error {
  /** The stable code of this error. */
  readonly code: EdgeEventsErrorCode;
  /** Brand that survives duplicate package copies; see {@link isEdgeEventsError}. */
  readonly __edgeEventsError: true = true;

  /**
   * An error with a stable code; the subclasses below carry the codes that have their own data.
   *
   * @param code the stable code (part of the public API)
   * @param message what went wrong, in sentence case, without values from the call
   * @param options the underlying error as `cause`
   */
  constructor(code: EdgeEventsErrorCode, message: string, options: EdgeEventsErrorOptions = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.name = "EdgeEventsError";
  }
}

/** The error class that carries each code (the base class for codes without their own). */
export interface ErrorClassByCode {
  /** Carried by {@link ValidationError}. */
  VALIDATION_FAILED: ValidationError;
  /** Carried by {@link NotFoundError}. */
  NOT_FOUND: NotFoundError;
  /** Carried by {@link StaleRecordError}. */
  STALE_RECORD: StaleRecordError;
  /** Carried by {@link ConflictError}. */
  CONFLICT: ConflictError;
  /** Carried by {@link ReplayInProgressError}. */
  REPLAY_IN_PROGRESS: ReplayInProgressError;
  /** Carried by {@link ReplayError}. */
  REPLAY_FAILED: ReplayError;
  /** Carried by {@link ReplayAlreadyRunningError}. */
  REPLAY_ALREADY_RUNNING: ReplayAlreadyRunningError;
  /** Carried by {@link ReplayConflictError}. */
  REPLAY_CONFLICT: ReplayConflictError;
  /** A replay was asked of a store without a `replay.clear` strategy; carried by the base class. */
  REPLAY_NOT_CONFIGURED: EdgeEventsError;
  /** Carried by {@link StorageError}. */
  STORAGE_FAILURE: StorageError;
  /** Carried by {@link HookFailedError}. */
  HOOK_FAILED: HookFailedError;
  /** Carried by {@link ProjectionHandlerError}. */
  PROJECTION_FAILED: ProjectionHandlerError;
  /** Carried by {@link ProjectionConflictError}. */
  PROJECTION_CONFLICT: ProjectionConflictError;
  /** Carried by {@link ProjectionRebuildingError}. */
  PROJECTION_REBUILDING: ProjectionRebuildingError;
  /** Carried by {@link RowExistsError}. */
  ROW_EXISTS: RowExistsError;
  /** Carried by {@link RecordDestroyedError}. */
  RECORD_DESTROYED: RecordDestroyedError;
  /** Carried by {@link RecordNotDestroyedError}. */
  RECORD_NOT_DESTROYED: RecordNotDestroyedError;
  /** Carried by {@link FoldError}. */
  FOLD_FAILED: FoldError;
  /** Carried by {@link DecryptionError}. */
  DECRYPTION_FAILED: DecryptionError;
  /** Carried by {@link RedactedValueError}. */
  VALUE_REDACTED: RedactedValueError;
}

/** The error type a code narrows to in {@link isEdgeEventsError}. */
export type ErrorForCode<C extends EdgeEventsErrorCode> = ErrorClassByCode[C] & { readonly code: C };

/**
 * Whether `err` is an edge-events error, optionally with the given code.
 *
 * @param err any thrown value
 * @param code when given, the error must also carry this code
 * @returns true when `err` is branded as an edge-events error (and has `code`)
 * @example
 * ```ts
 * import { eventFromJson, isEdgeEventsError } from "edge-events";
 *
 * try {
 *   eventFromJson({ id: 42 });
 * } catch (err) {
 *   if (isEdgeEventsError(err, "VALIDATION_FAILED")) console.log(err.issues); // narrowed: a ValidationError
 *   else throw err;
 * }
 * ```
 */
export function isEdgeEventsError<C extends EdgeEventsErrorCode = EdgeEventsErrorCode>(
  err: unknown,
  code?: C,
): err is ErrorForCode<C> {
  if (typeof err !== "object" || err === null) return false;
  if ((err as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return code === undefined || (err as EdgeEventsError).code === code;
}

/**
 * The database failed a statement or could not be reached. Keeps the driver's error as
 * `cause` and the SQLSTATE (when the database sent one) as `sqlState`.
 *
 * `outcomeUnknown` is true when the request may have reached the database and its answer
 * was lost (a dropped connection, a failed fetch, a server error after execution): the
 * statement or batch may have committed. Retry such a failure only with an idempotent write
 * (for example one keyed by the event id). When false, nothing was committed.
 */
export class StorageError extends EdgeEventsError {
  /** The five-character SQLSTATE, when the failure came from Postgres. */
  readonly sqlState: string | undefined;
  /** Whether the work may have committed although the call failed (see the class docs). */
  readonly outcomeUnknown: boolean;

  /**
   * A storage failure; the adapters build these from driver errors.
   *
   * @param message what failed, without parameters or connection strings
   * @param options the driver's error as `cause`, the SQLSTATE, and whether the work may have committed
   */
  constructor(
    message: string,
    options: EdgeEventsErrorOptions & {
      readonly sqlState?: string | undefined;
      readonly outcomeUnknown?: boolean | undefined;
    } = {},
  ) {
    super("STORAGE_FAILURE", message, options);
    this.name = "StorageError";
    this.sqlState = options.sqlState;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

/** One problem found while validating input, with the path of the offending field. */
export interface ValidationIssue {
  /** Dot path of the field (`address.city`), or undefined for the input as a whole. */
  readonly path: string | undefined;
  /** What is wrong, from the schema. */
  readonly message: string;
  /** The kind of check that failed (`email`, `min_length`, `type`, ...). */
  readonly kind: string;
}

/**
 * Input, an actor, an event id or a record failed validation. Nothing was sent to the
 * database. `issues` names each problem with its field path; values are never included.
 */
export class ValidationError extends EdgeEventsError {
  /** The problems found, in schema order. */
  readonly issues: readonly ValidationIssue[];

  /**
   * A validation failure with code `VALIDATION_FAILED`.
   *
   * @param message a summary that names no values
   * @param issues the problems found, copied and frozen
   * @param options the underlying error as `cause`
   */
  constructor(message: string, issues: readonly ValidationIssue[], options: EdgeEventsErrorOptions = {}) {
    super("VALIDATION_FAILED", message, options);
    this.name = "ValidationError";
    this.issues = Object.freeze([...issues]);
  }
}

/** An update or destroy named a record that does not exist (or is soft-destroyed). No event was written. */
export class NotFoundError extends EdgeEventsError {
  /** The resource name. */
  readonly resource: string;
  /** The record id that was not found. */
  readonly recordId: string;

  /**
   * A missing record with code `NOT_FOUND`; the message names the resource, never the id.
   *
   * @param resource the resource name
   * @param recordId the record id that was not found (kept on the error, not in the message)
   * @param options the underlying error as `cause`
   */
  constructor(resource: string, recordId: string, options: EdgeEventsErrorOptions = {}) {
    super("NOT_FOUND", `No ${resource} record with that id`, options);
    this.name = "NotFoundError";
    this.resource = resource;
    this.recordId = recordId;
  }
}

/**
 * An update or destroy called with `expectedPosition` found its record moved on: the record's
 * last event is not at that position, or the record passed with it (`record`) is not the one
 * stored. Nothing was written, and the call was not retried: read the record again (or take
 * `actualPosition` and what changed) and decide. The message holds no ids, positions or values.
 *
 * @example
 * ```ts
 * import { isEdgeEventsError } from "edge-events";
 *
 * // `users` is `store.resource(User)` of a resource with an update action `rename`.
 * type Users = {
 *   rename(id: string, input: { name: string }, ctx: { expectedPosition: bigint }): Promise<unknown>;
 * };
 *
 * async function renameIfUnchanged(users: Users, id: string, name: string, held: bigint): Promise<Response> {
 *   try {
 *     await users.rename(id, { name }, { expectedPosition: held });
 *   } catch (err) {
 *     if (isEdgeEventsError(err, "STALE_RECORD")) {
 *       return new Response(null, { status: 412, headers: { etag: `"${err.actualPosition}"` } });
 *     }
 *     throw err;
 *   }
 *   return new Response(null, { status: 204 });
 * }
 * ```
 */
export class StaleRecordError extends EdgeEventsError {
  /** The resource name. */
  readonly resource: string;
  /** The record id (kept on the error, not in the message). */
  readonly recordId: string;
  /** The position the caller expected the record's last event at (`0n`: no event). */
  readonly expectedPosition: bigint;
  /**
   * The position of the record's last event, read after the write failed (`0n`: none), so at
   * least as recent as the one the write saw. Equal to `expectedPosition` when the position held
   * and the record passed with it differs from the stored one.
   */
  readonly actualPosition: bigint;

  /**
   * A failed precondition with code `STALE_RECORD`.
   *
   * @param resource the resource name
   * @param recordId the record id
   * @param positions the expected position and the actual one
   * @param options the underlying error as `cause`
   */
  constructor(
    resource: string,
    recordId: string,
    positions: { readonly expected: bigint; readonly actual: bigint },
    options: EdgeEventsErrorOptions = {},
  ) {
    super(
      "STALE_RECORD",
      positions.expected === positions.actual
        ? `The ${resource} record passed with the expected position is not the stored one; nothing was written`
        : `The ${resource} record is no longer at the expected position; nothing was written`,
      options,
    );
    this.name = "StaleRecordError";
    this.resource = resource;
    this.recordId = recordId;
    this.expectedPosition = positions.expected;
    this.actualPosition = positions.actual;
  }
}

/**
 * A change-function update kept finding the record changed between its read and its
 * conditional write, and gave up after its retries. No event was written.
 */
export class ConflictError extends EdgeEventsError {
  /** How many times the write was attempted. */
  readonly attempts: number;

  /**
   * A lost update race with code `CONFLICT`.
   *
   * @param message what kept conflicting
   * @param attempts how many times the write was attempted
   * @param options the last underlying error as `cause`
   */
  constructor(message: string, attempts: number, options: EdgeEventsErrorOptions = {}) {
    super("CONFLICT", message, options);
    this.name = "ConflictError";
    this.attempts = attempts;
  }
}

/** A replay is running; writes are refused until it ends or is aborted. Nothing was written. */
export class ReplayInProgressError extends EdgeEventsError {
  /**
   * A write refused with code `REPLAY_IN_PROGRESS`.
   *
   * @param options the underlying error as `cause`
   */
  constructor(options: EdgeEventsErrorOptions = {}) {
    super("REPLAY_IN_PROGRESS", "A replay is in progress; writes are refused until it ends", options);
    this.name = "ReplayInProgressError";
  }
}

/**
 * An `after` hook failed. The action itself was committed: the error is reported on the
 * action's result (`hookError`), never thrown in place of it.
 */
export class HookFailedError extends EdgeEventsError {
  /**
   * The resource whose hook failed; for the store's `onCommitted` subscriber, the resource of
   * the batch's first event.
   */
  readonly resource: string;
  /** The action whose hook failed; for `onCommitted`, the action of the batch's first event. */
  readonly action: string;
  /** Which hook failed: an action's `after` hook, or the store's `onCommitted` subscriber. */
  readonly hook: "after" | "onCommitted";

  /**
   * A failed `after` hook (or `onCommitted` subscriber) with code `HOOK_FAILED`.
   *
   * @param resource the resource whose hook failed
   * @param action the action whose hook failed
   * @param options what the hook threw, as `cause`, and which hook it was (default `after`)
   */
  constructor(
    resource: string,
    action: string,
    options: EdgeEventsErrorOptions & { readonly hook?: "after" | "onCommitted" } = {},
  ) {
    const hook = options.hook ?? "after";
    super(
      "HOOK_FAILED",
      hook === "after"
        ? `The after hook of ${resource}.${action} failed; the action was committed`
        : `The onCommitted subscriber failed on a batch from ${resource}.${action}; the batch was committed`,
      "cause" in options ? { cause: options.cause } : {},
    );
    this.name = "HookFailedError";
    this.resource = resource;
    this.action = action;
    this.hook = hook;
  }
}

/**
 * A replay could not go on: an event could not be applied (its position and id are named),
 * or there is no running replay to continue (`resume`, a `replayStep` cursor of a replay that
 * is no longer running). A stopped replay keeps its fence and checkpoint: resume it
 * (`replay({ resume: true })`) or abort it (`abortReplay()`). Starting a replay while another
 * runs is {@link ReplayAlreadyRunningError} instead.
 */
export class ReplayError extends EdgeEventsError {
  /** The position of the event that could not be applied, when one is to blame. */
  readonly position: bigint | undefined;
  /** The id of that event. */
  readonly eventId: string | undefined;

  /**
   * A replay that cannot go on, with code `REPLAY_FAILED`.
   *
   * @param message why, without payload values
   * @param options the underlying error as `cause`, and the position and id of the event to blame
   */
  constructor(
    message: string,
    options: EdgeEventsErrorOptions & { readonly position?: bigint; readonly eventId?: string } = {},
  ) {
    super("REPLAY_FAILED", message, options);
    this.name = "ReplayError";
    this.position = options.position;
    this.eventId = options.eventId;
  }
}

/**
 * A new replay was asked for while another one is running (started, stopped at an event or
 * interrupted, and neither completed nor aborted). Nothing was started or cleared. Continue
 * the running one (`replay({ resume: true })`) or abort it (`abortReplay()`) first;
 * `replayStatus(store)` describes it.
 *
 * @example
 * ```ts
 * import { isEdgeEventsError, replay, type ReplayStore } from "edge-events";
 *
 * async function replayOrResume(store: ReplayStore): Promise<void> {
 *   try {
 *     await replay(store);
 *   } catch (err) {
 *     if (isEdgeEventsError(err, "REPLAY_ALREADY_RUNNING")) await replay(store, { resume: true });
 *     else throw err;
 *   }
 * }
 * ```
 */
export class ReplayAlreadyRunningError extends EdgeEventsError {
  /**
   * A refused start with code `REPLAY_ALREADY_RUNNING`.
   *
   * @param options the underlying error as `cause`
   */
  constructor(options: EdgeEventsErrorOptions = {}) {
    super("REPLAY_ALREADY_RUNNING", "Another replay is running: resume or abort it first", options);
    this.name = "ReplayAlreadyRunningError";
  }
}

/**
 * Another process holds the replay this call worked on: it was continued, finished or
 * aborted elsewhere while this call ran (two `replay({ resume: true })` or `replayStep` calls
 * on one replay). This call wrote nothing after losing the race: its clear or page was refused
 * in the same transaction that checked the replay's state. Not the fault of any event; the
 * other process's work stands. Look at the replay's state before doing anything else.
 *
 * @example
 * ```ts
 * import { isEdgeEventsError, replay, type ReplayStore } from "edge-events";
 *
 * async function resume(store: ReplayStore): Promise<void> {
 *   try {
 *     await replay(store, { resume: true });
 *   } catch (err) {
 *     if (isEdgeEventsError(err, "REPLAY_CONFLICT")) console.log("continued elsewhere", err.replayId);
 *     else throw err;
 *   }
 * }
 * ```
 */
export class ReplayConflictError extends EdgeEventsError {
  /** The replay this call lost. */
  readonly replayId: string;

  /**
   * A lost replay race with code `REPLAY_CONFLICT`.
   *
   * @param message what the other process did
   * @param replayId the replay this call lost
   * @param options the underlying error as `cause`
   */
  constructor(message: string, replayId: string, options: EdgeEventsErrorOptions = {}) {
    super("REPLAY_CONFLICT", message, options);
    this.name = "ReplayConflictError";
    this.replayId = replayId;
  }
}

/**
 * A projection's handler threw on an event. Nothing of the batch that event belonged to was
 * sent: for `project()`, the checkpoint stays before the batch (earlier batches stay
 * committed), and the next run starts with the same event; for an inline projection, the
 * action itself was not written. The handler's error is the `cause`; the message names the
 * projection, the event's resource and action, and its position when it has one.
 *
 * @example
 * ```ts
 * import { isEdgeEventsError, project, type Projection, type ProjectionStore } from "edge-events";
 *
 * async function catchUp(store: ProjectionStore, balances: Projection): Promise<void> {
 *   try {
 *     await project(store, balances);
 *   } catch (err) {
 *     if (isEdgeEventsError(err, "PROJECTION_FAILED")) console.log(err.projection, err.eventId, err.position);
 *     else throw err;
 *   }
 * }
 * ```
 */
export class ProjectionHandlerError extends EdgeEventsError {
  /** The projection whose handler failed. */
  readonly projection: string;
  /** The id of the event it failed on. */
  readonly eventId: string;
  /** The event's position; undefined for an inline projection (the event is not written yet). */
  readonly position: bigint | undefined;
  /** The event's resource. */
  readonly resource: string;
  /** The event's action. */
  readonly action: string;

  /**
   * A failed projection handler, with code `PROJECTION_FAILED`.
   *
   * @param projection the projection name
   * @param event the event the handler failed on (its position, when it has one)
   * @param options the handler's error as `cause`
   */
  constructor(
    projection: string,
    event: {
      readonly id: string;
      readonly resource: string;
      readonly action: string;
      readonly position?: bigint | undefined;
    },
    options: EdgeEventsErrorOptions = {},
  ) {
    const at = event.position === undefined ? "" : ` at position ${event.position}`;
    super(
      "PROJECTION_FAILED",
      `The handler of projection ${projection} failed on ${event.resource}.${event.action}${at}; nothing of its batch was written`,
      options,
    );
    this.name = "ProjectionHandlerError";
    this.projection = projection;
    this.eventId = event.id;
    this.position = event.position;
    this.resource = event.resource;
    this.action = event.action;
  }
}

/**
 * A projection's checkpoint moved while this call worked on a batch: another runner applied
 * it (or a later one), or the projection was rebuilt. This call's batch was refused in the
 * same transaction that checked the checkpoint, so it wrote nothing; the other runner's work
 * stands. Run `project()` again to go on from the checkpoint as it is now.
 *
 * @example
 * ```ts
 * import { isEdgeEventsError, project, type Projection, type ProjectionStore } from "edge-events";
 *
 * async function catchUp(store: ProjectionStore, balances: Projection): Promise<void> {
 *   try {
 *     await project(store, balances);
 *   } catch (err) {
 *     if (!isEdgeEventsError(err, "PROJECTION_CONFLICT")) throw err; // another runner has it
 *   }
 * }
 * ```
 */
export class ProjectionConflictError extends EdgeEventsError {
  /** The projection whose checkpoint moved. */
  readonly projection: string;

  /**
   * A lost checkpoint race, with code `PROJECTION_CONFLICT`.
   *
   * @param projection the projection name
   * @param options the underlying error as `cause`
   */
  constructor(projection: string, options: EdgeEventsErrorOptions = {}) {
    super(
      "PROJECTION_CONFLICT",
      `The checkpoint of projection ${projection} moved: another runner applied this batch, or the projection was rebuilt`,
      options,
    );
    this.name = "ProjectionConflictError";
    this.projection = projection;
  }
}

/**
 * A write refused because an inline projection of its events is being rebuilt: its read model
 * is cleared and refilled from the log, and an event applied inline meanwhile would be applied
 * twice (or out of order). Nothing was written; retry once the rebuild ends (it ends when
 * `rebuildProjection`, or `project` resuming it, catches up).
 */
export class ProjectionRebuildingError extends EdgeEventsError {
  /** The inline projections of the write (one of them is being rebuilt). */
  readonly projections: readonly string[];

  /**
   * A write refused with code `PROJECTION_REBUILDING`.
   *
   * @param projections the inline projections the write would have run
   * @param options the underlying error as `cause`
   */
  constructor(projections: readonly string[], options: EdgeEventsErrorOptions = {}) {
    super(
      "PROJECTION_REBUILDING",
      `An inline projection of this write is being rebuilt (${
        projections.join(", ")
      }); its events are refused until the rebuild ends`,
      options,
    );
    this.name = "ProjectionRebuildingError";
    this.projections = Object.freeze([...projections]);
  }
}

/**
 * `materialize` found the record's row in its table and was not asked to replace it
 * (`{ overwrite: true }`). Nothing was written.
 */
export class RowExistsError extends EdgeEventsError {
  /** The resource name. */
  readonly resource: string;
  /** The record id (kept on the error, not in the message). */
  readonly recordId: string;

  /**
   * An existing row with code `ROW_EXISTS`.
   *
   * @param resource the resource name
   * @param recordId the record id
   * @param options the underlying error as `cause`
   */
  constructor(resource: string, recordId: string, options: EdgeEventsErrorOptions = {}) {
    super("ROW_EXISTS", `The ${resource} record already has a row; pass { overwrite: true } to replace it`, options);
    this.name = "RowExistsError";
    this.resource = resource;
    this.recordId = recordId;
  }
}

/**
 * A restore addressed a record that is live (not soft-destroyed through the attribute the
 * restore clears). Nothing was written. A missing record is `NOT_FOUND` instead.
 */
export class RecordNotDestroyedError extends EdgeEventsError {
  /** The resource name. */
  readonly resource: string;
  /** The record id (kept on the error, not in the message). */
  readonly recordId: string;

  /**
   * A restore of a live record with code `RECORD_NOT_DESTROYED`.
   *
   * @param resource the resource name
   * @param recordId the record id
   * @param options the underlying error as `cause`
   */
  constructor(resource: string, recordId: string, options: EdgeEventsErrorOptions = {}) {
    super("RECORD_NOT_DESTROYED", `The ${resource} record is not soft-destroyed; there is nothing to restore`, options);
    this.name = "RecordNotDestroyedError";
    this.resource = resource;
    this.recordId = recordId;
  }
}

/**
 * The record's history ends in a (hard) destroy, so it has no state to store or rebuild
 * (`materialize`, `savepoint`). Nothing was written.
 */
export class RecordDestroyedError extends EdgeEventsError {
  /** The resource name. */
  readonly resource: string;
  /** The record id (kept on the error, not in the message). */
  readonly recordId: string;
  /** The position of the destroying event. */
  readonly position: bigint;
  /** When the record was destroyed (the destroying event's `occurredAt`). */
  readonly destroyedAt: Date;

  /**
   * A destroyed record with code `RECORD_DESTROYED`.
   *
   * @param resource the resource name
   * @param recordId the record id
   * @param destroyed the position and time of the destroying event
   * @param options the underlying error as `cause`
   */
  constructor(
    resource: string,
    recordId: string,
    destroyed: { readonly position: bigint; readonly destroyedAt: Date },
    options: EdgeEventsErrorOptions = {},
  ) {
    super("RECORD_DESTROYED", `The ${resource} record was destroyed; its history ends in a destroy`, options);
    this.name = "RecordDestroyedError";
    this.resource = resource;
    this.recordId = recordId;
    this.position = destroyed.position;
    this.destroyedAt = destroyed.destroyedAt;
  }
}

/**
 * An event of a record's history cannot be folded into its state (no action answers it, its
 * data fails validation, or it does not fit the state, as replay would refuse it). Nothing
 * was written.
 */
export class FoldError extends EdgeEventsError {
  /** The position of the event that could not be folded. */
  readonly position: bigint;
  /** The id of that event. */
  readonly eventId: string;

  /**
   * A fold that cannot go on, with code `FOLD_FAILED`.
   *
   * @param message why, without payload values
   * @param event the position and id of the event to blame
   * @param options the underlying error as `cause`
   */
  constructor(
    message: string,
    event: { readonly position: bigint; readonly eventId: string },
    options: EdgeEventsErrorOptions = {},
  ) {
    super("FOLD_FAILED", message, options);
    this.name = "FoldError";
    this.position = event.position;
    this.eventId = event.eventId;
  }
}

/**
 * An encrypted value of the log could not be decrypted although its key exists: the
 * ciphertext, its nonce or the value's place (event id, field) was altered, or the keyring
 * returned another key under that key id. A key that no longer exists is not this error: the
 * value reads as erased. The message names the event and the field, never a value or a key.
 */
export class DecryptionError extends EdgeEventsError {
  /** The id of the event (or of the ignored call) whose value failed. */
  readonly eventId: string;
  /** Where the value sits: `data.email`, `changes.passwordHash`, `metadata.ip`. */
  readonly field: string;

  /**
   * A failed decryption with code `DECRYPTION_FAILED`.
   *
   * @param eventId the event (or ignored call) id
   * @param field the value's place, `<part>.<key>`
   * @param options the underlying error as `cause`
   */
  constructor(eventId: string, field: string, options: EdgeEventsErrorOptions = {}) {
    super("DECRYPTION_FAILED", `The value at ${field} of event ${eventId} cannot be decrypted`, options);
    this.name = "DecryptionError";
    this.eventId = eventId;
    this.field = field;
  }
}

/**
 * A replay needs a value the log does not hold: the attribute's value was stored as a
 * redaction marker (`sensitive: { x: "redact" }`) and nothing pinned it, so the row cannot be
 * rebuilt from the log alone. Replay stops on the event (a {@link ReplayError} whose `cause`
 * is this error); history shows the marker instead.
 */
export class RedactedValueError extends EdgeEventsError {
  /** The id of the event. */
  readonly eventId: string;
  /** Its position. */
  readonly position: bigint;
  /** The attribute the replay could not rebuild. */
  readonly attribute: string;

  /**
   * A redacted value a replay needed, with code `VALUE_REDACTED`.
   *
   * @param event the event's id and position
   * @param attribute the attribute whose value was redacted
   */
  constructor(event: { readonly eventId: string; readonly position: bigint }, attribute: string) {
    super(
      "VALUE_REDACTED",
      `The event at position ${event.position} stored ${attribute} redacted: the log alone cannot rebuild it (keep the derived value in changes, or mark it encrypt)`,
    );
    this.name = "RedactedValueError";
    this.eventId = event.eventId;
    this.position = event.position;
    this.attribute = attribute;
  }
}
