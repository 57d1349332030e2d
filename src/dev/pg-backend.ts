/**
 * The node-postgres backend: a pool per (role, password, database, application_name, options)
 * in front of one upstream Postgres, which does the authentication itself ("faithful" mode).
 * @module
 */

import type { Pool, PoolClient, PoolConfig } from "pg";
import { sendCancelRequest } from "./cancel-request.ts";
import type { ConnectionInfo } from "./connection-string.ts";
import { isPostgresError, ProxyError } from "./errors.ts";
import { loadOptionalPeer } from "./optional-peer.ts";
import { PgSession } from "./pg-session.ts";
import type { Backend } from "./session.ts";
import { parseUpstream, type Upstream } from "./upstream.ts";

/** Connections kept per pool key (Neon's proxy keeps 20 per endpoint). */
const MAX_PER_POOL = 10;

function poolConfig(upstream: Upstream, info: ConnectionInfo): PoolConfig {
  const config: PoolConfig = {
    host: upstream.host,
    port: upstream.port,
    ssl: upstream.ssl,
    user: info.user,
    database: info.database ?? upstream.database,
    max: MAX_PER_POOL,
    idleTimeoutMillis: 60_000,
    allowExitOnIdle: true,
  };
  if (info.password !== null) config.password = info.password;
  if (info.applicationName !== null) config.application_name = info.applicationName;
  if (info.options !== null) config.options = info.options;
  return config;
}

const quiet = (): void => {};

/**
 * Create the backend for an upstream Postgres. `pg` is imported lazily, so that the PGlite
 * backend works without it.
 *
 * @param databaseUrl the upstream's URL: host, port, default database, `sslmode`
 * @returns the backend
 * @throws {TypeError} for a URL that is not a postgres URL
 * @throws {MissingPeerError} when `pg` is not installed
 */
export async function createPgBackend(databaseUrl: string): Promise<Backend> {
  const upstream = parseUpstream(databaseUrl);
  const { default: pg } = await loadOptionalPeer(
    "pg",
    "The Postgres backend of the local server (edge-events serve --database-url or DATABASE_URL, or { databaseUrl } in edge-events/dev)",
    () => import("pg"),
  );
  const pools = new Map<string, Pool>();

  const poolFor = (info: ConnectionInfo): Pool => {
    const key = JSON.stringify([info.user, info.password, info.database, info.applicationName, info.options]);
    let pool = pools.get(key);
    if (pool === undefined) {
      pool = new pg.Pool(poolConfig(upstream, info));
      pool.on("error", quiet); // an idle connection died; the pool drops it
      pools.set(key, pool);
    }
    return pool;
  };

  const checkout = async (info: ConnectionInfo): Promise<PoolClient> => {
    try {
      const client = await poolFor(info).connect();
      if (client.listenerCount("error") === 0) client.on("error", quiet);
      return client;
    } catch (err) {
      if (isPostgresError(err)) throw err; // auth failure, unknown database, ...
      throw new ProxyError(500, "could not connect to the upstream database");
    }
  };

  return {
    async withSession(info, signal, work) {
      const client = await checkout(info);
      const cancel = (): void => {
        const key = session.backendKey;
        if (key !== null) void sendCancelRequest(upstream, key.processId, key.secretKey);
      };
      const session = new PgSession(client, cancel);
      const onAbort = (): void => {
        session.abandon();
        cancel();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        return await work(session);
      } finally {
        signal.removeEventListener("abort", onAbort);
        client.release(session.reusable ? undefined : true);
      }
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.end()));
    },
  };
}
