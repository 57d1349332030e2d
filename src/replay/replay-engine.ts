/**
 * The replay engine: start (fence + clear), page through the log, apply each page in one
 * batch with its checkpoint, stop or skip on bad events, finish or hand back a cursor.
 * @module
 */
import {
  EdgeEventsError,
  isEdgeEventsError,
  ReplayAlreadyRunningError,
  ReplayError,
  type StorageError,
} from "../core/errors.ts";
import type { SqlStatement } from "../core/executor.ts";
import { newEventId } from "../core/ids.ts";
import { rowToEvent } from "../core/record-mapping.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { validationError } from "../core/validation.ts";
import { checkReplayScope } from "./check-scope.ts";
import {
  checkpointSql,
  countEventsInScopeSql,
  eventPageSql,
  eventPositionSql,
  exclusiveFenceSql,
  finishReplaySql,
  insertReplaySql,
  noteReplayErrorSql,
  replayByIdSql,
  runningReplaySql,
} from "../sql/replay-statements.ts";
import { type EventPlan, planEvent, replayWriteSql } from "./apply-event.ts";
import { clearForReplay, clearStatements, isStale, lostReplay } from "./clear.ts";
import { requestBytes, statementBytes } from "./request-size.ts";
import { supersedingAdoption } from "./superseded.ts";
import { foldPageSql } from "./fold-page.ts";
import type { ReplayOptions, ReplayResult, ReplayScope } from "./replay-types.ts";
import { type CallStats, DEFAULT_PAGE_SIZE, newStats, pageSizeOf, result, type RunState } from "./run-state.ts";
import { dryRun } from "./dry-run.ts";
import { canonicalTenant } from "../core/canonical-id.ts";
import type { ReplayEnv } from "./replay-env.ts";

async function start(
  env: ReplayEnv,
  scope: ReplayScope,
  onError: "stop" | "skip",
  pageSize: number,
  stats: CallStats,
): Promise<RunState> {
  if (env.config.clear === undefined) {
    throw new EdgeEventsError(
      "REPLAY_NOT_CONFIGURED",
      'Replay needs a clear strategy: set replay.clear to "tracked-tables" or a function on the store',
    );
  }
  const tenant = scope.tenant === undefined ? null : String(canonicalTenant(scope.tenant));
  let target: bigint | null = null;
  if (scope.untilEventId !== undefined) {
    const row = (await env.db.query(eventPositionSql(env.log, scope.untilEventId))).rows[0];
    stats.roundTrips++;
    if (row === undefined) throw validationError("No event has that id", "untilEventId", "not_found");
    target = BigInt(row["position"] as bigint);
  }
  const untilTime = scope.untilTime ?? null;
  const replayId = newEventId();
  const options = JSON.stringify({
    untilEventId: scope.untilEventId ?? null,
    untilTime: untilTime?.toISOString() ?? null,
    onError,
    pageSize,
  });
  const statements = [
    exclusiveFenceSql(env.log),
    insertReplaySql(env.log, replayId, tenant, target, options, untilTime),
  ];
  if (env.config.clear === "tracked-tables") statements.push(...clearStatements(env, tenant));
  let results;
  try {
    results = await env.db.batch(statements);
  } catch (error) {
    if (isEdgeEventsError(error, "STORAGE_FAILURE") && error.sqlState === "23505") {
      throw new ReplayAlreadyRunningError({ cause: error });
    }
    throw error;
  }
  stats.roundTrips++;
  // A clear function runs after the start commits: like a resumer's, its requests hold the replay.
  if (typeof env.config.clear === "function") await clearForReplay(env, replayId, tenant, stats);
  const targetPosition = BigInt(results[1]!.rows[0]!["target_position"] as bigint);
  return {
    replayId,
    bounds: { targetPosition, tenant },
    onError,
    pageSize,
    lastPosition: 0n,
    applied: 0,
    skipped: 0,
    routed: 0,
    eventsInScope: undefined,
  };
}

function stateFromRow(
  row: Record<string, unknown>,
  pageSize: number | undefined,
  onError: "stop" | "skip" | undefined,
): RunState {
  const options = (typeof row["options"] === "string" ? JSON.parse(row["options"]) : row["options"]) as Record<
    string,
    unknown
  >;
  return {
    replayId: String(row["replay_id"]),
    bounds: {
      targetPosition: BigInt(row["target_position"] as bigint),
      tenant: (row["tenant"] as string | null) ?? null,
    },
    onError: onError ?? (options["onError"] === "skip" ? "skip" : "stop"),
    pageSize: pageSize ?? Number(options["pageSize"] ?? DEFAULT_PAGE_SIZE),
    lastPosition: BigInt(row["last_position"] as bigint),
    applied: Number(row["applied"]),
    skipped: Number(row["skipped"]),
    routed: Number(row["routed"]),
    eventsInScope: options["eventsInScope"] === undefined ? undefined : Number(options["eventsInScope"]),
  };
}

async function load(
  env: ReplayEnv,
  replayId: string | undefined,
  stats: CallStats,
  pageSize: number | undefined,
  onError: "stop" | "skip" | undefined,
): Promise<RunState> {
  const result = await env.db.query(
    replayId === undefined ? runningReplaySql(env.log) : replayByIdSql(env.log, replayId),
  );
  stats.roundTrips++;
  const row = result.rows[0];
  if (row === undefined) {
    throw new ReplayError(replayId === undefined ? "No replay is running" : "No replay has that cursor");
  }
  if (row["status"] !== "running") throw new ReplayError(`That replay is ${String(row["status"])}, not running`);
  const state = stateFromRow(row, pageSize, onError);
  // Before any page committed, clear again (the previous call may have died before its
  // clear): conditional on the replay still being there, so a resumer that lost the race
  // stops instead of wiping what another rebuilt.
  if (state.lastPosition === 0n) await clearForReplay(env, state.replayId, state.bounds.tenant, stats);
  return state;
}

function failureMessage(error: unknown): string {
  if (isEdgeEventsError(error, "STORAGE_FAILURE") && error.sqlState === "EEN01") {
    return "the record it changes does not exist";
  }
  return error instanceof Error ? error.message : "the database refused it";
}

async function stop(
  env: ReplayEnv,
  state: RunState,
  event: StoredEvent,
  reason: string,
  cause?: unknown,
): Promise<never> {
  const message =
    `Event at position ${event.position} (${event.resource}.${event.action} v${event.version}) could not be applied: ${reason}`;
  await env.db.query(noteReplayErrorSql(env.log, state.replayId, message)).catch(() => undefined);
  throw new ReplayError(message, {
    position: event.position,
    eventId: event.id,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** How far a commit moves the checkpoint, and what it counts on the way. */
interface Advance {
  /** The position of the last event the commit covers. */
  readonly to: bigint;
  readonly applied: number;
  readonly skipped: number;
  readonly routed: number;
}

/** The checkpoint update of a page, which also holds the replay's row for the rest of its batch. */
function checkpointOf(env: ReplayEnv, state: RunState, advance: Advance): SqlStatement {
  const { to, applied, skipped, routed } = advance;
  return checkpointSql(env.log, state.replayId, state.lastPosition, { lastPosition: to, applied, skipped, routed });
}

/** One batch: the checkpoint moved by `advance`, then `statements`; the run state follows on success. */
async function commit(
  env: ReplayEnv,
  state: RunState,
  advance: Advance,
  statements: readonly SqlStatement[],
  stats: CallStats,
): Promise<void> {
  try {
    // The checkpoint first: it locks the replay's row, so pages and clears of this replay
    // queue on that one row, and a lost race is found before any write runs.
    await env.db.batch([checkpointOf(env, state, advance), ...statements]);
  } catch (error) {
    if (isStale(error)) throw lostReplay(state.replayId, error);
    throw error;
  } finally {
    stats.roundTrips++;
  }
  state.lastPosition = advance.to;
  state.applied += advance.applied;
  state.skipped += advance.skipped;
  state.routed += advance.routed;
}

/** Skip one event: the checkpoint moves past it alone, and the reason is reported. */
async function skipEvent(
  env: ReplayEnv,
  state: RunState,
  event: StoredEvent,
  reason: string,
  stats: CallStats,
): Promise<void> {
  await commit(env, state, { to: event.position, applied: 0, skipped: 1, routed: 0 }, [], stats);
  stats.skippedEvents.push({ position: event.position, eventId: event.id, reason });
}

/** Whether a failed batch is known to have committed nothing (so its events may be retried one by one). */
function nothingCommitted(error: unknown): error is StorageError {
  return isEdgeEventsError(error, "STORAGE_FAILURE") && !error.outcomeUnknown;
}

/** Whether Postgres itself refused the write: only then may the event be blamed (stopped at or skipped). */
function refusedByDatabase(error: unknown): error is StorageError {
  return nothingCommitted(error) && error.sqlState !== undefined;
}

/** Before blaming an event: a refusal caused by another process applying the same page is not the event's fault. */
async function assertStillOurs(env: ReplayEnv, state: RunState, stats: CallStats): Promise<void> {
  const row = (await env.db.query(replayByIdSql(env.log, state.replayId))).rows[0];
  stats.roundTrips++;
  if (row?.["status"] !== "running" || BigInt(row["last_position"] as bigint) !== state.lastPosition) {
    throw lostReplay(state.replayId);
  }
}

/** A page's write request stays under this many bytes unless the store says otherwise. */
const DEFAULT_MAX_BATCH_BYTES = 4_194_304; // 4 MiB, a literal: a bundle that does not use replay drops it

/**
 * How many leading events of a page fit in one request of at most `maxBytes` (at least one):
 * measured on the encoded request of their statements one by one with the checkpoint, the
 * largest way the page is sent. The rest is read again as the next page, so a page of large
 * events never exceeds the request limit of an HTTP driver.
 */
function fittingEvents(
  env: ReplayEnv,
  state: RunState,
  events: readonly StoredEvent[],
  plans: readonly EventPlan[],
  maxBytes: number,
): number {
  let bytes = requestBytes([
    checkpointOf(env, state, {
      to: events[events.length - 1]!.position,
      applied: events.length,
      skipped: events.length,
      routed: events.length,
    }),
  ]);
  for (const [i, plan] of plans.entries()) {
    if ("writes" in plan) bytes += plan.writes.reduce((n, w) => n + statementBytes(replayWriteSql(env.log, w)), 0);
    if (bytes > maxBytes && i > 0) return i;
  }
  return events.length;
}

/** Apply one page: one batch, or event by event to find the one the database refuses. */
async function applyPage(
  env: ReplayEnv,
  state: RunState,
  events: StoredEvent[],
  plans: EventPlan[],
  stats: CallStats,
): Promise<void> {
  const firstBad = plans.findIndex((p) => "failure" in p);
  if (firstBad !== -1 && state.onError === "stop") {
    if (firstBad > 0) await applyPage(env, state, events.slice(0, firstBad), plans.slice(0, firstBad), stats);
    const bad = plans[firstBad] as { failure: string; cause?: unknown };
    return stop(env, state, events[firstBad]!, bad.failure, bad.cause);
  }
  const writes = plans.flatMap((p) => ("writes" in p ? p.writes : []));
  const applied = plans.filter((p) => "writes" in p).length;
  const routed = plans.filter((p) => "routed" in p && p.routed).length;
  // Set-based statements first (a few per table); if the database refuses them (a foreign
  // key that wants another order, a missing record), the same writes one statement each.
  const folded = foldPageSql(env.log, writes);
  const maxBytes = env.config.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const advance: Advance = {
    to: events[events.length - 1]!.position,
    applied,
    skipped: events.length - applied,
    routed,
  };
  // A fold can encode larger than the statements one by one (JSON escaped twice): then it is not sent.
  const foldFits = folded !== undefined &&
    requestBytes([checkpointOf(env, state, advance), ...folded]) <= maxBytes;
  const attempts = !foldFits
    ? [writes.map((w) => replayWriteSql(env.log, w))]
    : [folded, () => writes.map((w) => replayWriteSql(env.log, w))];
  for (const attempt of attempts) {
    try {
      await commit(env, state, advance, typeof attempt === "function" ? attempt() : attempt, stats);
      plans.forEach((p, i) => {
        if ("failure" in p) {
          stats.skippedEvents.push({ position: events[i]!.position, eventId: events[i]!.id, reason: p.failure });
        }
      });
      return;
    } catch (error) {
      // A lost answer may hide a commit, and a moved checkpoint is not ours to go on from:
      // stop there, resumable. Anything else committed nothing: try the next way.
      if (!nothingCommitted(error)) throw error;
    }
  }
  // Event by event: apply what can be applied; skip or stop at what cannot.
  for (const [i, event] of events.entries()) {
    const plan = plans[i]!;
    if ("failure" in plan) {
      if (state.onError === "stop") return stop(env, state, event, plan.failure, plan.cause);
      await skipEvent(env, state, event, plan.failure, stats);
      continue;
    }
    try {
      const advance = { to: event.position, applied: 1, skipped: 0, routed: plan.routed ? 1 : 0 };
      await commit(env, state, advance, plan.writes.map((w) => replayWriteSql(env.log, w)), stats);
    } catch (error) {
      // A network failure or a lost answer is never the event's fault: stop, resumable.
      if (!refusedByDatabase(error)) throw error;
      await assertStillOurs(env, state, stats);
      const adoption = await supersedingAdoption(env, event, error, stats);
      if (adoption !== undefined) {
        await skipEvent(env, state, event, `superseded by the adoption at position ${adoption}`, stats);
        continue;
      }
      const reason = failureMessage(error);
      if (state.onError === "stop") return stop(env, state, event, reason, error);
      await skipEvent(env, state, event, reason, stats);
    }
  }
}

/** Events in scope not yet applied or skipped: counted once per replay, then kept on its row. */
async function remainingOf(env: ReplayEnv, state: RunState, stats: CallStats): Promise<number> {
  if (state.eventsInScope === undefined) {
    state.eventsInScope = Number(
      (await env.db.query(countEventsInScopeSql(env.log, state.replayId, state.bounds))).rows[0]!["count"],
    );
    stats.roundTrips++;
  }
  return Math.max(0, state.eventsInScope - state.applied - state.skipped);
}

async function loop(
  env: ReplayEnv,
  state: RunState,
  stats: CallStats,
  deadline: number,
  options: Pick<ReplayOptions, "signal" | "onProgress">,
): Promise<ReplayResult> {
  stats.remaining = await remainingOf(env, state, stats);
  for (;;) {
    if (options.signal?.aborted === true || (stats.pages > 0 && Date.now() >= deadline)) {
      return result(state, stats, false);
    }
    const page = await env.db.query(eventPageSql(env.log, state.bounds, state.lastPosition, state.pageSize));
    stats.roundTrips++;
    if (page.rows.length === 0) {
      const finished = await env.db.query(finishReplaySql(env.log, state.replayId, "completed"));
      stats.roundTrips++;
      if (finished.rows.length === 0) throw lostReplay(state.replayId);
      return result(state, stats, true);
    }
    const read = page.rows.map((row) => rowToEvent(env.log, row));
    const planned = await Promise.all(read.map((event) => planEvent(env, event)));
    const fit = fittingEvents(env, state, read, planned, env.config.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
    await applyPage(env, state, read.slice(0, fit), planned.slice(0, fit), stats);
    stats.pages++;
    stats.remaining = await remainingOf(env, state, stats);
    options.onProgress?.(result(state, stats, false));
  }
}

/** Run a replay to its end (or until `signal` aborts it). See {@link ReplayOptions}. */
export async function runReplay(env: ReplayEnv, options: ReplayOptions = {}): Promise<ReplayResult> {
  checkReplayScope(options);
  if (options.dryRun === true) return dryRun(env, options);
  const pageSize = options.pageSize === undefined ? undefined : pageSizeOf(env.config, options.pageSize);
  const stats = newStats();
  const state = options.resume === true
    ? await load(env, undefined, stats, pageSize, options.onError)
    : await start(env, options, options.onError ?? "stop", pageSizeOf(env.config, pageSize), stats);
  return loop(env, state, stats, Number.POSITIVE_INFINITY, options);
}

/** Run one bounded step of a replay; pass the returned `replayId` as the next cursor. */
export async function runReplayStep(
  env: ReplayEnv,
  options: { cursor?: string; budgetMs: number; onError?: "stop" | "skip"; pageSize?: number } & ReplayScope,
): Promise<ReplayResult> {
  if (!(options.budgetMs > 0)) throw new RangeError("budgetMs must be positive");
  checkReplayScope(options);
  const pageSize = options.pageSize === undefined ? undefined : pageSizeOf(env.config, options.pageSize);
  const stats = newStats();
  const state = options.cursor !== undefined
    ? await load(env, options.cursor, stats, pageSize, options.onError)
    : await start(env, options, options.onError ?? "stop", pageSizeOf(env.config, pageSize), stats);
  return loop(env, state, stats, stats.started + options.budgetMs, {});
}

/** Abort the running replay: lift the fence, leaving tables as they are. Returns whether one ran. */
export async function abortReplay(env: ReplayEnv): Promise<boolean> {
  const running = (await env.db.query(runningReplaySql(env.log))).rows[0];
  if (running === undefined) return false;
  const done = await env.db.query(finishReplaySql(env.log, String(running["replay_id"]), "aborted"));
  return done.rows.length > 0;
}
