import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareManifests, type DenoManifest, type NpmManifest, sourceOf } from "../../scripts/export-maps.ts";

const deno: DenoManifest = {
  version: "1.2.3",
  exports: { ".": "./mod.ts", "./neon": "./src/drivers/neon/mod.ts" },
  imports: { valibot: "npm:valibot@^1.5.0", hono: "npm:hono@^4.13.19" },
};

const npm: NpmManifest = {
  version: "1.2.3",
  exports: {
    ".": { types: "./dist/mod.d.ts", default: "./dist/mod.js" },
    "./neon": { types: "./dist/src/drivers/neon/mod.d.ts", default: "./dist/src/drivers/neon/mod.js" },
  },
  bin: { "edge-events": "./bin/edge-events.mjs" },
  files: ["dist", "bin"],
  dependencies: { valibot: "^1.5.0" },
  devDependencies: { hono: "^4.13.19" },
};

const sources = new Set(["./mod.ts", "./src/drivers/neon/mod.ts", "./bin/edge-events.mjs"]);
const exists = (path: string): boolean => sources.has(path);

describe("export maps", () => {
  test("sourceOf() maps dist/X.js and dist/X.d.ts to X.ts", () => {
    assert.equal(sourceOf("./dist/src/drivers/neon/mod.js"), "./src/drivers/neon/mod.ts");
    assert.equal(sourceOf("./dist/mod.d.ts"), "./mod.ts");
    assert.equal(sourceOf("./mod.ts"), "./mod.ts");
  });

  test("matching manifests have no problem", () => {
    assert.deepEqual(compareManifests(deno, npm, { exists }), []);
  });

  test("a key on one side only is reported, on either side", () => {
    const extra = { ...deno, exports: { ...(deno.exports as object), "./hono": "./src/http/mod.ts" } };
    const problems = compareManifests(extra, npm, { exists: () => true });
    assert.deepEqual(problems, ['export "./hono" is in deno.json but not in package.json']);
    const fewer = { ...deno, exports: { ".": "./mod.ts" } };
    assert.deepEqual(compareManifests(fewer, npm, { exists }), [
      'export "./neon" is in package.json but not in deno.json',
    ]);
  });

  test("a target that maps to another file is reported", () => {
    const wrong = {
      ...npm,
      exports: {
        ...(npm.exports as object),
        "./neon": { types: "./dist/src/drivers/pg-pool/mod.d.ts", default: "./dist/src/drivers/neon/mod.js" },
      },
    };
    const problems = compareManifests(deno, wrong, { exists });
    assert.equal(problems.length, 1);
    assert.match(problems[0] as string, /\(types\) points to \.\/dist\/src\/drivers\/pg-pool\/mod\.d\.ts/);
  });

  test("different versions are reported", () => {
    assert.deepEqual(compareManifests({ ...deno, version: "1.2.4" }, npm, { exists }), [
      "versions differ: deno.json 1.2.4, package.json 1.2.3",
    ]);
  });

  test("a missing source, a missing bin and (when built) a missing dist file are reported", () => {
    const problems = compareManifests(deno, npm, { exists: (p) => p === "./mod.ts" || p === "./dist/mod.js" });
    assert.equal(problems.length, 2);
    const built = compareManifests(deno, npm, { exists, built: true });
    assert.equal(built.length, 4);
    assert.ok(built.every((p) => p.includes("which the build did not emit")));
  });

  test("types must come first and take a .d.ts file", () => {
    const swapped = {
      ...npm,
      exports: { ...(npm.exports as object), ".": { default: "./dist/mod.js", types: "./dist/mod.d.ts" } },
    };
    assert.deepEqual(compareManifests(deno, swapped, { exists }), [
      'package.json export "." : "types" must be the first condition'.replace(" :", ":"),
    ]);
  });

  test("a target that files leaves out is reported", () => {
    const problems = compareManifests(deno, { ...npm, files: ["bin"] }, { exists });
    assert.equal(problems.length, 4);
  });

  test("a deno.json import whose range differs from package.json, or a dependency without import, is reported", () => {
    const drifted = { ...deno, imports: { hono: "npm:hono@^4.0.0" } };
    assert.deepEqual(compareManifests(drifted, npm, { exists }), [
      "hono: deno.json wants ^4.0.0, package.json ^4.13.19",
      'dependency valibot has no entry in deno.json "imports"',
    ]);
  });

  test("the package's own name in deno.json imports must map each subpath to its export", () => {
    const named = { ...npm, name: "pkg" };
    const selfMapped = {
      ...deno,
      imports: { ...(deno.imports as object), pkg: "./mod.ts", "pkg/neon": "./src/drivers/neon/mod.ts" },
    };
    assert.deepEqual(compareManifests(selfMapped, named, { exists }), []);
    const wrong = {
      ...deno,
      imports: { ...(deno.imports as object), pkg: "./src/drivers/neon/mod.ts", "pkg/pg": "./x.ts" },
    };
    assert.deepEqual(compareManifests(wrong, named, { exists }), [
      'deno.json imports "pkg" as ./src/drivers/neon/mod.ts, but exports "." as ./mod.ts',
      'deno.json imports "pkg/pg", which names no export of the package',
      'deno.json export "./neon" has no "pkg/neon" entry in "imports"',
    ]);
  });

  test("./cli is a JSR-only export: to the CLI entry only, with a package.json bin, and no self import", () => {
    const withCli = { ...deno, exports: { ...(deno.exports as object), "./cli": "./src/cli/run.ts" } };
    assert.deepEqual(compareManifests(withCli, npm, { exists: () => true }), []);
    const named = { ...npm, name: "pkg" };
    const selfMapped = {
      ...withCli,
      imports: { ...(deno.imports as object), pkg: "./mod.ts", "pkg/neon": "./src/drivers/neon/mod.ts" },
    };
    assert.deepEqual(compareManifests(selfMapped, named, { exists: () => true }), []);
    const elsewhere = { ...deno, exports: { ...(deno.exports as object), "./cli": "./src/cli/main.ts" } };
    assert.deepEqual(compareManifests(elsewhere, npm, { exists: () => true }), [
      'deno.json export "./cli" (JSR only) must point to ./src/cli/run.ts',
    ]);
    const { bin: _bin, ...noBin } = npm;
    assert.deepEqual(compareManifests(withCli, noBin, { exists: () => true }), [
      'deno.json export "./cli" is the CLI on JSR: package.json needs its "bin" for npm',
    ]);
    const other = { ...deno, exports: { ...(deno.exports as object), "./tools": "./src/cli/run.ts" } };
    assert.deepEqual(compareManifests(other, npm, { exists: () => true }), [
      'export "./tools" is in deno.json but not in package.json',
    ]);
  });
});
