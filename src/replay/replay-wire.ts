/**
 * Replay results and replay status as they cross JSON, by the rules of `core/wire.ts`:
 * positions as decimal strings, dates as ISO-8601 UTC with milliseconds, absent values `null`.
 * Here and not in core: core does not depend on replay.
 * @module
 */
import { type DateJson, dateToJson, type PositionJson, positionToJson } from "../core/wire.ts";
import type { ReplayStatus, ReplayStatusName } from "./replay-status.ts";
import type { ReplayResult } from "./replay-types.ts";

/** A `SkippedEvent` as it crosses JSON. */
export interface SkippedEventJson {
  readonly position: PositionJson;
  readonly eventId: string;
  readonly reason: string;
}

/** A `ReplayResult` as it crosses JSON. */
export interface ReplayResultJson {
  readonly replayId: string;
  readonly applied: number;
  readonly skipped: number;
  readonly routed: number;
  readonly lastPosition: PositionJson;
  readonly targetPosition: PositionJson;
  readonly remaining: number;
  readonly elapsedMs: number;
  readonly done: boolean;
  readonly skippedEvents: readonly SkippedEventJson[];
  readonly roundTrips: number;
  readonly pages: number;
  readonly dryRun: boolean;
}

/** A `ReplayStatus` as it crosses JSON. */
export interface ReplayStatusJson {
  readonly replayId: string;
  readonly status: ReplayStatusName;
  readonly tenant: string | null;
  readonly untilEventId: string | null;
  readonly untilTime: DateJson | null;
  readonly onError: "stop" | "skip";
  readonly pageSize: number;
  readonly targetPosition: PositionJson;
  readonly lastPosition: PositionJson;
  readonly applied: number;
  readonly skipped: number;
  readonly routed: number;
  readonly eventsInScope: number | null;
  readonly startedAt: DateJson;
  readonly updatedAt: DateJson;
  readonly finishedAt: DateJson | null;
  readonly error: string | null;
}

/**
 * A replay result as JSON: positions as decimal strings.
 *
 * @param result what `replay()` or `replayStep()` returned
 * @returns the JSON-safe result
 * @example
 * ```ts
 * return Response.json(replayResultToJson(await replayStep(store, { budgetMs: 20_000 })));
 * ```
 */
export function replayResultToJson(result: ReplayResult): ReplayResultJson {
  return {
    replayId: result.replayId,
    applied: result.applied,
    skipped: result.skipped,
    routed: result.routed,
    lastPosition: positionToJson(result.lastPosition),
    targetPosition: positionToJson(result.targetPosition),
    remaining: result.remaining,
    elapsedMs: result.elapsedMs,
    done: result.done,
    skippedEvents: result.skippedEvents.map((skip) => ({
      position: positionToJson(skip.position),
      eventId: skip.eventId,
      reason: skip.reason,
    })),
    roundTrips: result.roundTrips,
    pages: result.pages,
    dryRun: result.dryRun,
  };
}

/**
 * A replay status as JSON: positions as decimal strings, dates as ISO-8601 UTC.
 *
 * @param status what `replayStatus()` returned (not null)
 * @returns the JSON-safe status
 * @example
 * ```ts
 * const status = await replayStatus(store);
 * return Response.json(status === null ? null : replayStatusToJson(status));
 * ```
 */
export function replayStatusToJson(status: ReplayStatus): ReplayStatusJson {
  return {
    replayId: status.replayId,
    status: status.status,
    tenant: status.tenant,
    untilEventId: status.untilEventId,
    untilTime: status.untilTime === null ? null : dateToJson(status.untilTime),
    onError: status.onError,
    pageSize: status.pageSize,
    targetPosition: positionToJson(status.targetPosition),
    lastPosition: positionToJson(status.lastPosition),
    applied: status.applied,
    skipped: status.skipped,
    routed: status.routed,
    eventsInScope: status.eventsInScope,
    startedAt: dateToJson(status.startedAt),
    updatedAt: dateToJson(status.updatedAt),
    finishedAt: status.finishedAt === null ? null : dateToJson(status.finishedAt),
    error: status.error,
  };
}
