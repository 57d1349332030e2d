/**
 * `edge-events replay`: rebuild tracked state from the log as a job, with progress, Ctrl-C to
 * stop at a page boundary, resume and abort.
 * @module
 */
import process from "node:process";
import type { EventStore } from "../core/store-types.ts";
import type { ReplayOptions, ReplayResult } from "../replay/replay-types.ts";
import { abortReplay, replay as replayStore } from "../replay/replay.ts";
import { replayStatus } from "../replay/replay-status.ts";
import { formatCount, formatDuration } from "./format-units.ts";
import type { CliIo } from "./io.ts";
import { ConfigModuleError, loadStore } from "./load-store.ts";
import { createProgressDisplay, processTerminal, type Terminal } from "./progress-display.ts";
import { parseReplayFlags, REPLAY_HELP, type ReplayFlags } from "./replay-flags.ts";
import { describeScope, plural, printFailure, printInterrupted, printSkipped, printSummary } from "./replay-report.ts";

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Call `onStop` with the exit code of the first SIGINT/SIGTERM (or of the io's abort signal);
 * a second signal exits at once: every page commits atomically with its checkpoint, so even a
 * hard exit leaves a resumable replay.
 */
function trapStopSignals(io: CliIo, onStop: (exitCode: number) => void): () => void {
  let stopping = false;
  const handlers = Object.entries(SIGNAL_EXIT_CODES).map(([name, code]) => {
    const handler = (): void => {
      if (stopping) process.exit(code);
      stopping = true;
      onStop(code);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  const onAbort = (): void => onStop(SIGNAL_EXIT_CODES.SIGINT);
  io.signal?.addEventListener("abort", onAbort, { once: true });
  return () => {
    for (const [name, handler] of handlers) process.off(name, handler);
    io.signal?.removeEventListener("abort", onAbort);
  };
}

function scopeOptions(flags: ReplayFlags): ReplayOptions {
  return {
    ...(flags.untilEventId === undefined ? {} : { untilEventId: flags.untilEventId }),
    ...(flags.untilTime === undefined ? {} : { untilTime: flags.untilTime }),
    ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
    ...(flags.pageSize === undefined ? {} : { pageSize: flags.pageSize }),
    ...(flags.onError === undefined ? {} : { onError: flags.onError }),
  };
}

/** Events a running replay processed before, for `--resume` (its rate counts only this run). */
async function announceResume(store: EventStore, io: CliIo): Promise<number> {
  const running = await replayStatus(store);
  if (running?.status !== "running") return 0; // the replay itself reports that none is running
  const processed = running.applied + running.skipped;
  io.out(
    `Resuming replay ${running.replayId} after position ${running.lastPosition} (${
      formatCount(processed)
    } events done)`,
  );
  return processed;
}

async function replay(store: EventStore, flags: ReplayFlags, io: CliIo, terminal: Terminal): Promise<number> {
  const processedBefore = flags.resume ? await announceResume(store, io) : 0;
  if (!flags.resume) io.out(`Replaying ${describeScope(flags)}...`);
  const display = createProgressDisplay({ terminal, line: io.out, baseline: processedBefore, knownTotal: true });
  const controller = new AbortController();
  let exitCode = 0;
  const release = trapStopSignals(io, (code) => {
    exitCode = code;
    controller.abort();
    display.note(
      "Stopping at the next page boundary (the page in flight commits with its checkpoint); press Ctrl-C again to quit at once",
    );
  });
  try {
    const options: ReplayOptions = {
      ...scopeOptions(flags),
      resume: flags.resume,
      signal: controller.signal,
      onProgress: (p) => display.update(p),
    };
    const result = await replayStore(store, options);
    display.finish();
    if (!result.done) {
      printInterrupted(io, flags, result);
      return exitCode === 0 ? SIGNAL_EXIT_CODES.SIGINT : exitCode;
    }
    printSummary(io, result, processedBefore);
    return 0;
  } catch (error) {
    display.finish();
    printFailure(io, flags, error);
    return 1;
  } finally {
    release();
  }
}

async function dryRun(store: EventStore, flags: ReplayFlags, io: CliIo, terminal: Terminal): Promise<number> {
  io.out(`Dry run: replaying ${describeScope(flags)} without writing anything...`);
  const display = createProgressDisplay({ terminal, line: io.out, baseline: 0, knownTotal: false });
  const release = trapStopSignals(io, (code) => {
    display.note("Dry run interrupted: nothing was written");
    process.exit(code);
  });
  let result: ReplayResult;
  try {
    result = await replayStore(store, { ...scopeOptions(flags), dryRun: true, onProgress: (p) => display.update(p) });
  } finally {
    display.finish();
    release();
  }
  const read = result.applied + result.skipped;
  io.out(
    `Dry run: nothing was written (${plural(read, "event")} read in ${plural(result.pages, "page")}, ` +
      `${plural(result.roundTrips, "round trip")}, ${formatDuration(result.elapsedMs)})`,
  );
  io.out(`  would apply  ${formatCount(result.applied)} (routed ${formatCount(result.routed)})`);
  io.out(`  would skip   ${formatCount(result.skipped)}`);
  printSkipped(io, result);
  const first = result.skippedEvents[0];
  if (first !== undefined && (flags.onError ?? "stop") === "stop") {
    io.err(
      `edge-events replay: a replay would stop at position ${first.position} (${first.reason}); use --on-error skip to skip such events`,
    );
    return 1;
  }
  return 0;
}

async function abort(store: EventStore, io: CliIo): Promise<number> {
  if (await abortReplay(store)) {
    io.out("Aborted the running replay: writes are allowed again; the tables stay as the replay left them");
    return 0;
  }
  io.err("edge-events replay: no replay is running, nothing to abort");
  return 1;
}

/**
 * Run `edge-events replay`.
 *
 * @param args the arguments after `replay`
 * @param io output, environment and an extra stop signal
 * @param terminal where the progress bar goes; the process's standard output by default
 * @returns 0 when done, 1 on failure, 2 on a usage error, 130 after Ctrl-C (143 after SIGTERM)
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * process.exitCode = await replayCommand(["--config", "./events.config.ts", "--page-size", "1000"], processIo());
 * ```
 */
export async function replayCommand(
  args: string[],
  io: CliIo,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return (io.out(REPLAY_HELP), 0);
  let flags: ReplayFlags;
  try {
    flags = parseReplayFlags(args);
  } catch (error) {
    io.err(`edge-events replay: ${(error as Error).message}\n\n${REPLAY_HELP}`);
    return 2;
  }
  let loaded;
  try {
    loaded = await loadStore(flags.config, process.cwd());
  } catch (error) {
    io.err(`edge-events replay: ${error instanceof ConfigModuleError ? error.message : String(error)}`);
    return 1;
  }
  try {
    if (flags.abort) return await abort(loaded.store, io);
    if (flags.dryRun) return await dryRun(loaded.store, flags, io, terminal);
    return await replay(loaded.store, flags, io, terminal);
  } catch (error) {
    printFailure(io, flags, error);
    return 1;
  } finally {
    await loaded.close().catch((error: unknown) =>
      io.err(`edge-events replay: the config module's close() failed: ${String(error)}`)
    );
  }
}
