/**
 * The state of one replay call: the replay's checkpointed counters and this call's stats.
 * @module
 */
import type { ReplayBounds } from "../sql/replay-statements.ts";
import type { ReplayConfig, ReplayResult, SkippedEvent } from "./replay-types.ts";

/** A replay in progress, as loaded from (and checkpointed to) its state row. */
export interface RunState {
  readonly replayId: string;
  readonly bounds: ReplayBounds;
  readonly onError: "stop" | "skip";
  readonly pageSize: number;
  lastPosition: bigint;
  applied: number;
  skipped: number;
  routed: number;
  /** Events in scope, counted once per replay and kept in its `options`; undefined until counted. */
  eventsInScope?: number | undefined;
}

/** Counters of one call. */
export interface CallStats {
  readonly started: number;
  roundTrips: number;
  pages: number;
  remaining: number;
  readonly skippedEvents: SkippedEvent[];
}

/** Events per page when neither the call nor the store says. */
export const DEFAULT_PAGE_SIZE = 1000;

/** The page size to use: the call's, else the store's, else the default. */
export function pageSizeOf(config: ReplayConfig, given: number | undefined): number {
  const size = given ?? config.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > 10_000) {
    throw new RangeError("pageSize must be an integer from 1 to 10000");
  }
  return size;
}

/** The result of a call from its state. */
export function result(state: RunState, stats: CallStats, done: boolean): ReplayResult {
  return {
    replayId: state.replayId,
    applied: state.applied,
    skipped: state.skipped,
    routed: state.routed,
    lastPosition: state.lastPosition,
    targetPosition: state.bounds.targetPosition,
    remaining: stats.remaining,
    elapsedMs: Date.now() - stats.started,
    done,
    skippedEvents: stats.skippedEvents,
    roundTrips: stats.roundTrips,
    pages: stats.pages,
    dryRun: false,
  };
}

/** Fresh stats for a call starting now. */
export function newStats(): CallStats {
  return { started: Date.now(), roundTrips: 0, pages: 0, remaining: 0, skippedEvents: [] };
}
