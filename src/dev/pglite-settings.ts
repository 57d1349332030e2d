/**
 * Startup parameters for PGlite. Its one connection has no startup packet per request, so the
 * connection string's `application_name` and `options` (`-c name=value`) are applied as
 * session settings before each request, and settings a later request does not ask for are
 * reset.
 * @module
 */

import type { ConnectionInfo } from "./connection-string.ts";
import type { Session } from "./session.ts";

/**
 * Read `-c name=value`, `-cname=value` and `--name=value` settings from a libpq `options`
 * string (backslash escapes a space).
 *
 * @param options the `options` startup parameter
 * @returns setting names and values
 */
export function parseStartupOptions(options: string): Map<string, string> {
  const tokens = options.match(/(?:\\.|\S)+/g)?.map((token) => token.replace(/\\(.)/g, "$1")) ?? [];
  const settings = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    const pair = token === "-c"
      ? tokens[++i]
      : token.startsWith("-c")
      ? token.slice(2)
      : token.startsWith("--")
      ? token.slice(2)
      : undefined;
    const eq = pair?.indexOf("=") ?? -1;
    if (pair !== undefined && eq > 0) settings.set(pair.slice(0, eq).replaceAll("-", "_"), pair.slice(eq + 1));
  }
  return settings;
}

/**
 * Bring the session's settings in line with one request's connection info.
 *
 * @param session the PGlite session
 * @param info the request's connection info
 * @param applied the settings applied by earlier requests; updated in place
 */
export async function applySessionSettings(
  session: Session,
  info: ConnectionInfo,
  applied: Map<string, string>,
): Promise<void> {
  const wanted = info.options === null ? new Map<string, string>() : parseStartupOptions(info.options);
  if (info.applicationName !== null) wanted.set("application_name", info.applicationName);
  for (const [name, value] of wanted) {
    if (applied.get(name) === value) continue;
    await session.run({ text: "SELECT set_config($1, $2, false)", params: [name, value] }, null);
    applied.set(name, value);
  }
  for (const name of [...applied.keys()]) {
    if (wanted.has(name)) continue;
    const quoted = name.split(".").map((part) => `"${part.replaceAll('"', '""')}"`).join(".");
    await session.run({ text: `RESET ${quoted}`, params: [] }, null);
    applied.delete(name);
  }
}
