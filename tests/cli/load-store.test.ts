// Loading a config module: a TypeScript module on a Node that cannot load it alone goes
// through tsx when it is installed, registered before the first import (a failed import is
// cached by URL, so a retry after registering would fail again); without tsx the user is
// told every way out. The loader is injected: tsx stays installed, and the test process
// (tsx on Node; Bun and Deno natively) loads the module in the end.
// The same path through the packed package on plain Node: tests/cli/optional-peers.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { CliIo } from "../../src/cli/io.ts";
import { ConfigModuleError, loadStore, type TypeScriptLoader } from "../../src/cli/load-store.ts";
import { migrateCommand } from "../../src/cli/migrate.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const missingTsx = Object.assign(new Error("Cannot find package 'tsx' imported from /app/cli.js"), {
  code: "ERR_MODULE_NOT_FOUND",
});

/** A config module that records, when it is evaluated, what happened before. */
function configSource(name: string): string {
  return [
    `import { createEventStore, defineEventLog, type Executor } from ${JSON.stringify(MOD)};`,
    "const steps = ((globalThis as Record<string, unknown>).__eeSteps ??= []) as string[];",
    `steps.push("evaluated ${name}");`,
    "const refuse = (): Promise<never> => Promise.reject(new Error('no database in this test'));",
    'const db: Executor = { kind: "none", query: refuse, batch: refuse };',
    `export default createEventStore({ db, log: defineEventLog({ table: "${name}_events" }), resources: [] });`,
  ].join("\n");
}

function steps(): string[] {
  return ((globalThis as Record<string, unknown>)["__eeSteps"] ??= []) as string[];
}

describe("loading a TypeScript config module on Node", () => {
  const dir = mkdtempSync(join(tmpdir(), "ee-load-store-"));
  const path = (name: string): string => join(dir, `${name}.config.ts`);

  before(() => {
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
    for (const name of ["with_tsx", "without_tsx", "stripped", "cli"]) writeFileSync(path(name), configSource(name));
    const plain = [
      `import { createEventStore, defineEventLog } from ${JSON.stringify(MOD)};`,
      '(globalThis.__eeSteps ??= []).push("evaluated plain");',
      "const refuse = () => Promise.reject(new Error('no database in this test'));",
      'const db = { kind: "none", query: refuse, batch: refuse };',
      'export default createEventStore({ db, log: defineEventLog({ table: "plain_events" }), resources: [] });',
    ].join("\n");
    writeFileSync(join(dir, "plain.config.mjs"), plain);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test("with tsx installed, it is registered before the config module is imported", async () => {
    const loader: TypeScriptLoader = {
      loadsTypeScript: false,
      stripsTypes: false,
      loadTsx: () => Promise.resolve({ register: () => steps().push("registered tsx") }),
    };
    const { store, close } = await loadStore(path("with_tsx"), dir, loader);
    await close();
    assert.match(store.log.table.sql, /with_tsx_events/);
    assert.deepEqual(steps().filter((s) => /tsx/.test(s)), ["registered tsx", "evaluated with_tsx"]);
  });

  test("without tsx, on a Node that cannot strip types, the error says every way out", async () => {
    const loader: TypeScriptLoader = {
      loadsTypeScript: false,
      stripsTypes: false,
      loadTsx: () => Promise.reject(missingTsx),
    };
    const error = await loadStore(path("without_tsx"), dir, loader).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof ConfigModuleError, String(error));
    const message = error.message;
    assert.match(
      message,
      /^The TypeScript config module .*without_tsx\.config\.ts needs the optional package tsx.*npm install tsx/,
    );
    assert.match(message, /^ {2}install tsx, which the CLI then loads by itself: {2}npm install --save-dev tsx$/m);
    assert.match(message, /^ {2}or write the config in JavaScript: +.*without_tsx\.config\.mjs$/m);
    assert.match(message, /^ {4}bunx --bun edge-events <command> \.\.\.$/m);
    assert.match(message, /^ {4}deno run -A jsr:@edge-events\/edge-events\/cli <command> \.\.\.$/m);
    assert.ok(!steps().includes("evaluated without_tsx"), "nothing was imported");

    // As a command prints it: every line on standard error, exit code 1.
    const err: string[] = [];
    const io: CliIo = { out: () => {}, err: (line) => err.push(line), env: {} };
    assert.equal(await migrateCommand(["--config", path("cli")], io, loader), 1);
    assert.match(err.join("\n"), /^edge-events migrate: The TypeScript config module .* npm install tsx/);
    assert.match(err.join("\n"), /deno run -A jsr:@edge-events\/edge-events\/cli/);
  });

  test("without tsx, a Node that strips types imports the module itself", async () => {
    const loader: TypeScriptLoader = {
      loadsTypeScript: false,
      stripsTypes: true,
      loadTsx: () => Promise.reject(missingTsx),
    };
    const { close } = await loadStore(path("stripped"), dir, loader);
    await close();
    assert.ok(steps().includes("evaluated stripped"));
  });

  test("a JavaScript config never asks for tsx", async () => {
    const loader: TypeScriptLoader = {
      loadsTypeScript: false,
      stripsTypes: false,
      loadTsx: () => Promise.reject(new Error("tsx must not be loaded for a .mjs config")),
    };
    const { close } = await loadStore("./plain.config.mjs", dir, loader);
    await close();
    assert.ok(steps().includes("evaluated plain"));
  });
});
