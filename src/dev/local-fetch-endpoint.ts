/**
 * A `neonConfig.fetchEndpoint` function that sends local hosts to local servers by port, and a
 * factory for one that also passes a server's token.
 * @module
 */

const LOCAL_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);
const DEFAULT_PORT = "4444";

/**
 * Map the host and port of a connection string to a SQL-over-HTTP endpoint: local hosts
 * (`localhost`, `127.0.0.1`, `::1`) go to `http://<host>:<port>/sql` (port 4444 when the
 * connection string has none); any other host goes where the driver would send it by default
 * (`https://api.<rest-of-host>/sql`, or `apiauth.` with JWT auth).
 *
 * Set it once; several local servers can then coexist, each named by the port in its
 * connection string. With `poolQueryViaFetch` the driver drops the port, so use a fixed URL.
 *
 * @param host the connection string's host name
 * @param port the connection string's port (`""` when absent)
 * @param options the driver's options; `jwtAuth` picks `apiauth.` for remote hosts
 * @returns the endpoint URL
 * @example
 * ```ts
 * import { neon, neonConfig } from "@neondatabase/serverless";
 * import { localFetchEndpoint } from "edge-events/dev";
 *
 * neonConfig.fetchEndpoint = localFetchEndpoint;
 * const sql = neon("postgres://postgres:pw@localhost:4444/app"); // sent to http://localhost:4444/sql
 * ```
 */
export function localFetchEndpoint(
  host: string,
  port: string | number,
  options?: { jwtAuth?: boolean },
): string {
  if (LOCAL_HOSTS.has(host)) {
    const authority = host === "::1" ? "[::1]" : host;
    return `http://${authority}:${port === "" ? DEFAULT_PORT : String(port)}/sql`;
  }
  const prefix = options?.jwtAuth === true ? "apiauth." : "api.";
  return `https://${host.replace(/^[^.]+\./, prefix)}/sql`;
}

/** The signature of `neonConfig.fetchEndpoint` as a function. */
export type FetchEndpoint = (host: string, port: string | number, options?: { jwtAuth?: boolean }) => string;

/**
 * A {@link localFetchEndpoint} that also passes a local server's token. The driver's
 * `fetchEndpoint` can only choose the URL, not add headers, so the token goes in the URL's
 * `token` query parameter (Neon's proxy ignores the query string; the local server reads it).
 * Remote hosts never see it.
 *
 * @param options the token printed by `edge-events serve` (or `server.token`)
 * @returns the `fetchEndpoint` function
 * @throws {TypeError} for an empty token
 * @example
 * ```ts
 * import { neonConfig } from "@neondatabase/serverless";
 * import { createLocalFetchEndpoint, startSqlOverHttpServer } from "edge-events/dev";
 *
 * const server = await startSqlOverHttpServer({ pglite: {}, port: 0, token: true });
 * neonConfig.fetchEndpoint = createLocalFetchEndpoint({ token: server.token });
 * ```
 */
export function createLocalFetchEndpoint(options: { readonly token?: string | null | undefined }): FetchEndpoint {
  const token = options.token ?? null;
  if (token === null) return localFetchEndpoint;
  if (typeof token !== "string" || token === "") throw new TypeError("token must be a non-empty string");
  const query = `?token=${encodeURIComponent(token)}`;
  return (host, port, driverOptions) => {
    const endpoint = localFetchEndpoint(host, port, driverOptions);
    return LOCAL_HOSTS.has(host) ? endpoint + query : endpoint;
  };
}
