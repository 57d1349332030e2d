/**
 * Replay as functions over the store: `replay(store)`, `replayStep(store, ...)`,
 * `abortReplay(store)`. They read what they need (log, executor, resources, replay
 * configuration) from the store, so the store itself (src/core) does not import the replay
 * engine, and a bundle that never calls them does not carry it.
 * @module
 */
import type { EventStore } from "../core/store-types.ts";
import { abortReplay as abortRunning, runReplay, runReplayStep } from "./replay-engine.ts";
import type { ReplayEnv } from "./replay-env.ts";
import type { ReplayOptions, ReplayResult, ReplayStepOptions } from "./replay-types.ts";

/** What the replay functions read from the store (any {@link EventStore} has it). */
export type ReplayStore =
  & Pick<EventStore, "log" | "db" | "resources" | "replayConfig">
  & Partial<Pick<EventStore, "keyring">>;

function envOf(store: ReplayStore): ReplayEnv {
  return {
    log: store.log,
    db: store.db,
    resources: store.resources,
    config: store.replayConfig,
    keyring: store.keyring,
  };
}

/**
 * Rebuild tracked state from the log: clear, then apply events in position order in
 * pages (one write batch per page), with a fence that refuses every action meanwhile.
 * The clear strategy and page size come from the store's `replay` option.
 * @throws {ReplayError} code `REPLAY_FAILED` when an event cannot be applied (`onError: "stop"`)
 * @throws {ReplayConflictError} code `REPLAY_CONFLICT` when another process continued, finished
 *   or aborted the replay meanwhile (this call wrote nothing after losing it)
 * @example
 * ```ts
 * import { replay, type ReplayStore } from "edge-events";
 *
 * async function rebuild(store: ReplayStore): Promise<void> {
 *   const result = await replay(store, { onError: "skip" });
 *   for (const s of result.skippedEvents) console.log(s.eventId, s.reason);
 * }
 * ```
 */
export function replay(store: ReplayStore, options?: ReplayOptions): Promise<ReplayResult> {
  return runReplay(envOf(store), options);
}

/** Do a bounded amount of replay work; returns `replayId` to pass as the next `cursor`. */
export function replayStep(store: ReplayStore, options: ReplayStepOptions): Promise<ReplayResult> {
  return runReplayStep(envOf(store), options);
}

/** Abort the running replay: the fence is lifted and tables stay as they are. */
export function abortReplay(store: ReplayStore): Promise<boolean> {
  return abortRunning(envOf(store));
}
