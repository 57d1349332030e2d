/**
 * One local SQL-over-HTTP server per process, shared by every suite that needs it, and the
 * global `neonConfig` pointed at it once.
 *
 * Node runs each test file in its own process; Bun and Deno run several files in one process
 * or worker, one after another (and without `--parallel`, every file in one). So the server is
 * reference counted: the first lease starts it, the last release closes it (and a
 * later lease starts a new one), and the state lives on `globalThis` so that two copies of
 * this module still share it. Release every lease (in `after`) or the process will not exit.
 * @module
 */
import { neonConfig } from "@neondatabase/serverless";
import { localFetchEndpoint, type SqlOverHttpServer, startSqlOverHttpServer } from "../../src/dev/mod.ts";
import { databaseUrl } from "./database.ts";

/** The running server (url, port, faults, stats, close). */
export type LocalServer = SqlOverHttpServer;

/** A share of the server; call `release()` exactly once. */
export interface LocalServerLease {
  /** The server. */
  readonly server: LocalServer;
  /** Give the share back; the last one closes the server. */
  release(): Promise<void>;
}

interface SharedState {
  leases: number;
  server: Promise<LocalServer> | undefined;
  closing: Promise<void>;
  /** HTTP requests the Neon driver sent, per `application_name` of the connection string. */
  readonly requests: Map<string, number>;
  /** The counting fetch installed into `neonConfig`, to reinstall if a suite replaced it. */
  countingFetch: ((input: string | URL | Request, init?: RequestInit) => Promise<Response>) | undefined;
}

const STATE_KEY = Symbol.for("edge-events.tests.local-server");

function shared(): SharedState {
  const holder = globalThis as { [STATE_KEY]?: SharedState };
  holder[STATE_KEY] ??= {
    leases: 0,
    server: undefined,
    closing: Promise.resolve(),
    requests: new Map(),
    countingFetch: undefined,
  };
  return holder[STATE_KEY];
}

/**
 * Lease the process's local server, starting it (over {@link databaseUrl}) when needed, and
 * point the Neon driver at it (`neonConfig.fetchEndpoint`, plus a counting `fetchFunction`).
 *
 * @returns the lease
 * @example
 * ```ts
 * const { server, release } = await leaseLocalServer();
 * try { ... } finally { await release() }
 * ```
 */
export async function leaseLocalServer(): Promise<LocalServerLease> {
  const state = shared();
  installNeonConfig(state);
  state.leases++;
  if (state.server === undefined) {
    const closing = state.closing;
    state.server = closing.then(() => startSqlOverHttpServer({ databaseUrl: databaseUrl(), port: 0 }));
  }
  let server: LocalServer;
  try {
    server = await state.server;
  } catch (error) {
    state.leases--;
    state.server = undefined;
    throw error;
  }
  let released = false;
  return {
    server,
    async release() {
      if (released) return;
      released = true;
      state.leases--;
      if (state.leases > 0) return;
      state.server = undefined;
      state.closing = server.close();
      await state.closing;
    },
  };
}

/**
 * How many HTTP requests the Neon driver has sent for connection strings carrying this
 * `application_name` (the harness gives every fixture its own).
 *
 * @param applicationName the `application_name` query parameter of the connection string
 * @returns the count so far
 * @example
 * ```ts
 * const before = neonRequestCount("ee_abc"); await db.query(q); neonRequestCount("ee_abc") - before // => 1
 * ```
 */
export function neonRequestCount(applicationName: string): number {
  return shared().requests.get(applicationName) ?? 0;
}

function installNeonConfig(state: SharedState): void {
  if (state.countingFetch === undefined) {
    const send = globalThis.fetch.bind(globalThis);
    state.countingFetch = (input, init) => {
      const name = applicationNameOf(init?.headers);
      if (name !== undefined) state.requests.set(name, (state.requests.get(name) ?? 0) + 1);
      return send(input, init);
    };
  }
  neonConfig.fetchEndpoint = localFetchEndpoint;
  neonConfig.fetchFunction = state.countingFetch;
}

function applicationNameOf(headers: HeadersInit | undefined): string | undefined {
  const connectionString = new Headers(headers).get("Neon-Connection-String");
  if (connectionString === null) return undefined;
  try {
    return new URL(connectionString).searchParams.get("application_name") ?? undefined;
  } catch {
    return undefined;
  }
}
