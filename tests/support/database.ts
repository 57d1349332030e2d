/**
 * Where the test Postgres lives, and unique names inside it.
 * @module
 */
import process from "node:process";

/** The database the suites use when `DATABASE_URL` is not set (trust auth, local). */
export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/**
 * The URL of the test Postgres: `DATABASE_URL`, or {@link DEFAULT_DATABASE_URL}.
 *
 * @returns a `postgres://` URL
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: databaseUrl() });
 * ```
 */
export function databaseUrl(): string {
  const url = process.env["DATABASE_URL"];
  return url === undefined || url === "" ? DEFAULT_DATABASE_URL : url;
}

/**
 * The database name of {@link databaseUrl} (decoded), `postgres` when the URL names none.
 *
 * @returns e.g. `test`
 */
export function databaseName(): string {
  return decodeURIComponent(new URL(databaseUrl()).pathname.slice(1)) || "postgres";
}

/**
 * A connection string for the local SQL-over-HTTP server on `port`: the role and database of
 * {@link databaseUrl} (never a hard-coded name: the suites run against any `DATABASE_URL`).
 *
 * @param port the local server's port
 * @param options `password` (default `pw`, `null` for none) and query parameters
 * @returns a `postgres://` URL at `localhost:<port>`
 * @example
 * ```ts
 * neon(localServerUrl(server.port, { params: { application_name: "app" } }))
 * ```
 */
export function localServerUrl(
  port: number,
  options: { readonly password?: string | null; readonly params?: Readonly<Record<string, string>> } = {},
): string {
  const upstream = new URL(databaseUrl());
  const url = new URL(`postgres://localhost:${port}/${encodeURIComponent(databaseName())}`);
  url.username = upstream.username || "postgres";
  const password = options.password === undefined ? "pw" : options.password;
  if (password !== null) url.password = password;
  for (const [key, value] of Object.entries(options.params ?? {})) url.searchParams.set(key, value);
  return url.href;
}

/**
 * A fresh schema name, unique across processes and runs: `ee_` and 16 random hex digits.
 *
 * @param prefix the start of the name (a valid identifier)
 * @returns a name safe to use unquoted
 * @example
 * ```ts
 * uniqueSchemaName() // => "ee_3f9c0a1b2d4e5f60"
 * ```
 */
export function uniqueSchemaName(prefix = "ee"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
