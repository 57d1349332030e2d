/**
 * What a CLI command may touch besides its arguments, so that tests can run commands in-process.
 * @module
 */
import process from "node:process";

/** Output, environment and a stop signal for one command run. */
export interface CliIo {
  /** Print a line to standard output. */
  readonly out: (line: string) => void;
  /** Print a line to standard error. */
  readonly err: (line: string) => void;
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Stops long-running commands (`serve`) besides SIGINT and SIGTERM. */
  readonly signal?: AbortSignal;
}

/**
 * The process's own standard streams and environment.
 *
 * @returns the default io
 */
export function processIo(): CliIo {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
  };
}
