/**
 * Loading the user's event store from a config module (`--config ./events.config.ts`).
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Projection } from "../core/projection.ts";
import type { EventStore } from "../core/store-types.ts";
import process from "node:process";
import { loadOptionalPeer, MissingPeerError } from "../dev/optional-peer.ts";

/** A loaded config module: its store, and how to release what the module holds. */
export interface LoadedStore {
  /** The store the module exports. */
  readonly store: EventStore;
  /** Calls the module's `close` export, when it has one (ends pools, stops local servers). */
  readonly close: () => Promise<void>;
  /** The module's `projections` export: the projections `edge-events status` reports on. */
  readonly projections: readonly Projection[];
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
 * `close` export is called by {@link LoadedStore.close}; an optional `projections` export lists
 * the projections that `edge-events status` reports on.
 *
 * @param path the module path as the user gave it, resolved against `cwd`
 * @param cwd the directory relative paths start from
 * @param loader how TypeScript modules load on Node (tests inject one)
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
export async function loadStore(
  path: string,
  cwd: string,
  loader: TypeScriptLoader = processTypeScriptLoader(),
): Promise<LoadedStore> {
  const url = pathToFileURL(resolve(cwd, path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await importConfig(url, path, loader);
  } catch (error) {
    if (error instanceof ConfigModuleError) throw error;
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
  const projections = mod["projections"] ?? [];
  if (!Array.isArray(projections) || projections.some((p) => (p as Projection | null)?.kind !== "projection")) {
    await close().catch(() => undefined);
    throw new ConfigModuleError(
      `The "projections" export of ${path} must be a list of projections (made by defineProjection)`,
    );
  }
  return { store, close, projections };
}

/** How a TypeScript config module is loaded on Node; tests inject failures here. */
export interface TypeScriptLoader {
  /** Whether this process loads `.ts` modules already (Bun, Deno, or the CLI's own sources under tsx). */
  readonly loadsTypeScript: boolean;
  /** Whether Node strips types by itself (`process.features.typescript`, Node 22.18 and 23.6 on). */
  readonly stripsTypes: boolean;
  /** `import("tsx/esm/api")`: rejects when tsx is not installed. */
  readonly loadTsx: () => Promise<{ register: () => unknown }>;
}

/** The loader of this process. */
export function processTypeScriptLoader(): TypeScriptLoader {
  return {
    // The CLI's own sources are .ts when it runs from a checkout: then something loads them.
    loadsTypeScript: "Bun" in globalThis || "Deno" in globalThis || import.meta.url.endsWith(".ts"),
    stripsTypes: Boolean((process as { features?: { typescript?: unknown } }).features?.typescript),
    loadTsx: () => import("tsx/esm/api"),
  };
}

const TYPESCRIPT = /\.[mc]?ts$/;

/** What to do when a TypeScript config cannot be loaded: every way out, as commands. */
function typeScriptHelp(path: string): string {
  return [
    `The TypeScript config module ${path} needs the optional package tsx, which is not installed: npm install tsx`,
    `(this Node, ${process.version}, cannot load TypeScript by itself). Either:`,
    "  install tsx, which the CLI then loads by itself:  npm install --save-dev tsx",
    `  or write the config in JavaScript:                ${path.replace(TYPESCRIPT, ".mjs")}`,
    "  or run the CLI on Bun or Deno, which load TypeScript:",
    "    bunx --bun edge-events <command> ...",
    "    deno run -A jsr:@edge-events/edge-events/cli <command> ...",
  ].join("\n");
}

/**
 * Import the config module. A TypeScript module on Node (when the CLI runs compiled) is loaded
 * through tsx when it is installed, registered before the first import: a failed import is
 * cached by URL, so trying Node first and tsx after would fail again. Without tsx, a Node that
 * strips types tries alone; any other Node gets {@link typeScriptHelp}.
 */
async function importConfig(url: string, path: string, loader: TypeScriptLoader): Promise<Record<string, unknown>> {
  if (!TYPESCRIPT.test(url) || loader.loadsTypeScript) return (await import(url)) as Record<string, unknown>;
  let tsx: { register: () => unknown } | undefined;
  try {
    tsx = await loadOptionalPeer("tsx", `The TypeScript config module ${path}`, loader.loadTsx);
  } catch (error) {
    if (!(error instanceof MissingPeerError)) throw error;
    if (!loader.stripsTypes) throw new ConfigModuleError(typeScriptHelp(path), { cause: error });
  }
  tsx?.register();
  return (await import(url)) as Record<string, unknown>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
