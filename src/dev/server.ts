/**
 * The socket layer: serves the handler with `node:http`, on Node, Bun and Deno alike. It is the
 * one server API of the three that both tells when a client disconnects before its response
 * (needed to cancel the query, spec §8) and can destroy a socket without answering (needed by
 * the drop-after-commit fault).
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost } from "./access.ts";
import { DroppedResponseError, type FaultInjector } from "./faults.ts";
import type { ConnectionStats } from "./connection-pool.ts";
import { createSqlOverHttpHandler, type SqlOverHttpHandlerOptions, type SqlOverHttpStats } from "./handler.ts";

/** Options of {@link startSqlOverHttpServer}. */
export interface SqlOverHttpServerOptions extends Omit<SqlOverHttpHandlerOptions, "token"> {
  /** Port to listen on; 0 picks a free one. Default 4444. */
  readonly port?: number;
  /** Address to listen on (its name is also accepted in `Host`). Default `127.0.0.1`. */
  readonly hostname?: string;
  /**
   * A token every request must carry (`Edge-Events-Token` header or `?token=` in the endpoint),
   * or `true` to generate one. Off by default on a loopback address; always on (generated when
   * not given) on any other address, which other machines can reach.
   */
  readonly token?: string | true;
}

/** A running local SQL-over-HTTP server. */
export interface SqlOverHttpServer {
  /** The endpoint for `neonConfig.fetchEndpoint`, e.g. `http://127.0.0.1:4444/sql` (with `?token=…` when it has one). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The token requests must carry, or `null`. */
  readonly token: string | null;
  /** Programmatic fault injection. */
  readonly faults: FaultInjector;
  /** Counters of POSTs to `/sql`. */
  readonly stats: SqlOverHttpStats;
  /** Upstream connection counts. */
  connectionStats(): ConnectionStats;
  /** Close the idle upstream connections now; returns how many. */
  closeIdleConnections(): number;
  /** Stop listening, drop open connections and close the backend. */
  close(): Promise<void>;
}

/** A Web `Request` for a node request, whose signal aborts when the client goes away. */
function toRequest(req: IncomingMessage, res: ServerResponse, origin: string): Request {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  let open = true;
  const body = hasBody
    ? new ReadableStream<Uint8Array>({
      start(stream) {
        req.on("data", (chunk: Uint8Array) => {
          if (!open) return;
          stream.enqueue(new Uint8Array(chunk));
          if ((stream.desiredSize ?? 0) <= 0) req.pause();
        });
        req.on("end", () => open && (open = false, stream.close()));
        req.on("error", (err) => open && (open = false, stream.error(err)));
      },
      pull: () => void req.resume(),
      cancel: () => void (open = false, req.resume()),
    })
    : null;
  const init: RequestInit & { duplex?: "half" } = { method: req.method ?? "GET", headers, signal: controller.signal };
  if (body !== null) (init.body = body, init.duplex = "half");
  return new Request(new URL(req.url ?? "/", origin), init);
}

function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(body);
}

/**
 * Start a local server that speaks Neon's SQL-over-HTTP protocol, so that the real `neon()`
 * driver runs against a local Postgres or PGlite.
 *
 * @param options the backend (`databaseUrl` or `pglite`), port, host, limits and faults
 * @returns the running server
 * @throws {TypeError} when neither or both backends are given, for an origin that is not
 *   `scheme://host[:port]`, an empty token or allow list; listen errors as they come
 * @example
 * ```ts
 * import { neon, neonConfig } from "@neondatabase/serverless";
 * import { localFetchEndpoint, startSqlOverHttpServer } from "edge-events/dev";
 *
 * const server = await startSqlOverHttpServer({ databaseUrl: "postgres://postgres@127.0.0.1:5432/app", port: 0 });
 * neonConfig.fetchEndpoint = localFetchEndpoint;
 * const sql = neon(`postgres://postgres:pw@localhost:${server.port}/app`);
 * await sql`SELECT 1`;
 * await server.close();
 * ```
 */
export async function startSqlOverHttpServer(options: SqlOverHttpServerOptions): Promise<SqlOverHttpServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const token = options.token === true || (options.token === undefined && !isLoopbackHost(hostname))
    ? generateToken()
    : options.token ?? null;
  const wildcard = hostname === "0.0.0.0" || hostname === "::";
  const { token: _ignored, ...rest } = options;
  const handler = await createSqlOverHttpHandler({
    ...rest,
    ...(token !== null && { token }),
    allowedHosts: [...(options.allowedHosts ?? []), ...(wildcard ? [] : [hostname])],
  });
  const server = createServer((req, res) => {
    const origin = `http://${host}`;
    handler(toRequest(req, res, origin)).then(
      (response) => writeResponse(response, res),
      (err: unknown) => {
        // Destroy the socket itself: Bun answers 200 to a `res.destroy()` made after a tick.
        if (err instanceof DroppedResponseError) (req.socket.destroy(), res.destroy());
        else if (!res.headersSent) res.writeHead(500).end();
      },
    ).catch(() => res.destroy());
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 4444, hostname, () => resolve());
    });
  } catch (err) {
    await handler.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/sql${token === null ? "" : `?token=${encodeURIComponent(token)}`}`,
    port,
    token,
    faults: handler.faults,
    stats: handler.stats,
    connectionStats: () => handler.connectionStats(),
    closeIdleConnections: () => handler.closeIdleConnections(),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      await handler.close();
    },
  };
}
