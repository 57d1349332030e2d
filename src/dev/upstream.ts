/**
 * The upstream Postgres of the pg backend: host, port, role, default database and TLS, read from
 * `databaseUrl`. Role, password and database of each request come from its connection string,
 * and the backend serves only the role and database of `databaseUrl` (or its allow lists).
 * @module
 */

/** Where the upstream Postgres listens. */
export interface UpstreamAddress {
  /** A host name, an IP, or a Unix socket directory (starting with `/`). */
  readonly host: string;
  readonly port: number;
}

/** The upstream, as node-postgres options. */
export interface Upstream extends UpstreamAddress {
  /** The role of the URL (percent-decoded), `null` when it names none. */
  readonly user: string | null;
  /** The database of the URL: served, and used when a request's connection string names none. */
  readonly database: string;
  /** node-postgres `ssl` option. */
  readonly ssl: boolean | { readonly rejectUnauthorized: boolean };
}

function tlsFor(url: URL): Upstream["ssl"] {
  const mode = url.searchParams.get("sslmode");
  if (mode === "require" || mode === "no-verify") return { rejectUnauthorized: false };
  if (mode === "verify-ca" || mode === "verify-full") return true;
  return url.searchParams.get("ssl") === "true";
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TypeError("databaseUrl is not valid percent-encoded UTF-8");
  }
}

/**
 * Read the upstream from a `postgres://` URL (`?host=/path` names a Unix socket directory).
 *
 * @param databaseUrl the upstream URL
 * @returns host, port, role, default database and TLS
 * @throws {TypeError} when the URL is not a postgres URL (the message never quotes it)
 */
export function parseUpstream(databaseUrl: string): Upstream {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new TypeError("databaseUrl is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new TypeError("databaseUrl must use the postgres: or postgresql: scheme");
  }
  const path = url.pathname.replace(/^\//, "");
  return {
    host: url.searchParams.get("host") ?? (url.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost"),
    port: url.port === "" ? 5432 : Number(url.port),
    user: url.username === "" ? null : decode(url.username),
    database: path === "" ? "postgres" : decode(path),
    ssl: tlsFor(url),
  };
}
