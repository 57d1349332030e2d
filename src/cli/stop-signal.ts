/**
 * A stop signal for long-running commands: aborted by SIGINT, SIGTERM or the io's own signal.
 * @module
 */
import process from "node:process";
import type { CliIo } from "./io.ts";

/** The signal, and how to stop listening for process signals. */
export interface StopSignal {
  /** Aborted on the first SIGINT or SIGTERM (or when the io's signal aborts). */
  readonly signal: AbortSignal;
  /** Remove the process signal handlers. */
  release(): void;
}

/**
 * Listen for SIGINT, SIGTERM and the io's signal.
 *
 * @param io the command's io (its `signal` stops too)
 * @returns the signal and its release
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * const stop = trapStop(processIo());
 * try {
 *   while (!stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 100));
 * } finally {
 *   stop.release();
 * }
 * ```
 */
export function trapStop(io: CliIo): StopSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on("SIGINT", stop).on("SIGTERM", stop);
  if (io.signal?.aborted) stop();
  io.signal?.addEventListener("abort", stop, { once: true });
  return {
    signal: controller.signal,
    release() {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      io.signal?.removeEventListener("abort", stop);
    },
  };
}

/**
 * Wait `ms` milliseconds, or less when `signal` aborts.
 *
 * @param ms how long
 * @param signal ends the wait early
 * @returns when the time is up or the signal aborted
 * @example
 * ```ts
 * await pause(1000, AbortSignal.timeout(100)); // about 100 ms
 * ```
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
