/**
 * Loading an optional peer dependency where a feature needs it, never at import time, with an
 * error that says which package to install for which feature when it is missing.
 * @module
 */

/** The optional packages the dev server and the CLI load on demand. */
export type OptionalPeer = "@electric-sql/pglite" | "pg" | "@neondatabase/serverless" | "hono" | "tsx";

/**
 * A feature needs an optional package that is not installed. The message names the package,
 * the feature and the command that installs it.
 */
export class MissingPeerError extends Error {
  /** The package to install, e.g. `@electric-sql/pglite`. */
  readonly packageName: OptionalPeer;
  /** What needs it, e.g. `the PGlite backend of the local server (edge-events serve --pglite)`. */
  readonly feature: string;

  /**
   * A missing optional package, with a message that says what to install.
   *
   * @param packageName the package to install
   * @param feature what needs it, in words
   * @param options the import failure as `cause`
   */
  constructor(packageName: OptionalPeer, feature: string, options?: { cause?: unknown }) {
    super(
      `${feature} needs the optional package ${packageName}, which is not installed: npm install ${packageName}`,
      options,
    );
    this.name = "MissingPeerError";
    this.packageName = packageName;
    this.feature = feature;
  }
}

/**
 * Whether `error` says that `packageName` itself could not be found (Node, Bun and Deno spell
 * it differently), as opposed to a failure inside the package or a missing dependency of it.
 */
export function isMissingPackage(error: unknown, packageName: string): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof message !== "string") return false;
  const named = message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`) ||
    message.includes(`'${packageName}/`) || message.includes(`"${packageName}/`);
  if (!named) return false;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" ||
    /cannot find (package|module)|could not resolve|not found/i.test(message);
}

/**
 * Load an optional peer. `load` is the literal `import("...")`, so that bundlers and Deno see
 * the specifier.
 *
 * @param packageName the package `load` imports
 * @param feature what needs it, for the message
 * @param load `() => import("the-package")`
 * @returns the module
 * @throws {MissingPeerError} when the package is not installed
 * @example
 * ```ts
 * const { default: pg } = await loadOptionalPeer("pg", "the Postgres backend", () => import("pg"));
 * ```
 */
export async function loadOptionalPeer<T>(
  packageName: OptionalPeer,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, packageName)) throw new MissingPeerError(packageName, feature, { cause: error });
    throw error;
  }
}
