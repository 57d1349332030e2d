/**
 * The rules of the core-purity check, as pure functions over source text so that they
 * can be tested with fixtures. `check-core-purity.ts` applies them to the repository.
 *
 * - The portable layers (mod.ts, src/core, src/sql, src/drivers, src/replay, src/history,
 *   src/projections, src/http) import no Node built-in (`node:*`, `fs`, `path`, ...), no `bun`/`bun:*`
 *   module, no `npm:`/`jsr:`/URL specifier, and use none of the globals `process`,
 *   `Buffer`, `Deno`, `Bun`, `require`, `__dirname`, `__filename`.
 * - The core (everything mod.ts loads at run time) imports none of the optional peers
 *   except with `import type`.
 * - The other entries (the subpaths ./neon, ./pglite, ./pg, ./hono, ./dev and the CLI) load an
 *   optional peer only lazily: no static value import of one in anything they load when
 *   imported, so that importing an entry or running any command works without the peer and
 *   only the feature that needs it fails, saying which package to install. The exception is
 *   the peer an entry exists to serve (`ENTRY_PEERS`: ./hono loads hono).
 * - Layers (DESIGN.md section 2): nothing outside src/cli imports src/cli; only src/dev and
 *   src/cli import src/dev; mod.ts and src/core import none of src/http, src/drivers, src/dev.
 * @module
 */
import { findGlobalUses, findImports, type ImportRef, tokenize } from "./scan-source.ts";

/** Folders (and files) whose code must run on every runtime, relative to the repository root. */
export const PORTABLE_PATHS: readonly string[] = [
  "mod.ts",
  "src/core",
  "src/sql",
  "src/drivers",
  "src/replay",
  "src/history",
  "src/projections",
  "src/http",
];

/**
 * Optional peer dependencies (and `tsx`, which the CLI loads for a TypeScript config module
 * on Node): the core may name them only in `import type`, the other entries only lazily.
 */
export const OPTIONAL_PEERS: readonly string[] = [
  "@neondatabase/serverless",
  "hono",
  "@valibot/to-json-schema",
  "@electric-sql/pglite",
  "pg",
  "tsx",
];

/**
 * The peers an entry exists to serve, which it may load when imported: `edge-events/hono` is a
 * Hono app, so importing it without `hono` cannot work and failing at import is the honest
 * answer (its JSON Schemas need `@valibot/to-json-schema` the same way). Any other peer stays lazy.
 */
export const ENTRY_PEERS: Readonly<Record<string, readonly string[]>> = {
  "src/http/mod.ts": ["hono", "@valibot/to-json-schema"],
};

/**
 * Entries besides the subpath exports (which check-core-purity.ts reads from deno.json) whose
 * import-time graph must not load an optional peer: the CLI's.
 */
export const CLI_ENTRIES: readonly string[] = ["src/cli/run.ts"];

/** Runtime-specific globals that portable code must not touch. */
export const RUNTIME_GLOBALS: ReadonlySet<string> = new Set([
  "process",
  "Buffer",
  "Deno",
  "Bun",
  "require",
  "__dirname",
  "__filename",
]);

/** One broken rule, with where it is. */
export interface Violation {
  /** Repository-relative path, with forward slashes. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** What is wrong, in a sentence. */
  readonly message: string;
}

/** A module as the checks see it. */
export interface ScannedModule {
  /** Repository-relative path, with forward slashes. */
  readonly file: string;
  /** Its imports. */
  readonly imports: readonly ImportRef[];
  /** Its uses of {@link RUNTIME_GLOBALS}. */
  readonly globals: ReadonlyArray<{ readonly name: string; readonly line: number }>;
}

/**
 * Scan one module's text.
 *
 * @param file repository-relative path, with forward slashes
 * @param source the module's text
 */
export function scanModule(file: string, source: string): ScannedModule {
  const tokens = tokenize(source);
  return { file, imports: findImports(tokens), globals: findGlobalUses(tokens, RUNTIME_GLOBALS) };
}

/** Whether a repository-relative path lies in one of the portable layers. */
export function isPortable(file: string): boolean {
  return PORTABLE_PATHS.some((p) => file === p || file.startsWith(`${p}/`));
}

/**
 * Why a specifier is not allowed in portable code, or undefined when it is.
 *
 * @param specifier the module specifier as written
 * @param builtins the names of Node's built-in modules (`module.builtinModules`)
 */
export function runtimeSpecificReason(specifier: string, builtins: ReadonlySet<string>): string | undefined {
  if (specifier.startsWith("node:")) return "a Node built-in";
  if (specifier === "bun" || specifier.startsWith("bun:")) return "a Bun-only module";
  if (/^(npm|jsr|https?|file):/.test(specifier)) return "a runtime-specific specifier";
  if (specifier.startsWith(".") || specifier.startsWith("/")) return undefined;
  const first = specifier.split("/")[0] as string;
  return builtins.has(specifier) || builtins.has(first) ? "a Node built-in" : undefined;
}

/**
 * The purity violations of one portable module: runtime-specific imports and globals.
 * Type-only imports count too: a portable module's public types must not need Node's.
 *
 * @param mod the scanned module
 * @param builtins the names of Node's built-in modules
 */
export function purityViolations(mod: ScannedModule, builtins: ReadonlySet<string>): Violation[] {
  const out: Violation[] = [];
  for (const ref of mod.imports) {
    if (ref.specifier === undefined) {
      out.push({
        file: mod.file,
        line: ref.line,
        message: "imports a computed specifier; the check cannot see what it loads",
      });
      continue;
    }
    const reason = runtimeSpecificReason(ref.specifier, builtins);
    if (reason !== undefined) {
      out.push({
        file: mod.file,
        line: ref.line,
        message: `imports "${ref.specifier}", ${reason}; portable code uses Web APIs only`,
      });
    }
  }
  for (const use of mod.globals) {
    out.push({ file: mod.file, line: use.line, message: `uses the runtime-specific global ${use.name}` });
  }
  return out;
}

/**
 * Resolve a relative specifier against the importing file.
 *
 * @returns the repository-relative path, or undefined for a bare specifier
 */
export function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** The package a bare specifier names (`@scope/name` or `name`). */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

/**
 * Imports of optional peers in the graph of relative imports reachable from `entry`, following
 * only the imports `follows` accepts (and checking only those).
 *
 * @returns each peer import found, with the module that makes it and the path that reaches it
 */
function peerImports(
  entry: string,
  modules: ReadonlyMap<string, ScannedModule>,
  follows: (ref: ImportRef) => boolean,
): Array<{ file: string; line: number; specifier: string; via: string }> {
  const found: Array<{ file: string; line: number; specifier: string; via: string }> = [];
  const seen = new Set<string>();
  const queue: Array<{ file: string; via: string }> = [{ file: entry, via: entry }];
  while (queue.length > 0) {
    const { file, via } = queue.shift() as { file: string; via: string };
    if (seen.has(file)) continue;
    seen.add(file);
    const mod = modules.get(file);
    if (mod === undefined) continue;
    for (const ref of mod.imports) {
      if (ref.specifier === undefined || !follows(ref)) continue;
      const target = resolveRelative(file, ref.specifier);
      if (target !== undefined) queue.push({ file: target, via: `${via} -> ${target}` });
      else if (OPTIONAL_PEERS.includes(packageName(ref.specifier))) {
        found.push({ file, line: ref.line, specifier: ref.specifier, via });
      }
    }
  }
  return found;
}

/**
 * Runtime imports of optional peers in everything `entry` loads at run time.
 * Follows relative imports that are not type-only.
 *
 * @param entry the entry module, e.g. `mod.ts`
 * @param modules every scanned module, by repository-relative path
 */
export function corePeerViolations(entry: string, modules: ReadonlyMap<string, ScannedModule>): Violation[] {
  return peerImports(entry, modules, (ref) => !ref.typeOnly).map(({ file, line, specifier, via }) => ({
    file,
    line,
    message:
      `the core loads the optional peer "${specifier}" at run time (${via}); use \`import type\` or move it to an adapter`,
  }));
}

/**
 * Eager loads of optional peers by an entry: static value imports (not `import type`, not
 * `import()`) of a peer in any module the entry loads when it is imported, following static
 * relative imports only (a module behind `import()` loads when the code runs, not before).
 *
 * @param entry the entry module, e.g. `src/dev/mod.ts`
 * @param modules every scanned module, by repository-relative path
 * @param entryPeers the peers each entry may load eagerly (default {@link ENTRY_PEERS})
 */
export function eagerPeerViolations(
  entry: string,
  modules: ReadonlyMap<string, ScannedModule>,
  entryPeers: Readonly<Record<string, readonly string[]>> = ENTRY_PEERS,
): Violation[] {
  const own = entryPeers[entry] ?? [];
  const found = peerImports(entry, modules, (ref) => !ref.typeOnly && !ref.dynamic)
    .filter(({ specifier }) => !own.includes(packageName(specifier)));
  return found.map(({ file, line, specifier, via }) => ({
    file,
    line,
    message: `${entry} loads the optional peer "${specifier}" when it is imported (${via}); ` +
      "import it lazily where the feature needs it (loadOptionalPeer in src/dev/optional-peer.ts)",
  }));
}

/**
 * Imports that cross the layer rules of DESIGN.md section 2.
 *
 * @param mod the scanned module (any file of mod.ts and src/)
 */
export function layerViolations(mod: ScannedModule): Violation[] {
  const out: Violation[] = [];
  const inside = (file: string, dir: string): boolean => file.startsWith(`${dir}/`);
  const isCore = mod.file === "mod.ts" || inside(mod.file, "src/core");
  for (const ref of mod.imports) {
    const target = ref.specifier === undefined ? undefined : resolveRelative(mod.file, ref.specifier);
    if (target === undefined) continue;
    const say = (rule: string): void => {
      out.push({ file: mod.file, line: ref.line, message: `imports ${target}: ${rule}` });
    };
    if (inside(target, "src/cli") && !inside(mod.file, "src/cli")) say("nothing outside src/cli imports the CLI");
    else if (inside(target, "src/dev") && !inside(mod.file, "src/dev") && !inside(mod.file, "src/cli")) {
      say("only src/dev and src/cli import the dev server");
    } else if (isCore && ["src/http", "src/drivers", "src/dev"].some((dir) => inside(target, dir))) {
      say("the core never imports src/http, src/drivers or src/dev");
    }
  }
  return out;
}
