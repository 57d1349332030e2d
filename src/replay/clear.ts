/**
 * Clearing the tracked tables before a replay applies its first page, and only then: every
 * clearing request holds the replay's state row first, in the same transaction, and is
 * refused unless that replay is still running at checkpoint 0. So a resumer that lost the
 * race to another (which cleared, applied pages, maybe finished) never wipes what the other
 * rebuilt: it stops with {@link ReplayConflictError}.
 * @module
 */
import { isEdgeEventsError, ReplayConflictError } from "../core/errors.ts";
import type { Executor, QueryResult, SqlStatement } from "../core/executor.ts";
import { STALE_SQLSTATE } from "../sql/event-log-ddl.ts";
import { clearTableSql, holdForClearSql } from "../sql/replay-statements.ts";
import type { ReplayEnv } from "./replay-env.ts";
import type { CallStats } from "./run-state.ts";

/**
 * The `DELETE`s of the `"tracked-tables"` strategy, in reverse definition order. Event-only
 * resources have no table: their state is their events, which replay never clears.
 */
export function clearStatements(env: ReplayEnv, tenant: string | null): SqlStatement[] {
  const statements: SqlStatement[] = [];
  for (const r of [...env.resources.values()].reverse()) {
    if (r.table === null || (tenant !== null && r.tenant === undefined)) continue;
    statements.push(clearTableSql(r.table, r.tenant === undefined ? undefined : r.columns[r.tenant], tenant));
  }
  return statements;
}

/** Whether a failure is the stale SQLSTATE: the replay's state row moved under this call. */
export function isStale(error: unknown): boolean {
  return isEdgeEventsError(error, "STORAGE_FAILURE") && error.sqlState === STALE_SQLSTATE;
}

/** The error of a call that lost its replay to another process. */
export function lostReplay(replayId: string, cause?: unknown): ReplayConflictError {
  return new ReplayConflictError(
    "The replay was aborted, finished or continued elsewhere",
    replayId,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The executor a clear function receives: each request it sends carries the hold of the
 * replay first, so each of its statements commits only while no page of the replay has.
 */
function heldExecutor(env: ReplayEnv, replayId: string, lost: { value: boolean }): Executor {
  const hold = holdForClearSql(env.log, replayId);
  const batchHeld = async (
    statements: readonly SqlStatement[],
    options?: Parameters<Executor["batch"]>[1],
  ): Promise<QueryResult[]> => {
    try {
      return (await env.db.batch([hold, ...statements], options)).slice(1);
    } catch (error) {
      if (!isStale(error)) throw error;
      lost.value = true;
      throw lostReplay(replayId, error);
    }
  };
  return {
    kind: env.db.kind,
    query: async <R extends Record<string, unknown>>(statement: SqlStatement) =>
      (await batchHeld([statement]))[0] as QueryResult<R>,
    batch: (statements, options) => batchHeld(statements, options),
  };
}

/**
 * Clear the tables of a replay that is running at checkpoint 0 (just started, or resumed
 * before its first page committed). `"tracked-tables"`: one request, the hold then the
 * `DELETE`s. A clear function: called with an executor whose every request holds the replay
 * first; statements it sends any other way are not protected.
 * @throws {ReplayConflictError} code `REPLAY_CONFLICT` when the replay moved on elsewhere
 */
export async function clearForReplay(
  env: ReplayEnv,
  replayId: string,
  tenant: string | null,
  stats: CallStats,
): Promise<void> {
  const how = env.config.clear;
  if (how === undefined) return;
  if (typeof how === "function") {
    const lost = { value: false };
    try {
      await how({
        db: heldExecutor(env, replayId, lost),
        tenant,
        resources: [...env.resources.values()].filter((r) => r.table !== null),
      });
    } finally {
      stats.roundTrips++;
    }
    // Even if the function swallowed the refusal, this call lost the replay.
    if (lost.value) throw lostReplay(replayId);
    return;
  }
  try {
    await env.db.batch([holdForClearSql(env.log, replayId), ...clearStatements(env, tenant)]);
  } catch (error) {
    if (isStale(error)) throw lostReplay(replayId, error);
    throw error;
  } finally {
    stats.roundTrips++;
  }
}
