/**
 * The `edge-events` command: dispatches to one subcommand. Runs nothing at import time; the
 * entry point is `run.ts`.
 * @module
 */
import { type CliIo, processIo } from "./io.ts";
import { replayCommand } from "./replay.ts";
import { serveCommand } from "./serve.ts";

/** A subcommand: takes its own arguments, returns the exit code. */
type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly summary: string }>> = {
  serve: { run: serveCommand, summary: "run a local Neon SQL-over-HTTP server over Postgres or PGlite" },
  replay: {
    run: replayCommand,
    summary: "rebuild the tracked tables from the event log (resumable; Ctrl-C stops at a page)",
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)}${summary}`);
  return [
    "Usage: edge-events <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `edge-events <command> --help` for its options.",
  ]
    .join("\n");
}

/**
 * Run the `edge-events` command line.
 *
 * @param argv the arguments after the program name, e.g. `["serve", "--port", "4444"]`
 * @param io output, environment and stop signal; the process's own by default
 * @returns the exit code: 0 on success, 1 on failure, 2 on a usage error
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`edge-events: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return await command.run(args, io);
}
