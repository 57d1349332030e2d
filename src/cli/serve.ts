/**
 * `edge-events serve`: a local Neon SQL-over-HTTP server for manual use, until SIGINT/SIGTERM.
 * @module
 */
import process from "node:process";
import { type SqlOverHttpServerOptions, startSqlOverHttpServer } from "../dev/mod.ts";
import type { CliIo } from "./io.ts";
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";

const HELP = `Usage: edge-events serve [options]

Serve Neon's SQL-over-HTTP protocol locally, so that neon() from @neondatabase/serverless runs
against a local Postgres or an embedded PGlite.

Options:
  --port N                     port to listen on (default 4444; 0 picks a free one)
  --hostname HOST              address to listen on (default 127.0.0.1)
  --database-url URL           upstream Postgres (default: $DATABASE_URL, else PGlite in memory)
  --pglite [DIR]               embedded PGlite, in memory or in the data directory DIR
  --allow-role ROLE            serve this role (repeatable; default: the role of the database URL)
  --allow-database NAME        serve this database (repeatable; default: the URL's database)
  --allow-origin ORIGIN        let pages of this origin call it from a browser, e.g.
                               http://localhost:5173 (repeatable; default: none)
  --allow-host NAME            accept this name in the Host header besides localhost (repeatable)
  --token [VALUE]              require this token, or a generated one, in each request (always
                               on when --hostname is not a loopback address)
  --max-connections N          cap on open upstream connections, all roles and keys (default 20)
  --max-request-bytes N        request body limit, 413 beyond (default 64 MiB)
  --max-response-bytes N       response limit, 507 beyond (default 64 MiB)
  --latency-ms N               fault: wait N ms before executing each request
  --fail-before-execution N    fault: answer the next N requests with 503, executing nothing
  --drop-after-commit N        fault: execute the next N requests, then drop their responses`;

/** The parent process when this module loaded (`sh` under `npx`). */
const launchParent = process.ppid;

/** The parsed flags. */
interface ServeFlags {
  port: number;
  hostname: string;
  databaseUrl: string | undefined;
  pglite: { dataDir?: string } | undefined;
  numbers: Map<string, number>;
  lists: Map<string, string[]>;
  token: string | true | undefined;
}

const LIST_FLAGS = ["allow-role", "allow-database", "allow-origin", "allow-host"];
const NUMBER_FLAGS = [
  "max-connections",
  "max-request-bytes",
  "max-response-bytes",
  "latency-ms",
  "fail-before-execution",
  "drop-after-commit",
];

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  port: { type: "string" },
  hostname: { type: "string" },
  "database-url": { type: "string" },
  pglite: { type: "string", optionalValue: true },
  token: { type: "string", optionalValue: true },
  ...Object.fromEntries(LIST_FLAGS.map((name) => [name, { type: "string", multiple: true }])),
  ...Object.fromEntries(NUMBER_FLAGS.map((name) => [name, { type: "string" }])),
};

function count(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) throw new TypeError(`--${flag} needs a whole number ≥ 0`);
  return n;
}

function parseFlags(args: string[]): ServeFlags {
  const { values } = parseCommandArgs(args, OPTIONS);
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const pglite = text("pglite");
  const token = text("token");
  const flags: ServeFlags = {
    port: text("port") === undefined ? 4444 : count(text("port")!, "port"),
    hostname: text("hostname") ?? "127.0.0.1",
    databaseUrl: text("database-url"),
    pglite: pglite === undefined ? undefined : pglite === "" ? {} : { dataDir: pglite },
    numbers: new Map(),
    lists: new Map(),
    token: token === undefined ? undefined : token === "" ? true : token,
  };
  for (const name of LIST_FLAGS) {
    const list = values[name] as string[] | undefined;
    if (list !== undefined) flags.lists.set(`--${name}`, list);
  }
  for (const name of NUMBER_FLAGS) {
    if (text(name) !== undefined) flags.numbers.set(`--${name}`, count(text(name)!, name));
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
  if (flags.token !== undefined) options.token = flags.token;
  for (const [flag, names] of flags.lists) {
    if (flag === "--allow-role") options.allowedRoles = names;
    if (flag === "--allow-database") options.allowedDatabases = names;
    if (flag === "--allow-origin") options.allowedOrigins = names;
    if (flag === "--allow-host") options.allowedHosts = names;
  }
  const faults: Mutable<NonNullable<SqlOverHttpServerOptions["faults"]>> = {};
  for (const [flag, n] of flags.numbers) {
    if (flag === "--max-connections") options.maxConnections = n;
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

/** Who the server runs statements as, for the banner (never the password). */
function describeRoles(options: SqlOverHttpServerOptions): string | null {
  if (options.databaseUrl === undefined) return null;
  const url = new URL(options.databaseUrl);
  const roles = options.allowedRoles ??
    [url.username === "" ? "$PGUSER or your OS user" : decodeURIComponent(url.username)];
  const databases = options.allowedDatabases ?? [decodeURIComponent(url.pathname.slice(1)) || "postgres"];
  return `Serves role ${roles.join(", ")} on database ${
    databases.join(", ")
  } only; statements run with that role's rights.`;
}

/** What a connection string needs: a password only when Postgres asks for one. */
function connectionStringHint(options: SqlOverHttpServerOptions): string[] {
  if (options.databaseUrl === undefined) {
    return [
      "Connection strings need a user and a host such as localhost; no password (PGlite checks none):",
      "  postgres://<role>@localhost/<database>",
    ];
  }
  return [
    "Connection strings need a user and a host such as localhost. No password when Postgres trusts the",
    "role (trust authentication): the server passes none on and never uses its own; otherwise the role's:",
    "  postgres://<role>@localhost/<database>   or   postgres://<role>:<password>@localhost/<database>",
  ];
}

/**
 * Resolve on SIGINT, SIGTERM, the io's abort signal, or, when started by `npx` / `npm exec`,
 * the end of the parent: npm forwards SIGTERM to the `sh` that runs the bin, and `sh` dies
 * without passing it on, which would leave this process serving with no parent.
 */
function stopRequested(signal: AbortSignal | undefined, env: CliIo["env"]): Promise<void> & { cancel(): void } {
  let stop = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    let watch: ReturnType<typeof setInterval> | undefined;
    stop = (): void => {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      signal?.removeEventListener("abort", stop);
      if (watch !== undefined) clearInterval(watch);
      resolve();
    };
    process.on("SIGINT", stop).on("SIGTERM", stop);
    if (signal?.aborted) stop();
    signal?.addEventListener("abort", stop, { once: true });
    if (env["npm_command"] === "exec" && signal === undefined) {
      watch = setInterval(() => process.ppid !== launchParent && stop(), 200);
    }
  });
  return Object.assign(stopped, { cancel: () => stop() });
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
  // Listen before starting: a stop during a slow start must not leave the server running.
  const stopped = stopRequested(io.signal, io.env);
  let server;
  try {
    server = await startSqlOverHttpServer(options);
  } catch (err) {
    io.err(`edge-events serve: the server could not start: ${(err as Error).message}`);
    stopped.cancel();
    return 1;
  }
  io.out(`SQL-over-HTTP server listening on ${server.url} (${describeBackend(options)})`);
  const roles = describeRoles(options);
  if (roles !== null) io.out(roles);
  io.out("Point the Neon driver at it:");
  io.out(`  neonConfig.fetchEndpoint = ${JSON.stringify(server.url)};`);
  if (server.token !== null) {
    io.out(
      `or, for localhost connection strings on any port (import createLocalFetchEndpoint from "edge-events/dev"):`,
    );
    io.out(`  neonConfig.fetchEndpoint = createLocalFetchEndpoint({ token: ${JSON.stringify(server.token)} });`);
  }
  for (const line of connectionStringHint(options)) io.out(line);
  if (options.allowedOrigins === undefined) {
    io.out("Browsers: no origin is allowed (--allow-origin http://localhost:5173 allows one).");
  }
  if (options.faults?.latencyMs) io.out(`Fault: ${options.faults.latencyMs} ms latency before each request`);
  io.out("Stop with Ctrl+C.");
  await stopped;
  await server.close();
  return 0;
}
