/**
 * The `edge-events` command: dispatches to one subcommand. Runs nothing at import time; the
 * entry point is `run.ts`.
 * @module
 */
import { exportCommand } from "./export.ts";
import { historyCommand } from "./history.ts";
import { type CliIo, processIo } from "./io.ts";
import { migrateCommand } from "./migrate.ts";
import { replayCommand } from "./replay.ts";
import { serveCommand } from "./serve.ts";
import { statusCommand } from "./status.ts";
import { tailCommand } from "./tail.ts";
import { verifyCommand } from "./verify.ts";
import { VERSION } from "./version.ts";

/** A subcommand: takes its own arguments, returns the exit code. */
type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly summary: string }>> = {
  migrate: { run: migrateCommand, summary: "print the event log's DDL, or apply it with --apply" },
  status: { run: statusCommand, summary: "the log's size and last event, the running replay, projections' lag" },
  tail: { run: tailCommand, summary: "follow the event log as events commit (lines or --json), until Ctrl-C" },
  history: { run: historyCommand, summary: "one record's events: history <resource> <id>" },
  replay: {
    run: replayCommand,
    summary: "rebuild the tracked tables from the event log (resumable; Ctrl-C stops at a page)",
  },
  verify: { run: verifyCommand, summary: "verify the hash chain of the log, or of an export (--file)" },
  export: { run: exportCommand, summary: "write the log as a chain export (JSON Lines) for verify --file" },
  serve: { run: serveCommand, summary: "run a local Neon SQL-over-HTTP server over Postgres or PGlite" },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)}${summary}`);
  return [
    "Usage: edge-events <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `edge-events <command> --help` for its options, `edge-events --version` for the version.",
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
  if (name === "--version") return (io.out(`edge-events ${VERSION}`), 0);
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    const what = name.startsWith("-") ? `unknown option ${name}` : `unknown command "${name}"`;
    io.err(`edge-events: ${what}\n\n${usage()}`);
    return 2;
  }
  return await command.run(args, io);
}
