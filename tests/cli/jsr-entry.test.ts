// The CLI on JSR: deno.json exports "./cli" (the entry the README's
// `deno run -A jsr:@edge-events/edge-events/cli ...` names), and Deno runs that file as it is.
// Publishing is not simulated here (`deno publish --dry-run` is a step of npm test); this runs
// the exported file with the Deno binary the suite installs, whichever runtime runs the test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { VERSION } from "../../src/cli/version.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = "Deno" in globalThis ? process.execPath : join(ROOT, "node_modules", ".bin", "deno");

test("deno.json exports ./cli, the README documents it, and `deno run -A` of it runs the CLI", () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
    name: string;
    exports: Record<string, string>;
  };
  const entry = manifest.exports["./cli"];
  assert.equal(entry, "./src/cli/run.ts");
  assert.ok(readFileSync(join(ROOT, "README.md"), "utf8").includes(`deno run -A jsr:${manifest.name}/cli `));

  const env: Record<string, string | undefined> = { ...process.env };
  delete env["NODE_OPTIONS"];
  const run = spawnSync(DENO, ["run", "-A", join(ROOT, entry!), "--version"], { cwd: ROOT, env, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), `edge-events ${VERSION}`);
});
