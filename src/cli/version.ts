/**
 * The version `edge-events --version` prints. A test keeps it equal to the version of
 * package.json and deno.json (a release bumps all three).
 * @module
 */

/** The package's version. */
export const VERSION = "0.1.0";
