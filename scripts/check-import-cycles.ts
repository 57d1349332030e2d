/**
 * Fails when modules of mod.ts and src/ import each other in a cycle (type-only imports count).
 *
 * Usage: `node --import tsx scripts/check-import-cycles.ts [root]`
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { importCycles, moduleEdges } from "./import-cycles.ts";

function listSources(root: string, dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return listSources(root, path);
    return /\.(ts|mts)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/**
 * Cycles known and not yet broken, each exactly (its modules, as reported): any other cycle,
 * or one of these gaining or losing a module, fails. One, type-only, inside src/core: a
 * resource holds its actions (resource.ts -> action.ts), an action's `after` hook receives a
 * store of resources (action.ts -> store-types.ts), whose clients are typed by the resources
 * and actions (store-types.ts -> resource.ts, action.ts); stored-event.ts (`ActionType`) and
 * replay-config.ts (`AnyResource`) sit on it. Breaking it means one module for these recursive
 * types (docs/architecture.md, "Layers").
 */
const KNOWN: readonly string[] = [
  "src/core/action.ts <-> src/core/replay-config.ts <-> src/core/resource.ts <-> src/core/store-types.ts <-> src/core/stored-event.ts",
];

const root = process.argv[2] ?? process.cwd();
const files = ["mod.ts", ...listSources(root, "src")];
const cycles = importCycles(files.map((file) => moduleEdges(file, readFileSync(join(root, file), "utf8"))));
const found = cycles.map((cycle) => cycle.join(" <-> "));
const unexpected = found.filter((cycle) => !KNOWN.includes(cycle));
const gone = KNOWN.filter((cycle) => !found.includes(cycle));
for (const cycle of unexpected) console.error(`import cycle: ${cycle}`);
for (const cycle of gone) console.error(`known import cycle no longer found (remove it from KNOWN): ${cycle}`);
if (unexpected.length > 0 || gone.length > 0) {
  console.error(`import cycles: ${unexpected.length} new cycle(s) among ${files.length} modules`);
  process.exitCode = 1;
} else {
  console.log(`import cycles: none among ${files.length} modules but the ${KNOWN.length} known`);
}
