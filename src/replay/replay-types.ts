/**
 * The options and results of replay.
 * @module
 */

export type { ClearContext, ReplayClear, ReplayConfig } from "../core/replay-config.ts";

/** An event that was skipped (`onError: "skip"`). */
export interface SkippedEvent {
  /** The position of the skipped event. */
  readonly position: bigint;
  /** The id of the skipped event. */
  readonly eventId: string;
  /** Why it could not be applied (no payload values). */
  readonly reason: string;
}

/** Where a replay stands. */
export interface ReplayProgress {
  /** The replay's id: the cursor of {@link ReplayStepOptions}. */
  readonly replayId: string;
  /** Events applied so far (routed events count once). */
  readonly applied: number;
  /** Events skipped so far. */
  readonly skipped: number;
  /** Events applied through a `replayOverrides` route. */
  readonly routed: number;
  /** The last position applied or skipped. */
  readonly lastPosition: bigint;
  /** The last position this replay will apply. */
  readonly targetPosition: bigint;
  /** Events in scope not yet applied or skipped (counted once per replay). */
  readonly remaining: number;
  /** Milliseconds since this call started. */
  readonly elapsedMs: number;
}

/** The outcome of a replay, or of one replay step. */
export interface ReplayResult extends ReplayProgress {
  /** True when the replay finished (and the fence is lifted). */
  readonly done: boolean;
  /** Skipped events of this call. */
  readonly skippedEvents: readonly SkippedEvent[];
  /** Database round trips of this call. */
  readonly roundTrips: number;
  /** Pages of this call. */
  readonly pages: number;
  /** True for a dry run: nothing was written. */
  readonly dryRun: boolean;
}

/** What to replay. */
export interface ReplayScope {
  /** Replay up to and including this event id. */
  readonly untilEventId?: string;
  /**
   * Replay up to the last event that occurred at or before this time (the tenant's last such
   * event for a tenant replay), resolved to its position when the replay starts. Time order
   * agrees with position order within a lock scope, so under the global scope (and per tenant
   * under the tenant scope) that is exactly the events that occurred by then.
   */
  readonly untilTime?: Date;
  /** Replay one tenant only. */
  readonly tenant?: string | number | bigint;
}

/** Options of {@link replay}. */
export interface ReplayOptions extends ReplayScope {
  /** Continue the running replay from its checkpoint (its scope is kept). */
  readonly resume?: boolean;
  /** `"stop"` (default): the first event that cannot be applied stops the replay; `"skip"`: skip and report it. */
  readonly onError?: "stop" | "skip";
  /** Events per page; overrides the store's. */
  readonly pageSize?: number;
  /** Report what would be applied, write nothing (no fence, no clear). */
  readonly dryRun?: boolean;
  /** Stop at the next page boundary; the replay stays resumable. */
  readonly signal?: AbortSignal;
  /** Called after every page. */
  readonly onProgress?: (progress: ReplayProgress) => void;
}

/** Options of {@link replayStep}: a bounded amount of work. */
export interface ReplayStepOptions extends ReplayScope {
  /** The replay id returned by the previous step; omit to start a new replay. */
  readonly cursor?: string;
  /** Stop starting new pages after this many milliseconds. */
  readonly budgetMs: number;
  /** As in {@link ReplayOptions}. */
  readonly onError?: "stop" | "skip";
  /** As in {@link ReplayOptions}. */
  readonly pageSize?: number;
}
