/**
 * What `edge-events replay` prints: the scope, the summary, skipped events, how to continue
 * after Ctrl-C, and failures with what to do next.
 * @module
 */
import { isEdgeEventsError } from "../core/errors.ts";
import type { ReplayResult } from "../replay/replay-types.ts";
import { formatCount, formatDuration, formatRate } from "./format-units.ts";
import type { CliIo } from "./io.ts";
import type { ReplayFlags } from "./replay-flags.ts";

const MAX_LISTED_SKIPS = 20;

/** The scope of a replay in words, e.g. "every event of tenant t1 in pages of 1000". */
export function describeScope(flags: ReplayFlags): string {
  const parts = [
    flags.untilEventId !== undefined
      ? `up to event ${flags.untilEventId}`
      : flags.untilTime !== undefined
      ? `up to ${flags.untilTime.toISOString()}`
      : "every event",
  ];
  if (flags.tenant !== undefined) parts.push(`of tenant ${flags.tenant}`);
  if (flags.pageSize !== undefined) parts.push(`in pages of ${flags.pageSize}`);
  return parts.join(" ");
}

/** A count and a noun, plural unless the count is 1. */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** List the skipped events (the first 20). */
export function printSkipped(io: CliIo, result: ReplayResult): void {
  if (result.skippedEvents.length === 0) return;
  io.out(result.dryRun ? "Events that would be skipped:" : "Skipped events:");
  for (const skip of result.skippedEvents.slice(0, MAX_LISTED_SKIPS)) {
    io.out(`  position ${skip.position} (${skip.eventId}): ${skip.reason}`);
  }
  const more = result.skippedEvents.length - MAX_LISTED_SKIPS;
  if (more > 0) io.out(`  ... and ${formatCount(more)} more`);
}

/** The summary of a completed replay; `processedBefore` is what earlier runs of a resumed replay did. */
export function printSummary(io: CliIo, result: ReplayResult, processedBefore: number): void {
  const processed = result.applied + result.skipped - processedBefore;
  io.out(
    `Replay ${result.replayId} completed${
      processedBefore > 0 ? " (applied, skipped and routed include the earlier runs)" : ""
    }`,
  );
  io.out(`  applied      ${formatCount(result.applied)}`);
  io.out(`  skipped      ${formatCount(result.skipped)}`);
  io.out(`  routed       ${formatCount(result.routed)}`);
  io.out(`  pages        ${formatCount(result.pages)}`);
  io.out(`  round trips  ${formatCount(result.roundTrips)}`);
  io.out(`  events/s     ${formatRate(processed, result.elapsedMs)}`);
  io.out(`  duration     ${formatDuration(result.elapsedMs)}`);
  printSkipped(io, result);
}

/** Where an interrupted replay stopped, and the commands to continue or give up. */
export function printInterrupted(io: CliIo, flags: ReplayFlags, result: ReplayResult): void {
  const config = `--config ${flags.config}`;
  io.out(
    `Replay ${result.replayId} stopped after position ${result.lastPosition}: ` +
      `${formatCount(result.applied)} applied, ${formatCount(result.skipped)} skipped, ${
        formatCount(result.remaining)
      } left.`,
  );
  io.out("Its checkpoint is saved and writes stay fenced until it completes or is aborted.");
  io.out(`  continue:  edge-events replay ${config} --resume`);
  io.out(`  give up:   edge-events replay ${config} --abort   (lifts the fence; the tables stay partly rebuilt)`);
}

/** A failure on standard error, with what to do next (chosen by the error's code, never its message). */
export function printFailure(io: CliIo, flags: ReplayFlags, error: unknown): void {
  io.err(`edge-events replay: ${error instanceof Error ? error.message : String(error)}`);
  const config = `--config ${flags.config}`;
  if (isEdgeEventsError(error, "REPLAY_ALREADY_RUNNING")) {
    io.err(`Continue it with: edge-events replay ${config} --resume   or abort it with: --abort`);
  } else if (isEdgeEventsError(error, "REPLAY_FAILED") && error.position !== undefined) {
    io.err("The replay stopped there; its checkpoint is saved and writes stay fenced. Then either:");
    io.err(`  fix the cause, then:     edge-events replay ${config} --resume`);
    io.err(`  skip such events:        edge-events replay ${config} --resume --on-error skip`);
    io.err(`  give up:                 edge-events replay ${config} --abort`);
  }
}
