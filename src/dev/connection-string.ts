/**
 * Parsing of the `Neon-Connection-String` request header (spec §9.1).
 * @module
 */

import { ProxyError } from "./errors.ts";

/** What one request asks to connect as. Host and port are not here: the upstream is fixed. */
export interface ConnectionInfo {
  /** The role, percent-decoded. */
  readonly user: string;
  /** The password, percent-decoded; `null` when the URL has none. */
  readonly password: string | null;
  /** The database, percent-decoded; `null` when the URL has no path. */
  readonly database: string | null;
  /** The URL's `application_name` query parameter, when present. */
  readonly applicationName: string | null;
  /** The URL's `options` query parameter without Neon's `endpoint=`/`project=` tokens. */
  readonly options: string | null;
}

const NEON_OPTION = /^(?:--)?(?:endpoint|project)=/;

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ProxyError(400, `invalid connection string: ${what} is not valid percent-encoded UTF-8`);
  }
}

function stripNeonOptions(options: string): string | null {
  const kept = options.split(/\s+/).filter((token) => token !== "" && !NEON_OPTION.test(token));
  return kept.length === 0 ? null : kept.join(" ");
}

/**
 * Parse a `Neon-Connection-String` header value the way Neon's proxy does: scheme `postgres:`
 * or `postgresql:`, user required, everything percent-decoded. The host and port are ignored
 * (any host is accepted, IPs and `localhost` included).
 *
 * @param header the header value, or `null` when the header is missing
 * @returns the parsed connection info
 * @throws {ProxyError} 400 with Neon's message for a missing or malformed value
 */
export function parseConnectionString(header: string | null): ConnectionInfo {
  if (header === null || header === "") throw new ProxyError(400, "invalid header: neon-connection-string");
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    throw new ProxyError(400, "invalid connection string: relative URL without a base");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ProxyError(400, "incorrect scheme");
  }
  if (url.hostname === "") throw new ProxyError(400, "missing hostname");
  const user = decode(url.username, "user");
  if (user === "") throw new ProxyError(400, "missing username");
  const firstSegment = url.pathname.replace(/^\//, "").split("/")[0] ?? "";
  const options = url.searchParams.get("options");
  return {
    user,
    password: url.password === "" ? null : decode(url.password, "password"),
    database: firstSegment === "" ? null : decode(firstSegment, "database"),
    applicationName: url.searchParams.get("application_name"),
    options: options === null ? null : stripNeonOptions(options),
  };
}
