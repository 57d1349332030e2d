/**
 * Running a command against the store of a config module: load it, run, report a failure in
 * one line, and call the module's `close` whatever happens.
 * @module
 */
import process from "node:process";
import type { CliIo } from "./io.ts";
import { ConfigModuleError, type LoadedStore, loadStore, type TypeScriptLoader } from "./load-store.ts";

/** The option every command with a store shares. */
export const CONFIG_HELP = `  --config PATH          module exporting the store: default export or "store", a store or a
                         function returning one (or a promise of one); an optional "close"
                         export runs at the end. Relative to the current directory`;

/** A message for the user: an error's message (library errors carry no parameters or payloads). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Load the config module, run `work` with its store, close the module.
 *
 * @param command the command's name, for messages (`edge-events <command>: ...`)
 * @param config the `--config` path
 * @param io where failures go
 * @param work what to do with the store; returns the exit code
 * @param loader how TypeScript modules load (tests inject one)
 * @returns the exit code of `work`, or 1 when the module cannot give a store or `work` throws
 */
export async function withConfigStore(
  command: string,
  config: string,
  io: CliIo,
  work: (loaded: LoadedStore) => Promise<number>,
  loader?: TypeScriptLoader,
): Promise<number> {
  let loaded: LoadedStore;
  try {
    loaded = await loadStore(config, process.cwd(), loader);
  } catch (error) {
    io.err(`edge-events ${command}: ${error instanceof ConfigModuleError ? error.message : messageOf(error)}`);
    return 1;
  }
  try {
    return await work(loaded);
  } catch (error) {
    io.err(`edge-events ${command}: ${messageOf(error)}`);
    return 1;
  } finally {
    await loaded.close().catch((error: unknown) =>
      io.err(`edge-events ${command}: the config module's close() failed: ${messageOf(error)}`)
    );
  }
}

/**
 * The `--config` value, or a usage error.
 *
 * @throws {TypeError} when it is missing
 */
export function requireConfig(values: Readonly<Record<string, unknown>>): string {
  const config = values["config"];
  if (typeof config !== "string" || config === "") throw new TypeError("--config is required");
  return config;
}
