// Where the repository's tools live, for the plain-JS scripts (test.mjs, build.mjs).
// They call the binaries in node_modules/.bin directly: faster than npx, and no npx noise.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const root = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * The path of a tool installed by `npm ci` (tsc, bun, deno, ...).
 * @param {string} name
 * @returns {string}
 */
export function toolPath(name) {
  const base = join(root, "node_modules", ".bin", name);
  if (process.platform === "win32" && existsSync(`${base}.cmd`)) return `${base}.cmd`;
  if (!existsSync(base)) throw new Error(`${name} is not installed: run npm ci first`);
  return base;
}
