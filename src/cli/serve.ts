/**
 * `edge-events serve`: a local Neon SQL-over-HTTP server for manual use, until SIGINT/SIGTERM.
 * @module
 */
import process from "node:process";
import { startSqlOverHttpServer, type SqlOverHttpServerOptions } from "../dev/mod.ts";
import type { CliIo } from "./io.ts";

const HELP = `Usage: edge-events serve [options]

Serve Neon's SQL-over-HTTP protocol locally, so that neon() from @neondatabase/serverless runs
against a local Postgres or an embedded PGlite.

Options:
  --port N                     port to listen on (default 4444; 0 picks a free one)
  --hostname HOST              address to listen on (default 127.0.0.1)
  --database-url URL           upstream Postgres (default: $DATABASE_URL, else PGlite in memory)
  --pglite [DIR]               embedded PGlite, in memory or in the data directory DIR
  --max-request-bytes N        request body limit, 413 beyond (default 64 MiB)
  --max-response-bytes N       response limit, 507 beyond (default 64 MiB)
  --latency-ms N               fault: wait N ms before executing each request
  --fail-before-execution N    fault: answer the next N requests with 503, executing nothing
  --drop-after-commit N        fault: execute the next N requests, then drop their responses`;

/** The parsed flags. */
interface ServeFlags {
  port: number;
  hostname: string;
  databaseUrl: string | undefined;
  pglite: { dataDir?: string } | undefined;
  numbers: Map<string, number>;
}

const NUMBER_FLAGS = ["--max-request-bytes", "--max-response-bytes", "--latency-ms", "--fail-before-execution", "--drop-after-commit"];

function parseFlags(args: string[]): ServeFlags {
  const flags: ServeFlags = { port: 4444, hostname: "127.0.0.1", databaseUrl: undefined, pglite: undefined, numbers: new Map() };
  const value = (i: number, flag: string): string => {
    const next = args[i + 1];
    if (next === undefined || next.startsWith("--")) throw new TypeError(`${flag} needs a value`);
    return next;
  };
  const count = (text: string, flag: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`${flag} needs a whole number ≥ 0`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] ?? "";
    if (flag === "--port") flags.port = count(value(i++, flag), flag);
    else if (flag === "--hostname") flags.hostname = value(i++, flag);
    else if (flag === "--database-url") flags.databaseUrl = value(i++, flag);
    else if (flag === "--pglite") {
      const next = args[i + 1];
      flags.pglite = next === undefined || next.startsWith("--") ? {} : (i++, { dataDir: next });
    } else if (NUMBER_FLAGS.includes(flag)) flags.numbers.set(flag, count(value(i++, flag), flag));
    else throw new TypeError(`unknown option ${flag}`);
  }
  if (flags.databaseUrl !== undefined && flags.pglite !== undefined) {
    throw new TypeError("use either --database-url or --pglite");
  }
  return flags;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function serverOptions(flags: ServeFlags, env: CliIo["env"]): SqlOverHttpServerOptions {
  const options: Mutable<SqlOverHttpServerOptions> = { port: flags.port, hostname: flags.hostname };
  const databaseUrl = flags.databaseUrl ?? (flags.pglite === undefined ? env["DATABASE_URL"] || undefined : undefined);
  if (databaseUrl !== undefined) options.databaseUrl = databaseUrl;
  else options.pglite = flags.pglite ?? {};
  const faults: Mutable<NonNullable<SqlOverHttpServerOptions["faults"]>> = {};
  for (const [flag, n] of flags.numbers) {
    if (flag === "--max-request-bytes") options.maxRequestBytes = n;
    if (flag === "--max-response-bytes") options.maxResponseBytes = n;
    if (flag === "--latency-ms") faults.latencyMs = n;
    if (flag === "--fail-before-execution") faults.failBeforeExecution = n;
    if (flag === "--drop-after-commit") faults.dropAfterCommit = n;
  }
  options.faults = faults;
  return options;
}

function describeBackend(options: SqlOverHttpServerOptions): string {
  if (options.databaseUrl === undefined) {
    const dir = (options.pglite as { dataDir?: string } | undefined)?.dataDir;
    return dir === undefined ? "PGlite in memory" : `PGlite in ${dir}`;
  }
  const url = new URL(options.databaseUrl);
  return `Postgres at ${url.hostname || "localhost"}:${url.port || "5432"}`; // never the credentials
}

/** Resolve on SIGINT, SIGTERM or the io's abort signal. */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop).on("SIGTERM", stop);
    if (signal?.aborted) stop();
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/**
 * Run `edge-events serve`: start the server, print the line to paste, serve until stopped.
 *
 * @param args the arguments after `serve`
 * @param io output, environment and stop signal
 * @returns 0 after a clean stop, 1 when the server cannot start, 2 on a usage error
 */
export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return (io.out(HELP), 0);
  let options: SqlOverHttpServerOptions;
  try {
    options = serverOptions(parseFlags(args), io.env);
  } catch (err) {
    io.err(`edge-events serve: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  let server;
  try {
    server = await startSqlOverHttpServer(options);
  } catch (err) {
    io.err(`edge-events serve: the server could not start: ${(err as Error).message}`);
    return 1;
  }
  const stopped = stopRequested(io.signal); // listen before printing: a reader may signal at once
  io.out(`SQL-over-HTTP server listening on ${server.url} (${describeBackend(options)})`);
  io.out("Point the Neon driver at it:");
  io.out(`  neonConfig.fetchEndpoint = ${JSON.stringify(server.url)};`);
  io.out("Connection strings need a user, a password (any, with trust auth) and a host such as localhost:");
  io.out("  postgres://postgres:password@localhost/<database>");
  if (options.faults?.latencyMs) io.out(`Fault: ${options.faults.latencyMs} ms latency before each request`);
  io.out("Stop with Ctrl+C.");
  await stopped;
  await server.close();
  return 0;
}
