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

const root = process.argv[2] ?? process.cwd();
const files = ["mod.ts", ...listSources(root, "src")];
const cycles = importCycles(files.map((file) => moduleEdges(file, readFileSync(join(root, file), "utf8"))));
for (const cycle of cycles) console.error(`import cycle: ${cycle.join(" <-> ")}`);
if (cycles.length > 0) {
  console.error(`import cycles: ${cycles.length} cycle(s) among ${files.length} modules`);
  process.exitCode = 1;
} else {
  console.log(`import cycles: none among ${files.length} modules`);
}
