/**
 * Running prepared calls: the one-round-trip batch, the optimistic retry of change-function
 * updates, idempotent duplicates (recognised in `duplicate-calls.ts`), lost-response recovery,
 * and `after` hooks.
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { Executor, QueryResult, Row, SqlParam, SqlStatement } from "./executor.ts";
import {
  ConflictError,
  HookFailedError,
  isEdgeEventsError,
  NotFoundError,
  ProjectionRebuildingError,
  RecordNotDestroyedError,
  ReplayInProgressError,
  ValidationError,
} from "./errors.ts";
import { type JsonObject, toJson } from "./json.ts";
import { parseJson, rowToEvent, rowToRecord } from "./record-mapping.ts";
import type { Keyring } from "./keyring.ts";
import type { StoredEvent } from "./stored-event.ts";
import type { ActionResult, ActionStore } from "./store-types.ts";
import type { ActionContext } from "./context.ts";
import type { PreparedCall } from "./prepare-call.ts";
import { restoredAttribute } from "./action.ts";
import { buildWrite, type BuiltWrite, recordSelectorOf, writeTarget } from "./write-plan.ts";
import {
  EXPECTED_POSITION_SQLSTATE,
  NOT_FOUND_SQLSTATE,
  PARENT_LINK_SQLSTATE,
  PROJECTION_REBUILDING_SQLSTATE,
  REPLAY_IN_PROGRESS_SQLSTATE,
  STALE_SQLSTATE,
} from "../sql/event-log-ddl.ts";
import type { InlineWrite } from "./inline-projections.ts";
import {
  CHANGES_ALIAS,
  LAST_POSITION_ALIAS,
  OCCURRED_AT_ALIAS,
  POSITION_ALIAS,
  readRecordSql,
  RECORD_ID_ALIAS,
} from "../sql/write-statements.ts";
import { fenceCheckSql, writePreludeSql } from "../sql/write-prelude.ts";
import { duplicateCalls } from "./duplicate-calls.ts";
import { readRecordEventsSql, readRecordFromSavepointSql } from "../sql/event-only-writes.ts";
import { foldVersionOf } from "./fold-version.ts";
import { decodeState } from "./savepoint-state.ts";
import type { AnyResource } from "./resource.ts";
import { foldRecord, type FoldStart, type FoldState, NO_RECORD } from "./record-fold.ts";
import { chainLockKey, recordLockKey } from "./lock-key.ts";
import type { LockKey } from "./event-log.ts";
import { savepointChecks, type SavepointErrorHandler, takeDueSavepoints } from "./auto-savepoints.ts";
import { positionParam } from "./expected-position.ts";
import { staleRecordError } from "./stale-records.ts";

/** How change-function updates retry when the record changed under them. */
export interface ConflictRetryOptions {
  /** Attempts in all, the first included. Default 10. */
  readonly maxAttempts?: number;
  /** First backoff delay in ms; doubled per attempt, with full jitter. Default 5. */
  readonly baseDelayMs?: number;
  /** Upper bound of one backoff delay in ms. Default 200. */
  readonly maxDelayMs?: number;
}

/** What the runner needs from the store. */
export interface RunnerConfig {
  readonly log: EventLog;
  readonly db: Executor;
  /** The store's resources by name: what event-only records are folded through. */
  readonly resources: ReadonlyMap<string, AnyResource>;
  readonly conflictRetry: Required<ConflictRetryOptions>;
  /** Resends of a batch whose response was lost (safe: the event id makes it idempotent). */
  readonly lostResponseRetries: number;
  /** The store's actions scoped to an event, handed to `after` hooks. */
  readonly scopedStore: (ctx: ActionContext) => ActionStore;
  readonly onHookError: ((error: HookFailedError) => void) | undefined;
  /** The store's log-level subscriber, called with the events of each committed batch. */
  readonly onCommitted: CommittedSubscriber | undefined;
  /** Called with each automatic savepoint (`savepointEvery`) that failed after its action committed. */
  readonly onSavepointError: SavepointErrorHandler | undefined;
  /** The store's clock, read again for every retry after a conflict: the batch's proposed stamp. */
  readonly clock: () => Date;
  /** The store's keyring: encrypts sensitive values on the way in, decrypts them for folds. */
  readonly keyring: Keyring | undefined;
  /**
   * The statements of inline projections for the calls of a batch, sent after its writes in
   * the same batch (undefined: the store has none).
   */
  readonly inlineStatements?:
    | ((calls: readonly PreparedCall[], writes: readonly BuiltWrite[]) => InlineWrite)
    | undefined;
}

/**
 * The store's `onCommitted`: called after every committed batch that wrote events, with them in
 * position order. Awaited before the batch's `after` hooks run and before the call returns.
 */
export type CommittedSubscriber = (events: readonly StoredEvent[]) => void | Promise<void>;

const NO_INLINE: InlineWrite = Object.freeze({ statements: [], projections: [] });

type Current = { record: Record<string, unknown>; lastPosition: bigint | null };

function storageCode(error: unknown): string | undefined {
  return isEdgeEventsError(error, "STORAGE_FAILURE") ? error.sqlState : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The record an event-only call addresses (`id`: by default its planned primary key). */
function eventOnlyRecordOf(call: PreparedCall, id: string = call.recordId) {
  return {
    resource: call.resource.name,
    recordId: id,
    tenant: call.resource.tenant === undefined ? undefined : call.tenant ?? undefined,
  };
}

/** An event-only record's fold: its state and the position of its last event (null: none). */
interface Folded {
  readonly state: FoldState;
  readonly lastPosition: bigint | null;
}

/** Fold the rows of an event-only record's events (`readRecordEventsSql`). */
async function foldRows(
  config: RunnerConfig,
  call: PreparedCall,
  rows: readonly Row[],
  id: string = call.recordId,
): Promise<Folded> {
  const events = rows.map((row) => rowToEvent(config.log, row));
  const fold = await foldRecord(
    { log: config.log, resources: config.resources, keyring: config.keyring, resource: call.resource, recordId: id },
    events,
  );
  return { state: fold.state, lastPosition: fold.position ?? null };
}

/**
 * Fold the rows of `readRecordFromSavepointSql`: from the savepoint they carry (if any), the
 * events after it. With no event after it, the record's last event is the savepoint's.
 */
async function foldFromSavepoint(config: RunnerConfig, call: PreparedCall, rows: readonly Row[]): Promise<Folded> {
  const at = rows[0]?.["__ee_sp_position"];
  const events = rows.filter((row) => row["id"] !== null && row["id"] !== undefined);
  if (at === null || at === undefined) return foldRows(config, call, events);
  const { state, timestampTexts } = decodeState(call.resource, parseJson(rows[0]!["__ee_sp_state"]));
  const from: FoldStart = { position: BigInt(at as bigint), state: { ...NO_RECORD, record: state, timestampTexts } };
  const fold = await foldRecord(
    {
      log: config.log,
      resources: config.resources,
      keyring: config.keyring,
      resource: call.resource,
      recordId: call.recordId,
    },
    events.map((row) => rowToEvent(config.log, row)),
    { from },
  );
  return { state: fold.state, lastPosition: fold.position ?? null };
}

/** The current state of the record a call addresses: its row, or for an event-only resource its events' fold. */
async function readState(
  config: RunnerConfig,
  call: PreparedCall,
  id: string = call.recordId,
): Promise<Record<string, unknown> | undefined> {
  if (call.resource.table === null) {
    const rows = (await config.db.query(readRecordEventsSql(config.log, eventOnlyRecordOf(call, id)))).rows;
    return (await foldRows(config, call, rows, id)).state.record;
  }
  const row =
    (await config.db.query(readRecordSql(config.log, writeTarget(call.resource), recordSelectorOf(call, id)))).rows[0];
  return row === undefined ? undefined : rowToRecord(call.resource, row);
}

/**
 * The current record of each change-function update: the record its caller holds at the
 * expected position (verified by the write), else read in one round trip for all of them.
 */
async function readCurrent(config: RunnerConfig, calls: readonly PreparedCall[]): Promise<Map<PreparedCall, Current>> {
  const reading = calls.filter((c) => c.needsRead);
  const current = new Map<PreparedCall, Current>();
  for (const call of calls) {
    const held = call.expected?.heldRecord;
    if (held !== undefined) {
      current.set(call, { record: { ...held }, lastPosition: positionParam(call.expected!.position) });
    }
  }
  if (reading.length === 0) return current;
  const env = { log: config.log, resources: config.resources, keyring: config.keyring };
  const statements = await Promise.all(
    reading.map(async (c) =>
      c.resource.table === null
        ? readRecordFromSavepointSql(config.log, eventOnlyRecordOf(c), await foldVersionOf(env, c.resource))
        : readRecordSql(config.log, writeTarget(c.resource), recordSelectorOf(c))
    ),
  );
  // The read is fenced too: a record half rebuilt by a running replay would pass the write's
  // last-event check once the replay ends (replay writes no events), and the update computed
  // from it would silently overwrite the rebuilt record.
  const fences = [...new Set(reading.map((c) => c.tenant))].map((tenant) => fenceCheckSql(config.log, tenant));
  let results: QueryResult[];
  try {
    results = (await config.db.batch([...fences, ...statements], { readOnly: true })).slice(fences.length);
  } catch (error) {
    if (storageCode(error) === REPLAY_IN_PROGRESS_SQLSTATE) throw new ReplayInProgressError({ cause: error });
    throw error;
  }
  for (const [i, call] of reading.entries()) {
    if (call.resource.table === null) {
      const folded = await foldFromSavepoint(config, call, results[i]?.rows ?? []);
      if (folded.state.record === undefined && call.expected !== undefined) continue;
      if (folded.state.record === undefined) throw new NotFoundError(call.resource.name, call.recordId);
      current.set(call, { record: { ...folded.state.record }, lastPosition: folded.lastPosition });
      continue;
    }
    const row = results[i]?.rows[0];
    // A precondition's failure is told apart later (staleRecordError): the position may have moved.
    if (row === undefined && call.expected !== undefined) continue;
    if (row === undefined) throw new NotFoundError(call.resource.name, call.recordId);
    const last = row[LAST_POSITION_ALIAS];
    current.set(call, {
      record: rowToRecord(call.resource, row),
      lastPosition: last === null || last === undefined ? null : BigInt(last as bigint),
    });
  }
  return current;
}

/** Send a batch, resending it (up to `lostResponseRetries`) while its answer is lost; failures are returned. */
async function batchWithResend(
  config: RunnerConfig,
  statements: readonly SqlStatement[],
): Promise<{ results: QueryResult[]; lostResponse: boolean } | { error: unknown; lostResponse: boolean }> {
  let lostResponse = false;
  for (let attempt = 0;; attempt++) {
    try {
      return { results: await config.db.batch(statements), lostResponse };
    } catch (error) {
      const unknownOutcome = isEdgeEventsError(error, "STORAGE_FAILURE") && error.outcomeUnknown;
      if (!unknownOutcome || attempt >= config.lostResponseRetries) return { error, lostResponse };
      lostResponse = true;
    }
  }
}

/**
 * The result of an event-only write: the record folded from its state before the write (the
 * change function's read, the events the batch read, or none for a create) and the new event.
 * A hard destroy returns the state it ended, as a destroy of a row returns the deleted row.
 */
async function eventOnlyResultOf(
  config: RunnerConfig,
  call: PreparedCall,
  written: { readonly built: BuiltWrite; readonly row: Row; readonly events: readonly Row[] | undefined },
  current: Current | undefined,
): Promise<{ record: Record<string, unknown>; event: StoredEvent | null }> {
  const { built, row, events } = written;
  const id = built.eventOnly!.record.recordId;
  const env = {
    log: config.log,
    resources: config.resources,
    keyring: config.keyring,
    resource: call.resource,
    recordId: id,
  };
  // Every event-only call writes an event (ignored actions are refused at definition).
  const event = resultOf(call, built, row, {}).event!;
  const before = (events ?? []).map((r) => rowToEvent(config.log, r));
  const from: FoldStart | undefined = current === undefined
    ? undefined
    : { position: current.lastPosition ?? 0n, state: { ...NO_RECORD, record: current.record } };
  const folded = await foldRecord(env, [...before, event], from === undefined ? {} : { from });
  const last = folded.steps[folded.steps.length - 1]!;
  return { record: { ...(last.after.record ?? last.before.record ?? {}) }, event };
}

function resultOf(
  call: PreparedCall,
  built: BuiltWrite,
  row: Row,
  written: Record<string, unknown> = rowToRecord(call.resource, row),
): { record: Record<string, unknown>; event: StoredEvent | null } {
  const record = written;
  if (built.event === null) return { record, event: null };
  const changes: JsonObject = { ...built.changes };
  for (const attribute of built.atomicAttributes) changes[attribute] = toJson(record[attribute] ?? null);
  // The stamp the database gave the batch, as it stored it in occurred_at and in `changes`.
  const stamp = String(row[OCCURRED_AT_ALIAS]);
  for (const attribute of built.stampedAttributes) changes[attribute] = stamp;
  // An upsert's `changes` were completed in the database (the key of the row it wrote): as stored.
  if (built.upserts === true) Object.assign(changes, parseJson(row[CHANGES_ALIAS]) as JsonObject);
  const event: StoredEvent = Object.freeze({
    id: built.event.id,
    position: BigInt(row[POSITION_ALIAS] as bigint),
    occurredAt: new Date(stamp),
    resource: call.resource.name,
    recordId: String(row[RECORD_ID_ALIAS]),
    action: built.event.action,
    actionType: built.event.actionType,
    version: built.event.version,
    data: JSON.parse(built.event.data) as JsonObject,
    changes,
    metadata: JSON.parse(built.event.metadata) as JsonObject,
    tenant: built.event.tenant,
    correlationId: built.event.correlationId,
    causationId: built.event.causationId,
    parentId: call.parentId,
    actor: call.actor === null ? null : { type: call.actor.type, id: call.actor.id },
  });
  return { record, event };
}

/** The link trigger refused a call's `parentEventId`: another record's or tenant's event, or none. */
function parentLinkError(cause: unknown): ValidationError {
  const message = "The parent event is not an event of the same record (resource, record id and tenant)";
  return new ValidationError(message, [{ path: "parentEventId", message, kind: "custom" }], { cause });
}

async function notFound(
  config: RunnerConfig,
  calls: readonly PreparedCall[],
  cause: unknown,
): Promise<NotFoundError | RecordNotDestroyedError> {
  for (const call of calls) {
    if (call.action.type === "create") continue;
    const state = await readState(config, call);
    const restored = restoredAttribute(call.action);
    if (restored !== undefined) {
      // A live record (a table's live row, or an event-only fold) is what a restore cannot take.
      if (state !== undefined && (state[restored] === null || state[restored] === undefined)) {
        return new RecordNotDestroyedError(call.resource.name, call.recordId, { cause });
      }
      // Not live: soft-destroyed (its precondition) or missing; the fallback below names it if nothing else does.
      continue;
    }
    if (state === undefined) return new NotFoundError(call.resource.name, call.recordId, { cause });
  }
  const first = calls.find((c) => c.action.type !== "create") ?? calls[0]!;
  return new NotFoundError(first.resource.name, first.recordId, { cause });
}

async function runAfterHooks(
  config: RunnerConfig,
  call: PreparedCall,
  result: ActionResult<unknown>,
): Promise<ActionResult<unknown>> {
  const after = call.action.options.after;
  if (after === undefined) return result;
  const scoped: ActionContext = {
    correlationId: call.correlationId,
    ...(result.event === null ? {} : { causationId: result.event.id }),
    ...(call.ctx.actor === undefined ? {} : { actor: call.ctx.actor }),
    ...(call.ctx.tenant === undefined ? {} : { tenant: call.ctx.tenant }),
  };
  try {
    await after(result.record as never, {
      event: result.event,
      input: call.input as never,
      ctx: call.ctx,
      store: config.scopedStore(scoped),
    });
    return result;
  } catch (cause) {
    const hookError = new HookFailedError(call.resource.name, call.actionName, { cause });
    config.onHookError?.(hookError);
    return { ...result, hookError };
  }
}

/**
 * Hand the events of a committed batch to the store's `onCommitted` (none written: no call).
 * A throw is reported like an `after` hook's (`onHookError`, and `hookError` of each result
 * whose own hook did not fail); it never fails the batch, which is committed.
 */
async function notifyCommitted(
  config: RunnerConfig,
  results: readonly ActionResult<unknown>[],
): Promise<HookFailedError | undefined> {
  const subscriber = config.onCommitted;
  if (subscriber === undefined) return undefined;
  const events = results.flatMap((r) => (r.event === null ? [] : [r.event]));
  if (events.length === 0) return undefined;
  events.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  try {
    await subscriber(Object.freeze(events));
    return undefined;
  } catch (cause) {
    const error = new HookFailedError(events[0]!.resource, events[0]!.action, { cause, hook: "onCommitted" });
    config.onHookError?.(error);
    return error;
  }
}

/**
 * What follows a commit, in order: `onCommitted` with the batch's events, then each call's
 * `after` hook, one after the other in call order.
 */
async function afterCommit(
  config: RunnerConfig,
  calls: readonly PreparedCall[],
  results: readonly ActionResult<unknown>[],
): Promise<ActionResult<unknown>[]> {
  const subscriberError = await notifyCommitted(config, results);
  const finished: ActionResult<unknown>[] = [];
  for (const [i, result] of results.entries()) {
    const done = await runAfterHooks(config, calls[i]!, result);
    finished.push(
      subscriberError === undefined || done.hookError !== undefined ? done : {
        ...done,
        hookError: subscriberError,
      },
    );
  }
  return finished;
}

/**
 * The original outcomes of calls whose event ids are already stored (see `duplicateCalls`), or
 * undefined when none is.
 */
async function repeatedCalls(
  config: RunnerConfig,
  calls: readonly PreparedCall[],
): Promise<ActionResult<unknown>[] | undefined> {
  const found = await duplicateCalls(config, calls, (call, id) => readState(config, call, id));
  if (found === undefined) return undefined;
  // A generated event id cannot have been used by another call: when it exists, an
  // earlier attempt of this very call committed and its response was lost. Its hooks never ran.
  if (calls.some((c) => c.callerEventId)) return found;
  // As on the normal path of runCalls: this process never saw the commit, so nothing was notified.
  return await afterCommit(config, calls, found.map((result) => ({ ...result, duplicate: false })));
}

/** Whether a call's record, as read (or held), is at the position its caller expected. */
function sameAsExpected(call: PreparedCall, current: Current | undefined): boolean {
  if (current === undefined) return !call.needsRead; // not read, or read and not found
  return current.lastPosition === positionParam(call.expected!.position);
}

/**
 * Calls whose expected position failed: when their event ids are stored already (a caller's
 * repeat, or a resend after a lost response), their first outcome, which is what moved the
 * record on; otherwise the typed error of the first call whose record moved.
 *
 * @throws {StaleRecordError} a record's last event is elsewhere, or its held record differs
 * @throws {NotFoundError} a record is gone at the expected position
 */
async function failedExpectation(
  config: RunnerConfig,
  calls: readonly PreparedCall[],
  planned: readonly PreparedCall[],
  failure: { readonly lostResponse: boolean; readonly cause: unknown },
): Promise<ActionResult<unknown>[]> {
  if (failure.lostResponse || calls.some((c) => c.callerEventId)) {
    const found = await repeatedCalls(config, calls);
    if (found !== undefined) return found;
  }
  throw await staleRecordError(config, planned, failure.cause);
}

/**
 * Build the writes in call order. In a transaction, a create's record id handed out at
 * planning (its placeholder) may differ from the key it writes, when the key comes from a
 * `before` hook (or the placeholder stood for a key the planner could not know yet): later
 * calls of the transaction that name the placeholder address the written key instead.
 */
async function buildAll(
  config: RunnerConfig,
  calls: readonly PreparedCall[],
  attempt: {
    readonly current: ReadonlyMap<PreparedCall, Current>;
    readonly now: Date;
    readonly placeholders: ReadonlyMap<PreparedCall, string> | undefined;
  },
): Promise<{ planned: PreparedCall[]; built: BuiltWrite[] }> {
  const { current, now, placeholders } = attempt;
  const keys = new Map<string, SqlParam>();
  const planned: PreparedCall[] = [];
  const built: BuiltWrite[] = [];
  for (const call of calls) {
    const key = call.action.type === "create" ? undefined : keys.get(call.recordId);
    const target = key === undefined ? call : Object.freeze({ ...call, primaryKey: key, recordId: String(key) });
    const write = await buildWrite(config.log, target, current.get(call), { now, keyring: config.keyring });
    const placeholder = placeholders?.get(call);
    if (placeholder !== undefined && write.primaryKey !== null && String(write.primaryKey) !== placeholder) {
      keys.set(placeholder, write.primaryKey);
    }
    planned.push(target);
    built.push(write);
  }
  return { planned, built };
}

/**
 * The write locks of a batch: each call's key and, under a custom `lock.key` function (whose
 * keys may differ between the actions of one record), the key of each event-only record
 * written, so that no two writers of one event-only record check its last event at once. The
 * global and tenant scopes give every write of a record the same key already. A chained log adds
 * the key of each event's chain (see `chainLockKey`).
 */
function lockKeys(config: RunnerConfig, calls: readonly PreparedCall[], built: readonly BuiltWrite[]): LockKey[] {
  const keys: LockKey[] = calls.map((c) => c.lockKey);
  // A chained log: the key that orders each event's chain too (the same key under the matching scope).
  for (const call of calls) {
    const chain = call.tracked ? chainLockKey(config.log.integrity, call.tenant) : undefined;
    if (chain !== undefined) keys.push(chain);
  }
  if (!("key" in config.log.lock)) return keys;
  for (const b of built) if (b.eventOnly !== undefined) keys.push(recordLockKey(b.eventOnly.record));
  return keys;
}

/**
 * Run prepared calls atomically in one batch (after one read round trip when a
 * change-function update needs the current record and its caller does not hold it).
 *
 * @throws {NotFoundError} an update or destroy addressed a missing record
 * @throws {StaleRecordError} a call's record is not at its `expectedPosition` (never retried)
 * @throws {ConflictError} a change-function update kept conflicting
 * @throws {ReplayInProgressError} a replay is running
 * @throws {StorageError} the database failed
 */
export async function runCalls(
  config: RunnerConfig,
  calls: readonly PreparedCall[],
  placeholders?: ReadonlyMap<PreparedCall, string>,
): Promise<ActionResult<unknown>[]> {
  const { maxAttempts, baseDelayMs, maxDelayMs } = config.conflictRetry;
  let lostResponse = false;
  for (let attempt = 1;; attempt++) {
    const current = await readCurrent(config, calls);
    // A record read elsewhere than its caller expected: nothing to send (the write would refuse it).
    if (calls.some((c) => c.expected !== undefined && !sameAsExpected(c, current.get(c)))) {
      return await failedExpectation(config, calls, calls, { lostResponse, cause: undefined });
    }
    // The first attempt plans with the clock read when the calls were planned (the latest of
    // them, in a transaction), every retry with a fresh one; the prelude corrects it under the locks.
    const now = attempt === 1 ? new Date(Math.max(...calls.map((c) => c.occurredAt.getTime()))) : config.clock();
    const { planned, built } = await buildAll(config, calls, { current, now, placeholders });
    const prelude = writePreludeSql(config.log, lockKeys(config, calls, built), calls.map((c) => c.tenant), now);
    const writes = built.flatMap((b) => [...b.before, b.statement]);
    // Where each call's write result is: after the prelude (one statement, index 0) and every
    // statement before it.
    const at = built.map((_, i) => built.slice(0, i + 1).reduce((n, b) => n + b.before.length + 1, 0));
    // Inline projections last: they read the batch's events (their position) and commit or fail with them.
    const inline = config.inlineStatements?.(planned, built) ?? NO_INLINE;
    // Then, per record of a savepointEvery resource, its events since its newest savepoint.
    const due = await savepointChecks(config, planned, built);
    const sent = await batchWithResend(config, [prelude, ...writes, ...inline.statements, ...due.statements]);
    if ("error" in sent) {
      const code = storageCode(sent.error);
      lostResponse ||= sent.lostResponse;
      // A failure may be caused by an earlier commit of these very events (after a lost
      // response, or a caller repeating its event id): a destroy then finds no record, a
      // change function finds it changed, an insert a duplicate key. So look for them first.
      // (Deno's fetch resends a POST whose keep-alive connection dropped, so a lost response
      // can come back as one of these with outcomeUnknown false.)
      // (A stale change-function write needs no lookup: its retry re-sends the same event id,
      // and a duplicate key then finds the earlier commit.)
      // An expected position fails too when an earlier commit of this very call moved it.
      if (code === EXPECTED_POSITION_SQLSTATE) {
        return await failedExpectation(config, calls, planned, { lostResponse, cause: sent.error });
      }
      const repeated = code === NOT_FOUND_SQLSTATE;
      if (code === "23505" || lostResponse || repeated) {
        const found = await repeatedCalls(config, calls);
        if (found !== undefined) return found;
      }
      if (code === REPLAY_IN_PROGRESS_SQLSTATE) throw new ReplayInProgressError({ cause: sent.error });
      if (code === PARENT_LINK_SQLSTATE) throw parentLinkError(sent.error);
      if (code === PROJECTION_REBUILDING_SQLSTATE) {
        throw new ProjectionRebuildingError(inline.projections, { cause: sent.error });
      }
      if (code === NOT_FOUND_SQLSTATE) throw await notFound(config, planned, sent.error);
      if (code === STALE_SQLSTATE) {
        if (attempt >= maxAttempts) {
          throw new ConflictError(`The record kept changing; gave up after ${attempt} attempts`, attempt, {
            cause: sent.error,
          });
        }
        await sleep(Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
        continue;
      }
      throw sent.error;
    }
    const results: ActionResult<unknown>[] = [];
    for (const [i, call] of planned.entries()) {
      const b = built[i]!;
      const row = sent.results[at[i]!]!.rows[0]!;
      const outcome = b.eventOnly === undefined ? resultOf(call, b, row) : await eventOnlyResultOf(config, call, {
        built: b,
        row,
        events: b.eventOnly.readsEvents ? sent.results[at[i]! - 1]!.rows : undefined,
      }, current.get(calls[i]!));
      results.push({ ...outcome, duplicate: false, hookError: undefined });
    }
    const finished = await afterCommit(config, calls, results);
    // After the result is ready, never failing it: two more requests every savepointEvery writes of a record.
    const counts = sent.results.slice(sent.results.length - due.statements.length);
    await takeDueSavepoints(config, due.checks, counts, results.map((r) => r.event));
    return finished;
  }
}
