/**
 * Loading the user's event store from a config module (`--config ./events.config.ts`).
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { EventStore } from "../core/store-types.ts";
import { loadOptionalPeer } from "../dev/optional-peer.ts";

/** A loaded config module: its store, and how to release what the module holds. */
export interface LoadedStore {
  /** The store the module exports. */
  readonly store: EventStore;
  /** Calls the module's `close` export, when it has one (ends pools, stops local servers). */
  readonly close: () => Promise<void>;
}

/** Why a config module could not give a store: shown to the user as is. */
export class ConfigModuleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfigModuleError";
  }
}

function isEventStore(value: unknown): value is EventStore {
  if (typeof value !== "object" || value === null) return false;
  const store = value as Record<string, unknown>;
  // What replay(store) reads (the replay functions are not methods of the store).
  return typeof store["migrate"] === "function" && typeof store["replayConfig"] === "object" &&
    typeof store["log"] === "object" &&
    typeof store["db"] === "object" && store["resources"] instanceof Map;
}

/**
 * Import a config module and resolve its store: the default export or the export named
 * `store`, either a store, a promise of one, or a function returning either. An optional
 * `close` export is called by {@link LoadedStore.close}.
 *
 * @param path the module path as the user gave it, resolved against `cwd`
 * @param cwd the directory relative paths start from
 * @returns the store and its close function
 * @throws {ConfigModuleError} when the module cannot be imported or exports no store
 * @example
 * ```ts
 * import { replay } from "edge-events";
 *
 * const { store, close } = await loadStore("./events.config.ts", process.cwd());
 * try {
 *   await replay(store);
 * } finally {
 *   await close();
 * }
 * ```
 */
export async function loadStore(path: string, cwd: string): Promise<LoadedStore> {
  const url = pathToFileURL(resolve(cwd, path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await importConfig(url);
  } catch (error) {
    throw new ConfigModuleError(`The config module ${path} could not be loaded: ${messageOf(error)}`, { cause: error });
  }
  const close = async (): Promise<void> => {
    if (typeof mod["close"] === "function") await (mod["close"] as () => unknown)();
  };
  const exported = mod["default"] ?? mod["store"];
  if (exported === undefined) {
    throw new ConfigModuleError(`The config module ${path} exports no store: export it as default or as "store"`);
  }
  let store: unknown;
  try {
    store = await (typeof exported === "function" ? (exported as () => unknown)() : exported);
  } catch (error) {
    await close().catch(() => undefined);
    throw new ConfigModuleError(`The store factory of ${path} failed: ${messageOf(error)}`, { cause: error });
  }
  if (!isEventStore(store)) {
    await close().catch(() => undefined);
    throw new ConfigModuleError(
      `The config module ${path} exports something that is not an event store (made by createEventStore)`,
    );
  }
  return { store, close };
}

/**
 * Import the config module. A TypeScript module on a Node that cannot load one by itself (no
 * type stripping, no loader registered) is loaded through tsx, imported only then.
 */
async function importConfig(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== "ERR_UNKNOWN_FILE_EXTENSION" || !/\.[mc]?ts$/.test(url)) {
      throw error;
    }
  }
  const tsx = await loadOptionalPeer("tsx", "Loading a TypeScript config module on Node", () => import("tsx/esm/api"));
  tsx.register();
  return (await import(url)) as Record<string, unknown>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
