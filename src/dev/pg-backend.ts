/**
 * The node-postgres backend: connections to one upstream Postgres, which does the
 * authentication itself ("faithful" mode), for the roles and databases this server serves only,
 * pooled per (role, password, database, application_name, options) under one global cap.
 * @module
 */

import type { Client, ClientConfig, PoolClient } from "pg";
import { sendCancelRequest } from "./cancel-request.ts";
import type { ConnectionInfo } from "./connection-string.ts";
import { ConnectionPool, type ConnectionStats } from "./connection-pool.ts";
import { isPostgresError, ProxyError } from "./errors.ts";
import { loadOptionalPeer } from "./optional-peer.ts";
import { PgSession } from "./pg-session.ts";
import type { Backend } from "./session.ts";
import { parseUpstream, type Upstream } from "./upstream.ts";

/** Open upstream connections across all keys, by default (Neon's proxy keeps 20 per endpoint). */
const DEFAULT_MAX_CONNECTIONS = 20;
/** Idle connections close after this long, by default (Neon: 5 minutes). */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Which roles and databases the backend serves, and its connection limits. */
export interface PgBackendOptions {
  /** Roles a request may name; default: the role of `databaseUrl` only. */
  readonly allowedRoles?: readonly string[];
  /** Databases a request may name; default: the database of `databaseUrl` only. */
  readonly allowedDatabases?: readonly string[];
  /** Cap on open upstream connections, across every role, database and parameter; default 20. */
  readonly maxConnections?: number;
  /** Idle connections close after this many milliseconds; default 60 000. */
  readonly idleTimeoutMs?: number;
}

/** The pg backend, with its connection counts. */
export interface PgBackend extends Backend {
  /** Counts of open, idle and waiting connections and of pool keys. */
  connectionStats(): ConnectionStats;
  /** Close the idle connections now. */
  closeIdleConnections(): number;
}

function clientConfig(upstream: Upstream, info: ConnectionInfo): ClientConfig {
  const config: ClientConfig = {
    host: upstream.host,
    port: upstream.port,
    ssl: upstream.ssl,
    user: info.user,
    database: info.database ?? upstream.database,
  };
  // Without a password in the request, never node-postgres's fallbacks (PGPASSWORD, ~/.pgpass):
  // those are the server's own credentials. Trust authentication asks for none; otherwise the
  // request is refused as Neon refuses a connection string without a password.
  config.password = info.password ?? refusePasswordPrompt;
  if (info.applicationName !== null) config.application_name = info.applicationName;
  if (info.options !== null) config.options = info.options;
  return config;
}

const quiet = (): void => {};

/** Called by node-postgres only when the upstream asks a request without a password for one. */
function refusePasswordPrompt(): Promise<string> {
  return Promise.reject(new ProxyError(400, "missing authentication credentials: required password"));
}

function nameList(names: readonly string[] | undefined, what: string): readonly string[] | undefined {
  if (names === undefined) return undefined;
  if (!Array.isArray(names) || names.length === 0 || names.some((name) => typeof name !== "string" || name === "")) {
    throw new TypeError(`${what} must be a non-empty list of non-empty names`);
  }
  return names;
}

/** Postgres's own answer for a database that does not exist (Neon passes it through). */
function noSuchDatabase(database: string): Error {
  return Object.assign(new Error(`database "${database}" does not exist`), { code: "3D000", severity: "FATAL" });
}

/**
 * Create the backend for an upstream Postgres. `pg` is imported lazily, so that the PGlite
 * backend works without it.
 *
 * @param databaseUrl the upstream's URL: host, port, role and database served, `sslmode`
 * @param options other roles and databases to serve, connection cap and idle timeout
 * @returns the backend
 * @throws {TypeError} for a URL that is not a postgres URL, or an empty allow list
 * @throws {RangeError} for a cap below 1 or a negative timeout
 * @throws {MissingPeerError} when `pg` is not installed
 */
export async function createPgBackend(databaseUrl: string, options: PgBackendOptions = {}): Promise<PgBackend> {
  const upstream = parseUpstream(databaseUrl);
  const allowedRoles = nameList(options.allowedRoles, "allowedRoles");
  const allowedDatabases = nameList(options.allowedDatabases, "allowedDatabases");
  const { default: pg } = await loadOptionalPeer(
    "pg",
    "The Postgres backend of the local server (edge-events serve --database-url or DATABASE_URL, or { databaseUrl } in edge-events/dev)",
    () => import("pg"),
  );
  // The URL's role, else the one node-postgres would use (PGUSER, then the OS user).
  const roles = new Set(allowedRoles ?? [upstream.user ?? String(new pg.Client({}).user)]);
  const databases = new Set(allowedDatabases ?? [upstream.database]);
  const ended = new WeakSet<Client>();
  const pool = new ConnectionPool<Client>({
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    close: (client) => ((client as { ref?: () => void }).ref?.(), client.end()), // ref'd: wait for the end
  });

  const open = async (info: ConnectionInfo): Promise<Client> => {
    const client = new pg.Client(clientConfig(upstream, info));
    client.on("error", quiet); // a connection that dies is dropped, idle or not
    client.on("end", () => (ended.add(client), pool.discardIdle(client)));
    await client.connect();
    return client;
  };

  const checkout = async (info: ConnectionInfo, key: string, signal: AbortSignal): Promise<Client> => {
    // Neon's proxy checks the role before it connects, and does not say whether it exists.
    if (!roles.has(info.user)) throw new ProxyError(400, `password authentication failed for user '${info.user}'`);
    const database = info.database ?? upstream.database;
    if (!databases.has(database)) throw noSuchDatabase(database);
    try {
      const client = await pool.acquire(key, () => open(info), signal);
      (client as { ref?: () => void }).ref?.();
      return client;
    } catch (err) {
      if (signal.aborted) throw new ProxyError(400, "Query cancelled, connection was terminated", "08P01");
      if (isPostgresError(err) || err instanceof ProxyError) throw err; // auth failure, unknown database, ...
      throw new ProxyError(500, "could not connect to the upstream database");
    }
  };

  return {
    async withSession(info, signal, work) {
      const poolKey = JSON.stringify([info.user, info.password, info.database, info.applicationName, info.options]);
      const client = await checkout(info, poolKey, signal);
      const cancel = (): void => {
        const key = session.backendKey;
        if (key !== null) void sendCancelRequest(upstream, key.processId, key.secretKey);
      };
      const session = new PgSession(client as PoolClient, cancel);
      const onAbort = (): void => {
        session.abandon();
        cancel();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        return await work(session);
      } finally {
        signal.removeEventListener("abort", onAbort);
        const reusable = session.reusable && !ended.has(client);
        if (reusable) (client as { unref?: () => void }).unref?.(); // idle connections keep no process alive
        pool.release(poolKey, client, reusable);
      }
    },
    connectionStats: () => pool.stats(),
    closeIdleConnections: () => pool.closeIdle(),
    close: () => pool.close(),
  };
}
