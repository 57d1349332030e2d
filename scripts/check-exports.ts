/**
 * Fails when deno.json (JSR) and package.json (npm) disagree: export keys, export targets
 * (`./dist/X.js` and `./dist/X.d.ts` on npm stand for `./X.ts` on JSR), versions, the
 * npm ranges behind deno.json "imports", or a target or bin that is missing. The rules
 * live in `export-maps.ts`.
 *
 * Usage: `node --import tsx scripts/check-exports.ts [--built]`; with `--built` (after
 * `npm run build`) the files under dist/ must exist too.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { compareManifests } from "./export-maps.ts";

const root = process.cwd();
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, file), "utf8"));
const built = process.argv.includes("--built");
const problems = compareManifests(readJson("deno.json"), readJson("package.json"), {
  exists: (path) => existsSync(join(root, path)),
  built,
});
for (const p of problems) console.error(`export maps: ${p}`);
if (problems.length > 0) {
  console.error(`export maps: ${problems.length} problem(s)`);
  process.exitCode = 1;
} else {
  console.log(`export maps: ok (deno.json and package.json agree${built ? "; dist/ is complete" : ""})`);
}
