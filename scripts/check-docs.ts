/**
 * The documentation checks of `npm test`:
 *
 * - `check-docs.ts lint`: `deno doc --lint` over every public entry (the "exports" of
 *   deno.json); fails on every finding but a reference to a type of a dependency (see
 *   `doc-checks.ts`).
 * - `check-docs.ts examples`: `deno check --doc-only` over mod.ts and every .ts file of src,
 *   public or not: every JSDoc example type-checks, under `.doc-examples.deno.json` (written
 *   here, ignored by git: see `doc-checks.ts`).
 *
 * Usage: `node --import tsx scripts/check-docs.ts lint|examples [path of deno]` (`npm test`
 * passes the deno of node_modules; by default, `deno` on the PATH).
 * @module
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { declaredNames, docExamplesConfig, isDependencyTypeRef, parseDocLint } from "./doc-checks.ts";

const root = process.cwd();
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, file), "utf8"));
const EXAMPLES_CONFIG = ".doc-examples.deno.json";
const denoPath = process.argv[3] ?? "deno";

function entries(): string[] {
  const exports = readJson("deno.json")["exports"];
  if (typeof exports === "string") return [exports];
  return Object.values((exports ?? {}) as Record<string, string>);
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

function deno(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(denoPath, args, { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// Deno warns about every file of @types/node it cannot resolve (tsconfig.json names the node
// types); those lines say nothing about the documentation.
function withoutTypeWarnings(output: string): string {
  return output.replace(/^Warning Failed resolving types\..*\n(?: {4}at .*\n)?/gm, "");
}

function lint(): number {
  const { status, output } = deno(["doc", "--lint", ...entries()]);
  const findings = parseDocLint(output);
  if (status !== 0 && findings.length === 0) {
    console.error(withoutTypeWarnings(output));
    return 1;
  }
  const declared = new Set(
    ["mod.ts", ...sources("src")].flatMap((f) => declaredNames(readFileSync(join(root, f), "utf8"))),
  );
  const passed = findings.filter((f) => isDependencyTypeRef(f, declared));
  const failed = findings.filter((f) => !isDependencyTypeRef(f, declared));
  for (const f of failed) console.error(`${f.text}\n`);
  const types = [...new Set(passed.map((f) => f.referenced))].sort().join(", ");
  if (failed.length > 0) {
    console.error(`doc lint: ${failed.length} finding(s)`);
    return 1;
  }
  console.log(
    `doc lint: ok (${entries().length} entries; ${passed.length} reference(s) to dependency types: ${types})`,
  );
  return 0;
}

// An internal module's examples are read too (by contributors, and by users who follow a link
// into the sources): they must compile like the public ones.
function examples(): number {
  const config = docExamplesConfig({ deno: readJson("deno.json"), tsconfig: readJson("tsconfig.json") });
  writeFileSync(join(root, EXAMPLES_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
  const files = ["mod.ts", ...sources("src").sort()];
  const { status, output } = deno(["check", "--doc-only", "--config", EXAMPLES_CONFIG, ...files]);
  // Deno prints a `Check <file>#<lines>.ts` line per example; only failures are worth showing.
  const text = withoutTypeWarnings(output).replace(/^Check .*\n/gm, "").trim();
  if (text !== "") console.log(text);
  if (status !== 0) return 1;
  const count = (output.match(/^Check /gm) ?? []).length;
  console.log(`doc examples: ok (${count} examples in ${files.length} files)`);
  return 0;
}

const mode = process.argv[2];
if (mode === "lint") process.exitCode = lint();
else if (mode === "examples") process.exitCode = examples();
else {
  console.error("usage: check-docs.ts lint|examples");
  process.exitCode = 2;
}
