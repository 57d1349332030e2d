/**
 * Running prepared calls: the one-round-trip batch, the optimistic retry of change-function
 * updates, idempotent duplicates, lost-response recovery, and `after` hooks.
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { Executor, QueryResult, Row, SqlParam, SqlStatement } from "./executor.ts";
import { ConflictError, HookFailedError, isEdgeEventsError, NotFoundError, ReplayInProgressError } from "./errors.ts";
import { canonicalJson, type JsonObject, toJson } from "./json.ts";
import { parseJson, rowToEvent, rowToRecord } from "./record-mapping.ts";
import type { StoredEvent } from "./stored-event.ts";
import type { ActionResult, ActionStore } from "./store-types.ts";
import type { ActionContext } from "./context.ts";
import { inputToAttributes, type PreparedCall } from "./prepare-call.ts";
import { buildWrite, type BuiltWrite, recordSelectorOf, writeTarget } from "./write-plan.ts";
import { validationError } from "./validation.ts";
import { NOT_FOUND_SQLSTATE, REPLAY_IN_PROGRESS_SQLSTATE, STALE_SQLSTATE } from "../sql/event-log-ddl.ts";
import {
  LAST_POSITION_ALIAS,
  OCCURRED_AT_ALIAS,
  POSITION_ALIAS,
  readIgnoredCallsSql,
  readRecordSql,
  RECORD_ID_ALIAS,
} from "../sql/write-statements.ts";
import { fenceCheckSql, writePreludeSql } from "../sql/write-prelude.ts";
import { readEventsByIdSql } from "../sql/read-events.ts";

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
  readonly conflictRetry: Required<ConflictRetryOptions>;
  /** Resends of a batch whose response was lost (safe: the event id makes it idempotent). */
  readonly lostResponseRetries: number;
  /** The store's actions scoped to an event, handed to `after` hooks. */
  readonly scopedStore: (ctx: ActionContext) => ActionStore;
  readonly onHookError: ((error: HookFailedError) => void) | undefined;
  /** The store's clock, read again for every retry after a conflict: the batch's proposed stamp. */
  readonly clock: () => Date;
}

type Current = { record: Record<string, unknown>; lastPosition: bigint | null };

function storageCode(error: unknown): string | undefined {
  return isEdgeEventsError(error, "STORAGE_FAILURE") ? error.sqlState : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readCurrent(config: RunnerConfig, calls: readonly PreparedCall[]): Promise<Map<PreparedCall, Current>> {
  const reading = calls.filter((c) => c.needsRead);
  const current = new Map<PreparedCall, Current>();
  if (reading.length === 0) return current;
  const statements = reading.map((c) => readRecordSql(config.log, writeTarget(c.resource), recordSelectorOf(c)));
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
  reading.forEach((call, i) => {
    const row = results[i]?.rows[0];
    if (row === undefined) throw new NotFoundError(call.resource.name, call.recordId);
    const last = row[LAST_POSITION_ALIAS];
    current.set(call, {
      record: rowToRecord(call.resource, row),
      lastPosition: last === null || last === undefined ? null : BigInt(last as bigint),
    });
  });
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

function resultOf(
  call: PreparedCall,
  built: BuiltWrite,
  row: Row,
): { record: Record<string, unknown>; event: StoredEvent | null } {
  const record = rowToRecord(call.resource, row);
  if (built.event === null) return { record, event: null };
  const changes: JsonObject = { ...built.changes };
  for (const attribute of built.atomicAttributes) changes[attribute] = toJson(record[attribute] ?? null);
  // The stamp the database gave the batch, as it stored it in occurred_at and in `changes`.
  const stamp = String(row[OCCURRED_AT_ALIAS]);
  for (const attribute of built.stampedAttributes) changes[attribute] = stamp;
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
    metadata: call.metadata,
    tenant: built.event.tenant,
    correlationId: built.event.correlationId,
    causationId: built.event.causationId,
    actor: call.actor === null ? null : { type: call.actor.type, id: call.actor.id },
  });
  return { record, event };
}

/** What a call that wrote before is known by: its event, or its row in the idempotency table. */
interface StoredCall {
  readonly resource: string;
  readonly action: string;
  readonly recordId: string;
  readonly tenant: string | null;
  readonly data: JsonObject;
  readonly changes: JsonObject;
  /** Null for an ignored call. */
  readonly event: StoredEvent | null;
}

function storedIgnoredCall(row: Row): StoredCall {
  return {
    resource: String(row["resource"]),
    action: String(row["action"]),
    recordId: String(row["record_id"]),
    tenant: (row["tenant"] as string | null) ?? null,
    data: parseJson(row["data"]),
    changes: {},
    event: null,
  };
}

/**
 * Whether a stored call is this very call: same resource, action, tenant, record (for updates
 * and destroys) and validated input (compared canonically: `jsonb` does not keep key order).
 */
function sameCall(call: PreparedCall, stored: StoredCall, recordId: string): boolean {
  return stored.resource === call.resource.name && stored.action === call.actionName && stored.tenant === call.tenant &&
    (call.action.type === "create" || stored.recordId === recordId) &&
    canonicalJson(stored.data) === canonicalJson(call.input ?? {});
}

/**
 * Look up the ids of `calls` in the event table and the idempotency table. None found:
 * undefined. All found, each for this very call: the original outcomes as duplicates. Anything
 * else is a reused id: `VALIDATION_FAILED` naming `eventId`, with nothing of what is stored.
 */
async function duplicates(
  config: RunnerConfig,
  calls: readonly PreparedCall[],
): Promise<ActionResult<unknown>[] | undefined> {
  const ids = calls.map((c) => c.eventId);
  const [events, ignored] = await config.db.batch([
    readEventsByIdSql(config.log, ids),
    readIgnoredCallsSql(config.log, ids),
  ], { readOnly: true });
  const tracked = new Map(events!.rows.map((row) => [String(row["id"]), rowToEvent(config.log, row)]));
  const untracked = new Map(ignored!.rows.map((row) => [String(row["id"]), storedIgnoredCall(row)]));
  const used = calls.filter((c) => tracked.has(c.eventId) || untracked.has(c.eventId));
  if (used.length === 0) return undefined;
  if (used.length !== calls.length) {
    throw validationError("Some event ids of this transaction were used before, some not", "eventId", "duplicate");
  }
  const stored = calls.map((call): StoredCall | undefined => {
    if (!call.tracked) return untracked.get(call.eventId);
    const event = tracked.get(call.eventId);
    return event === undefined ? undefined : { ...event, event };
  });
  // A retried transaction plans its creates' generated keys anew: a later call that addresses
  // a record created earlier in the transaction is compared with the record that create made.
  const created = new Map<string, string>();
  calls.forEach((call, i) => {
    if (call.action.type === "create" && stored[i] !== undefined) {
      created.set(`${call.resource.name}\0${call.recordId}`, stored[i]!.recordId);
    }
  });
  const same = (call: PreparedCall, i: number): boolean =>
    stored[i] !== undefined &&
    sameCall(call, stored[i]!, created.get(`${call.resource.name}\0${call.recordId}`) ?? call.recordId);
  // One answer for every mismatch, so that a guessed or leaked id tells nothing of its call.
  if (!calls.every(same)) {
    throw validationError("The event id was already used by another call", "eventId", "duplicate");
  }
  const out: ActionResult<unknown>[] = [];
  for (const [i, call] of calls.entries()) {
    const { recordId, data, changes, event } = stored[i]!;
    // The caller's tenant (equal to the stored one, as checked above), never the stored event's.
    const selector = recordSelectorOf(call, recordId);
    const row = (await config.db.query(readRecordSql(config.log, writeTarget(call.resource), selector))).rows[0];
    const described = call.action.type === "create"
      ? { ...inputToAttributes(call.resource, call.action, data), ...changes }
      : { [call.resource.primaryKey.attribute]: recordId, ...changes };
    out.push({
      record: row === undefined ? described : rowToRecord(call.resource, row),
      event,
      duplicate: true,
      hookError: undefined,
    });
  }
  return out;
}

async function notFound(config: RunnerConfig, calls: readonly PreparedCall[], cause: unknown): Promise<NotFoundError> {
  for (const call of calls) {
    if (call.action.type === "create") continue;
    const read = readRecordSql(config.log, writeTarget(call.resource), recordSelectorOf(call));
    const rows = (await config.db.query(read)).rows;
    if (rows.length === 0) return new NotFoundError(call.resource.name, call.recordId, { cause });
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
    const write = await buildWrite(config.log, target, current.get(call), now);
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
 * Run prepared calls atomically in one batch (after one read round trip when a
 * change-function update needs the current record).
 *
 * @throws {NotFoundError} an update or destroy addressed a missing record
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
    // The first attempt plans with the clock read when the calls were planned (the latest of
    // them, in a transaction), every retry with a fresh one; the prelude corrects it under the locks.
    const now = attempt === 1 ? new Date(Math.max(...calls.map((c) => c.occurredAt.getTime()))) : config.clock();
    const { planned, built } = await buildAll(config, calls, { current, now, placeholders });
    const prelude = writePreludeSql(config.log, calls.map((c) => c.lockKey), calls.map((c) => c.tenant), now);
    const writes = built.flatMap((b) => [...b.before, b.statement]);
    // Where each call's write result is: after the prelude (one statement, index 0) and every
    // statement before it.
    const at = built.map((_, i) => built.slice(0, i + 1).reduce((n, b) => n + b.before.length + 1, 0));
    const sent = await batchWithResend(config, [prelude, ...writes]);
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
      const repeated = code === NOT_FOUND_SQLSTATE;
      if (code === "23505" || lostResponse || repeated) {
        const found = await duplicates(config, calls);
        if (found !== undefined) {
          // A generated event id cannot have been used by another call: when it exists, an
          // earlier attempt of this very call committed and its response was lost. Its hooks never ran.
          if (calls.some((c) => c.callerEventId)) return found;
          // Sequential, in call order, as on the normal path below.
          const finished: ActionResult<unknown>[] = [];
          for (const [i, result] of found.entries()) {
            finished.push(await runAfterHooks(config, calls[i]!, { ...result, duplicate: false }));
          }
          return finished;
        }
      }
      if (code === REPLAY_IN_PROGRESS_SQLSTATE) throw new ReplayInProgressError({ cause: sent.error });
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
    const results = planned.map((call, i) => {
      const row = sent.results[at[i]!]!.rows[0]!;
      return { ...resultOf(call, built[i]!, row), duplicate: false, hookError: undefined } satisfies ActionResult<
        unknown
      >;
    });
    const finished: ActionResult<unknown>[] = [];
    for (const [i, result] of results.entries()) finished.push(await runAfterHooks(config, calls[i]!, result));
    return finished;
  }
}
