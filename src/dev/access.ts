/**
 * Who may use the local server: a development tool that a web page must not be able to drive.
 * Three checks run before anything else, on every request:
 *
 * - `Host` names a loopback host (`localhost`, `*.localhost`, `127.0.0.1`, `::1`), the host the
 *   server listens on, or an allowed host. This defeats DNS rebinding, where a page of
 *   `evil.example` gets its name resolved to 127.0.0.1 and then talks to the server as
 *   same-origin: its requests still say `Host: evil.example`.
 * - `Origin`, when present (browsers send it on every cross-origin request and every POST),
 *   is one of the allowed origins; none by default. Other origins are refused before anything
 *   runs, and CORS headers name allowed origins only, never `*`.
 * - The token, when the server has one, is sent in the `Edge-Events-Token` header or in the
 *   endpoint URL's `token` query parameter (Neon's proxy ignores the query string).
 * @module
 */

import { ProxyError } from "./errors.ts";

/** The header that carries the token. */
export const TOKEN_HEADER = "Edge-Events-Token";

/** Options of the access checks. */
export interface AccessOptions {
  /** Browser origins allowed to use the server (e.g. `http://localhost:5173`); none by default. */
  readonly allowedOrigins?: readonly string[];
  /** Host names accepted in `Host` besides loopback names (e.g. `db.localtest.me`). */
  readonly allowedHosts?: readonly string[];
  /** A token every request must carry; none by default. */
  readonly token?: string;
}

/** The checks, built once per handler. */
export interface Access {
  /**
   * Refuse a request whose host, origin or token is not allowed.
   *
   * @param request the request
   * @param needsToken false for the CORS preflight, which browsers send without credentials
   * @returns the CORS headers to add to the answer (empty unless the origin is allowed)
   * @throws {ProxyError} 403 for a host or an origin, 401 for a missing or wrong token
   */
  check(request: Request, needsToken: boolean): [string, string][];
}

/** Whether a host name is a loopback name. */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost") || name === "::1" || /^127(\.\d{1,3}){3}$/.test(name);
}

function canonicalOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new TypeError("allowedOrigins holds a value that is not an origin such as http://localhost:5173");
  }
  const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" &&
    url.password === "";
  if (url.origin === "null" || !bare || origin.endsWith("/")) {
    throw new TypeError("allowedOrigins holds a value that is not an origin such as http://localhost:5173");
  }
  return url.origin;
}

function hostnameOf(hostHeader: string): string | null {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return null;
  }
}

/** Compare two strings in time independent of where they differ. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Build the access checks.
 *
 * @param options allowed origins and hosts, and the token
 * @returns the checks
 * @throws {TypeError} for an origin that is not `scheme://host[:port]`, `*` included, or an empty token
 */
export function createAccess(options: AccessOptions): Access {
  const origins = new Set((options.allowedOrigins ?? []).map(canonicalOrigin));
  const hosts = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, "$1")));
  const token = options.token;
  if (token !== undefined && (typeof token !== "string" || token === "")) {
    throw new TypeError("token must be a non-empty string");
  }

  return {
    check(request, needsToken) {
      const host = request.headers.get("host") ?? new URL(request.url).host;
      const hostname = hostnameOf(host)?.replace(/^\[(.*)\]$/, "$1").toLowerCase() ?? null;
      if (hostname === null || !(isLoopbackHost(hostname) || hosts.has(hostname))) {
        throw new ProxyError(
          403,
          "this local server answers only requests for localhost (see its --allow-host option)",
        );
      }
      const origin = request.headers.get("origin");
      if (origin !== null && !origins.has(origin)) {
        throw new ProxyError(
          403,
          "this local server does not accept requests from this origin (see its --allow-origin option)",
        );
      }
      if (needsToken && token !== undefined) {
        const sent = request.headers.get(TOKEN_HEADER) ?? new URL(request.url).searchParams.get("token");
        if (sent === null || !sameText(sent, token)) {
          throw new ProxyError(
            401,
            `this local server needs its token, in the ${TOKEN_HEADER} header or the endpoint's ?token= parameter`,
          );
        }
      }
      return origin === null ? [] : [["Access-Control-Allow-Origin", origin], ["Vary", "Origin"]];
    },
  };
}
