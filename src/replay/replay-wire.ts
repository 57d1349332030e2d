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
  /** The position of the skipped event. */
  readonly position: PositionJson;
  /** The id of the skipped event. */
  readonly eventId: string;
  /** Why it could not be applied (no payload values). */
  readonly reason: string;
}

/** A `ReplayResult` as it crosses JSON. */
export interface ReplayResultJson {
  /** The replay's id: the cursor of the next `replayStep`. */
  readonly replayId: string;
  /** Events applied so far (routed events count once). */
  readonly applied: number;
  /** Events skipped so far. */
  readonly skipped: number;
  /** Events applied through a `replayOverrides` route. */
  readonly routed: number;
  /** The last position applied or skipped. */
  readonly lastPosition: PositionJson;
  /** The last position this replay will apply. */
  readonly targetPosition: PositionJson;
  /** Events in scope not yet applied or skipped. */
  readonly remaining: number;
  /** Milliseconds the call took. */
  readonly elapsedMs: number;
  /** True when the replay finished (and the fence is lifted). */
  readonly done: boolean;
  /** Skipped events of this call. */
  readonly skippedEvents: readonly SkippedEventJson[];
  /** Database round trips of this call. */
  readonly roundTrips: number;
  /** Pages of this call. */
  readonly pages: number;
  /** True for a dry run: nothing was written. */
  readonly dryRun: boolean;
}

/** A `ReplayStatus` as it crosses JSON. */
export interface ReplayStatusJson {
  /** The replay's id (also the `replayStep` cursor). */
  readonly replayId: string;
  /** `running` (also while stopped at an event or interrupted), `completed`, `failed` or `aborted`. */
  readonly status: ReplayStatusName;
  /** The tenant of a tenant replay; null for a replay of every tenant. */
  readonly tenant: string | null;
  /** The `untilEventId` it was started with, if any. */
  readonly untilEventId: string | null;
  /** The `untilTime` it was started with, if any. */
  readonly untilTime: DateJson | null;
  /** What it does with an event it cannot apply. */
  readonly onError: "stop" | "skip";
  /** Events per page it was started with. */
  readonly pageSize: number;
  /** The last position it applies (resolved when it started). */
  readonly targetPosition: PositionJson;
  /** The checkpoint: every event up to this position is done. */
  readonly lastPosition: PositionJson;
  /** Events applied so far (over every call of this replay). */
  readonly applied: number;
  /** Events skipped so far. */
  readonly skipped: number;
  /** Events routed to another resource so far. */
  readonly routed: number;
  /** Events in its scope, counted once by its first call; null until then. */
  readonly eventsInScope: number | null;
  /** When it started. */
  readonly startedAt: DateJson;
  /** When its state last changed (a checkpoint, a stop, the end). */
  readonly updatedAt: DateJson;
  /** When it completed or was aborted; null while running. */
  readonly finishedAt: DateJson | null;
  /** Why it stopped, while it is stopped at an event (cleared by the next checkpoint). */
  readonly error: string | null;
}

/**
 * A replay result as JSON: positions as decimal strings.
 *
 * @param result what `replay()` or `replayStep()` returned
 * @returns the JSON-safe result
 * @example
 * ```ts
 * import { type ReplayStore, replayResultToJson, replayStep } from "edge-events";
 *
 * // One bounded step per request; the caller sends `replayId` back as `cursor`.
 * async function step(store: ReplayStore, cursor: string | null): Promise<Response> {
 *   const options = cursor === null ? { budgetMs: 20_000 } : { budgetMs: 20_000, cursor };
 *   return Response.json(replayResultToJson(await replayStep(store, options)));
 * }
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
 * import { type EventStore, replayStatus, replayStatusToJson } from "edge-events";
 *
 * async function statusResponse(store: EventStore): Promise<Response> {
 *   const status = await replayStatus(store);
 *   return Response.json(status === null ? null : replayStatusToJson(status));
 * }
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
