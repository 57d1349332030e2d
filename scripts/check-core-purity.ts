/**
 * Fails when portable code reaches for a runtime-specific API, when the core loads an
 * optional peer at run time, when a subpath entry or the CLI loads one when imported (not
 * lazily), or when an import crosses the layer rules. The rules live in
 * `core-purity.ts`; this file walks the repository and reports.
 *
 * Usage: `node --import tsx scripts/check-core-purity.ts [root]`
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative, sep } from "node:path";
import process from "node:process";
import {
  CLI_ENTRIES,
  corePeerViolations,
  eagerPeerViolations,
  isPortable,
  layerViolations,
  purityViolations,
  scanModule,
  type ScannedModule,
  type Violation,
} from "./core-purity.ts";

const SOURCE = /\.(ts|mts|tsx|js|mjs)$/;
const TEST = /\.test\.(ts|mts|tsx|js|mjs)$/;

function listSources(root: string, dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(join(root, dir));
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = dir === "" ? name : `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return listSources(root, path);
    return SOURCE.test(name) && !TEST.test(name) ? [path] : [];
  });
}

/** The subpath exports' source files (every export of deno.json but "."). */
function subpathEntries(root: string): string[] {
  const exports =
    (JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as { exports?: Record<string, string> }).exports ?? {};
  return Object.entries(exports).filter(([key]) => key !== ".").map(([, target]) => target.replace(/^\.\//, ""));
}

/**
 * Run every rule over the repository at `root`.
 *
 * @returns the violations, sorted by file and line
 */
function checkRepository(root: string): Violation[] {
  const files = ["mod.ts", ...listSources(root, "src"), ...listSources(root, "bin")];
  const modules = new Map<string, ScannedModule>();
  for (const file of files) {
    const path = join(root, file);
    const rel = relative(root, path).split(sep).join("/");
    modules.set(rel, scanModule(rel, readFileSync(path, "utf8")));
  }
  const builtins = new Set(builtinModules);
  const violations: Violation[] = [];
  for (const mod of modules.values()) {
    if (isPortable(mod.file)) violations.push(...purityViolations(mod, builtins));
    violations.push(...layerViolations(mod));
  }
  violations.push(...corePeerViolations("mod.ts", modules));
  for (const entry of [...subpathEntries(root), ...CLI_ENTRIES, ...listSources(root, "bin")]) {
    if (!modules.has(entry)) {
      violations.push({ file: entry, line: 1, message: "this entry of the optional-peer rule does not exist" });
    } else violations.push(...eagerPeerViolations(entry, modules));
  }
  return violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

const root = process.argv[2] ?? process.cwd();
const violations = checkRepository(root);
for (const v of violations) console.error(`${v.file}:${v.line}: ${v.message}`);
if (violations.length > 0) {
  console.error(`core purity: ${violations.length} violation(s)`);
  process.exitCode = 1;
} else {
  console.log(
    "core purity: ok (portable layers use Web APIs only; the core loads no optional peer, the other entries load them lazily)",
  );
}
