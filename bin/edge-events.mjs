#!/usr/bin/env node
// The `edge-events` command. In the npm package it runs the compiled CLI in dist/; in a
// checkout of the repository (where src/ is present and dist/ may be stale or absent) it
// runs the TypeScript sources: through tsx on Node, directly on Bun and Deno.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = new URL("../src/cli/run.ts", import.meta.url);
const compiled = new URL("../dist/src/cli/run.js", import.meta.url);

if (existsSync(fileURLToPath(source))) {
  const runsTypeScript = "Bun" in globalThis || "Deno" in globalThis;
  if (!runsTypeScript) {
    let api;
    try {
      api = await import("tsx/esm/api");
    } catch {
      console.error("edge-events: running from a checkout needs the dev dependencies (npm ci)");
      process.exit(1);
    }
    api.register();
  }
  await import(source.href);
} else if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  console.error("edge-events: the CLI is missing from this installation (no dist/src/cli/run.js)");
  process.exit(1);
}
