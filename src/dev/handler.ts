/**
 * The SQL-over-HTTP handler: a Web-standard `(request) => Promise<Response>` speaking Neon's
 * protocol in front of node-postgres or PGlite. No sockets here; see `server.ts` for those.
 * @module
 */

import { type AccessOptions, createAccess } from "./access.ts";
import { batchEchoHeaders, parseBatchHeaders } from "./batch-headers.ts";
import { parseConnectionString } from "./connection-string.ts";
import { ProxyError } from "./errors.ts";
import { executePayload } from "./execute-payload.ts";
import {
  createFaultController,
  DroppedResponseError,
  DROPPING_FAULTS,
  type FaultInjector,
  type FaultMode,
  type FaultOptions,
} from "./faults.ts";
import type { ConnectionStats } from "./connection-pool.ts";
import { createPgBackend, type PgBackend, type PgBackendOptions } from "./pg-backend.ts";
import { createPgliteBackend, type PgliteOption } from "./pglite-backend.ts";
import { readBody } from "./read-body.ts";
import { decodePayload, parseJsonBody } from "./request-body.ts";
import { ResponseBudget } from "./response-budget.ts";
import { errorResponse, jsonResponse, preflightResponse, unsupportedResponse } from "./responses.ts";
import type { Backend } from "./session.ts";

const DEFAULT_LIMIT = 64 * 1024 * 1024;

/**
 * Options of the handler (and of the server, which adds the socket options). Requests are
 * refused unless their `Host` is a loopback name (or in `allowedHosts`), their `Origin`, when
 * they have one, is in `allowedOrigins`, and they carry the `token` when one is set.
 */
export interface SqlOverHttpHandlerOptions extends AccessOptions, PgBackendOptions {
  /**
   * Upstream Postgres URL: host, port, role, database, `sslmode`. Requests connect with the role,
   * password and database of their connection string, and only the URL's role and database (or
   * those of `allowedRoles` and `allowedDatabases`) are served.
   */
  readonly databaseUrl?: string;
  /** Or an embedded PGlite: an instance, or `{ dataDir }` (in memory without it). */
  readonly pglite?: PgliteOption;
  /** Request body limit in bytes (413 beyond); default 64 MiB. */
  readonly maxRequestBytes?: number;
  /** Response limit in bytes, cumulative across a batch (507 beyond); default 64 MiB. */
  readonly maxResponseBytes?: number;
  /** Faults on from the start; none by default. */
  readonly faults?: FaultOptions;
}

/** Counters of POST requests to `/sql`. */
export interface SqlOverHttpStats {
  /** Every POST to `/sql`. */
  requests: number;
  /** Those whose body was a single query. */
  queries: number;
  /** Those whose body was a batch. */
  batches: number;
}

/** The handler function, with its faults, counters and `close()`. */
export interface SqlOverHttpHandler {
  (request: Request): Promise<Response>;
  /** Programmatic fault injection. */
  readonly faults: FaultInjector;
  /** Request counters. */
  readonly stats: SqlOverHttpStats;
  /** Upstream connection counts (PGlite: one connection, never idle-closed). */
  connectionStats(): ConnectionStats;
  /** Close the idle upstream connections now (they close by themselves after `idleTimeoutMs`). */
  closeIdleConnections(): number;
  /** Close the backend's connections (and a PGlite the handler created). */
  close(): Promise<void>;
}

function createBackend(options: SqlOverHttpHandlerOptions): Promise<Backend | PgBackend> {
  if (options.databaseUrl !== undefined && options.pglite !== undefined) {
    throw new TypeError("Pass either databaseUrl or pglite, not both");
  }
  if (options.databaseUrl !== undefined) return createPgBackend(options.databaseUrl, options);
  if (options.allowedRoles !== undefined || options.allowedDatabases !== undefined) {
    throw new TypeError("allowedRoles and allowedDatabases apply to databaseUrl; PGlite has one role and one database");
  }
  if (options.pglite !== undefined) return createPgliteBackend(options.pglite);
  throw new TypeError("Pass databaseUrl (an upstream Postgres) or pglite (an embedded database)");
}

function withHeaders(response: Response, headers: readonly [string, string][]): Response {
  for (const [name, value] of headers) response.headers.set(name, value);
  return response;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * Create the Request→Response handler without a socket, e.g. to serve it yourself or to use it
 * as `neonConfig.fetchFunction` in-process.
 *
 * @param options the backend (exactly one of `databaseUrl` and `pglite`), who may use it, limits and faults
 * @returns the handler; a dropped-response fault makes it reject, which reads as a network error
 * @throws {TypeError} when neither or both backends are given, or for a bad origin, token or allow list
 * @example
 * ```ts
 * import { neonConfig } from "@neondatabase/serverless";
 * import { createSqlOverHttpHandler } from "edge-events/dev";
 *
 * const handler = await createSqlOverHttpHandler({ pglite: {} });
 * neonConfig.fetchFunction = (url: string, init: RequestInit) => handler(new Request(url, init));
 * ```
 */
export async function createSqlOverHttpHandler(options: SqlOverHttpHandlerOptions): Promise<SqlOverHttpHandler> {
  const access = createAccess(options);
  const backend = await createBackend(options);
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_LIMIT;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_LIMIT;
  const faults = createFaultController(options.faults);
  const stats: SqlOverHttpStats = { requests: 0, queries: 0, batches: 0 };

  const execute = async (request: Request, setMode: (mode: FaultMode | null) => void): Promise<Response> => {
    const { headers, signal } = request;
    const info = parseConnectionString(headers.get("neon-connection-string"));
    if (headers.has("authorization")) {
      // Like a Neon proxy that does not accept JWTs (the optional JWT tier is not emulated).
      throw new ProxyError(400, "missing authentication credentials: required password");
    }
    // A connection string without a password is served when the upstream asks for none (trust
    // authentication, PGlite); when it asks for one, the pg backend answers as Neon does.
    const batch = parseBatchHeaders(headers);
    const json = parseJsonBody(await readBody(request, maxRequestBytes));
    const payload = decodePayload(json);
    stats[payload.kind === "query" ? "queries" : "batches"]++;
    const fault = faults.take(json);
    setMode(fault.mode);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs, signal);
    if (fault.mode === "fail-before-execution") {
      throw new ProxyError(503, "injected fault: the server is unavailable, nothing was executed");
    }
    if (fault.mode === "reset-before-execution" || (fault.mode === "drop-before-commit" && payload.kind === "query")) {
      throw new DroppedResponseError();
    }
    const plan = {
      payload,
      batch,
      arrayMode: headers.get("neon-array-mode") === "true",
      rawText: headers.get("neon-raw-text-output") === "true",
      budget: new ResponseBudget(maxResponseBytes),
      signal,
      rollbackInsteadOfCommit: fault.mode === "drop-before-commit",
    };
    const body = await backend.withSession(info, signal, (session) => executePayload(session, plan));
    return jsonResponse(200, body, payload.kind === "batch" ? batchEchoHeaders(batch) : []);
  };

  const handler = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const preflight = pathname === "/sql" && request.method === "OPTIONS";
    let cors: [string, string][];
    try {
      cors = access.check(request, !preflight);
    } catch (err) {
      return errorResponse(err); // before anything else, and without CORS headers
    }
    if (preflight) return preflightResponse(request, cors);
    if (pathname !== "/sql" || request.method !== "POST") return withHeaders(unsupportedResponse(), cors);
    stats.requests++;
    let mode: FaultMode | null = null;
    let response: Response;
    try {
      response = await execute(request, (picked) => (mode = picked));
    } catch (err) {
      response = errorResponse(err);
    }
    if (mode !== null && DROPPING_FAULTS.has(mode)) throw new DroppedResponseError();
    return withHeaders(response, cors);
  };

  const pg = "connectionStats" in backend ? backend : null;
  return Object.assign(handler, {
    faults,
    stats,
    connectionStats: (): ConnectionStats => pg?.connectionStats() ?? { open: 1, idle: 0, waiting: 0, keys: 1 },
    closeIdleConnections: (): number => pg?.closeIdleConnections() ?? 0,
    close: () => backend.close(),
  });
}
