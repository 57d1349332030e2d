/**
 * The state of a replay as its state row records it: what `edge-events replay --resume` and
 * an operator's status page show, read through {@link replayStatus}.
 * @module
 */
import type { EventLog } from "../core/event-log.ts";
import type { Executor } from "../core/executor.ts";
import { replayStatusSql } from "../sql/replay-statements.ts";
import { DEFAULT_PAGE_SIZE } from "./run-state.ts";

/** Where a replay is: `running` until it completes or is aborted (also while stopped at an event). */
export type ReplayStatusName = "running" | "completed" | "failed" | "aborted";

/** One replay, as its state row records it (see `replayStatus(store)`). */
export interface ReplayStatus {
  /** The replay's id (also the `replayStep` cursor). */
  readonly replayId: string;
  /** `running` (also while stopped at an event or interrupted), `completed` or `aborted`. */
  readonly status: ReplayStatusName;
  /** The tenant of a tenant replay; null for a replay of every tenant. */
  readonly tenant: string | null;
  /** The `untilEventId` it was started with, if any. */
  readonly untilEventId: string | null;
  /** The `untilTime` it was started with, if any. */
  readonly untilTime: Date | null;
  /** What it does with an event it cannot apply. */
  readonly onError: "stop" | "skip";
  /** Events per page it was started with. */
  readonly pageSize: number;
  /** The last position it applies (resolved when it started). */
  readonly targetPosition: bigint;
  /** The checkpoint: every event up to this position is done. */
  readonly lastPosition: bigint;
  /** Events applied so far (over every call of this replay). */
  readonly applied: number;
  /** Events skipped so far. */
  readonly skipped: number;
  /** Events routed to another resource so far. */
  readonly routed: number;
  /** Events in its scope, counted once by its first call; null until then. */
  readonly eventsInScope: number | null;
  /** When it started. */
  readonly startedAt: Date;
  /** When its state last changed (a checkpoint, a stop, the end). */
  readonly updatedAt: Date;
  /** When it completed or was aborted; null while running. */
  readonly finishedAt: Date | null;
  /** Why it stopped, while it is stopped at an event (cleared by the next checkpoint). */
  readonly error: string | null;
}

/** Which replay {@link replayStatus} describes. */
export interface ReplayStatusOptions {
  /** This replay (a `replayId` or `replayStep` cursor); by default the running one, else the last started. */
  readonly replayId?: string;
}

/** What {@link replayStatus} reads from. */
export interface ReplayStatusEnv {
  /** The event log whose replay state table is read. */
  readonly log: EventLog;
  /** Where to read it. */
  readonly db: Executor;
}

const STATUSES: readonly ReplayStatusName[] = ["running", "completed", "failed", "aborted"];

function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/** The status of a replay from its state row (as {@link replayStatusSql} selects it). */
export function statusFromRow(row: Record<string, unknown>): ReplayStatus {
  const options = (typeof row["options"] === "string" ? JSON.parse(row["options"]) : row["options"] ?? {}) as Record<
    string,
    unknown
  >;
  const status = String(row["status"]) as ReplayStatusName;
  if (!STATUSES.includes(status)) throw new TypeError("Unknown replay status in the replay state table");
  return {
    replayId: String(row["replay_id"]),
    status,
    tenant: row["tenant"] === null || row["tenant"] === undefined ? null : String(row["tenant"]),
    untilEventId: typeof options["untilEventId"] === "string" ? options["untilEventId"] : null,
    untilTime: typeof options["untilTime"] === "string" ? new Date(options["untilTime"]) : null,
    onError: options["onError"] === "skip" ? "skip" : "stop",
    pageSize: Number(options["pageSize"] ?? DEFAULT_PAGE_SIZE),
    targetPosition: BigInt(String(row["target_position"] ?? "0")),
    lastPosition: BigInt(String(row["last_position"])),
    applied: Number(row["applied"]),
    skipped: Number(row["skipped"]),
    routed: Number(row["routed"]),
    eventsInScope: options["eventsInScope"] === undefined || options["eventsInScope"] === null
      ? null
      : Number(options["eventsInScope"]),
    startedAt: asDate(row["started_at"]),
    updatedAt: asDate(row["updated_at"]),
    finishedAt: row["finished_at"] === null || row["finished_at"] === undefined ? null : asDate(row["finished_at"]),
    error: row["error"] === null || row["error"] === undefined ? null : String(row["error"]),
  };
}

/**
 * The state of a replay: the given one, or the running one, or else the one started last;
 * null when there is none. One query; writes nothing. The replay state belongs to the log, not
 * to a tenant (as `replay()` and `abortReplay()` do).
 */
export async function replayStatus(
  env: ReplayStatusEnv,
  options: ReplayStatusOptions = {},
): Promise<ReplayStatus | null> {
  const row = (await env.db.query(replayStatusSql(env.log, options.replayId))).rows[0];
  return row === undefined ? null : statusFromRow(row);
}
