import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  corePeerViolations,
  eagerPeerViolations,
  ENTRY_PEERS,
  layerViolations,
  purityViolations,
  scanModule,
  type ScannedModule,
} from "../../scripts/core-purity.ts";

const BUILTINS = new Set(["fs", "path", "crypto", "buffer", "process"]);

function purity(source: string): string[] {
  return purityViolations(scanModule("src/core/x.ts", source), BUILTINS).map((v) => `${v.line}: ${v.message}`);
}

describe("core purity: imports", () => {
  test("a node: import is reported with its line", () => {
    const found = purity('import { x } from "./ok.ts";\nimport { readFileSync } from "node:fs";\n');
    assert.equal(found.length, 1);
    assert.match(found[0] as string, /^2: imports "node:fs", a Node built-in/);
  });

  test("bare built-ins, their subpaths, bun modules and npm: specifiers are reported", () => {
    const source = [
      'import fs from "fs";',
      'import { join } from "path/posix";',
      'import { serve } from "bun";',
      'import { Database } from "bun:sqlite";',
      'import * as v from "npm:valibot";',
      'export { webcrypto } from "crypto";',
      'export * from "node:buffer";',
    ].join("\n");
    assert.equal(purity(source).length, 7);
  });

  test("type-only imports of built-ins count too", () => {
    assert.equal(purity('import type { Readable } from "node:stream";').length, 1);
  });

  test("dynamic import and require of built-ins are reported, computed specifiers too", () => {
    const found = purity(
      'const a = await import("node:fs");\nconst b = require("path");\nconst c = await import(name);',
    );
    assert.equal(found.length, 4); // require is also a Node global
    assert.ok(found.some((f) => f.includes("computed specifier")));
  });

  test("imports inside comments, strings and templates are ignored", () => {
    const source = [
      '// import fs from "node:fs";',
      '/* import { serve } from "bun"; process.exit(1) */',
      "const s = \"import fs from 'node:fs'; process.env.X\";",
      "const t = `require('fs') and Buffer`;",
      "const r = /process|Deno/g;",
      "const half = 1 / 2; const third = half / 3; // Bun",
    ].join("\n");
    assert.deepEqual(purity(source), []);
  });

  test("web-standard and relative imports pass", () => {
    assert.deepEqual(
      purity('import * as v from "valibot";\nimport { ulid } from "ulid";\nimport "./side-effect.ts";'),
      [],
    );
  });

  test("import.meta is not an import", () => {
    assert.deepEqual(purity("const here = import.meta.url;"), []);
  });
});

describe("core purity: globals", () => {
  test("process, Buffer, Deno and Bun uses are reported", () => {
    const source = [
      "const url = process.env.DATABASE_URL;",
      "const bytes = Buffer.from([1]);",
      'if (typeof Deno !== "undefined") {}',
      "const v = Bun.version;",
    ].join("\n");
    assert.deepEqual(
      purity(source).map((f) => f.split(":")[0]),
      ["1", "2", "3", "4"],
    );
  });

  test('globalThis.Deno and globalThis["process"] are reported', () => {
    assert.equal(purity('const d = globalThis.Deno;\nconst p = globalThis["process"];').length, 2);
  });

  test("a use inside a template substitution is reported", () => {
    assert.equal(purity("const s = `url: ${process.env.URL}`;").length, 1);
  });

  test("property names, keys, declarations and methods with those names pass", () => {
    const source = [
      "const o = { process: 1, Buffer: 2 };",
      "o.process(); o?.Deno; this.#Bun;",
      "interface Options { process?: string; Deno: number }",
      "function f(process: string) {}",
      "class Replayer { process(event: unknown): void {} async Bun() {} }",
      "const spread = { ...other.process };",
    ].join("\n");
    assert.deepEqual(purity(source), []);
  });

  test("a use in a ternary or after spread is reported", () => {
    assert.equal(purity("const a = ok ? process : other;\nconst b = { ...process.env };").length, 2);
  });
});

function modules(files: Record<string, string>): Map<string, ScannedModule> {
  return new Map(Object.entries(files).map(([file, source]) => [file, scanModule(file, source)]));
}

describe("core purity: optional peers in the core", () => {
  test("a runtime import of a peer anywhere in mod.ts's graph is reported with the chain", () => {
    const found = corePeerViolations(
      "mod.ts",
      modules({
        "mod.ts": 'export { a } from "./src/core/a.ts";',
        "src/core/a.ts": 'import { b } from "../sql/b.ts";\nexport const a = b;',
        "src/sql/b.ts": 'import { neon } from "@neondatabase/serverless";\nexport const b = neon;',
      }),
    );
    assert.equal(found.length, 1);
    assert.equal(found[0]?.file, "src/sql/b.ts");
    assert.match(found[0]?.message ?? "", /mod\.ts -> src\/core\/a\.ts -> src\/sql\/b\.ts/);
  });

  test("import type of a peer and of a module that loads a peer pass", () => {
    const found = corePeerViolations(
      "mod.ts",
      modules({
        "mod.ts": 'import type { Pool } from "pg";\nexport type { Neon } from "./src/drivers/neon/mod.ts";',
        "src/drivers/neon/mod.ts": 'import { neon } from "@neondatabase/serverless";',
      }),
    );
    assert.deepEqual(found, []);
  });

  test("a peer's subpath and `import { type X }` count as runtime imports", () => {
    const found = corePeerViolations(
      "mod.ts",
      modules({ "mod.ts": 'import { type Hono } from "hono";\nimport { cors } from "hono/cors";' }),
    );
    assert.equal(found.length, 2);
  });
});

describe("core purity: optional peers in the subpath entries and the CLI", () => {
  test("a static import of a peer anywhere the entry loads is reported with the chain", () => {
    const found = eagerPeerViolations(
      "src/dev/mod.ts",
      modules({
        "src/dev/mod.ts": 'export { serve } from "./server.ts";',
        "src/dev/server.ts": 'import { backend } from "./backend.ts";\nexport const serve = backend;',
        "src/dev/backend.ts":
          'import type { PGlite } from "@electric-sql/pglite";\nimport { protocol } from "@electric-sql/pglite";',
      }),
    );
    assert.equal(found.length, 1);
    assert.equal(found[0]?.file, "src/dev/backend.ts");
    assert.equal(found[0]?.line, 2);
    assert.match(found[0]?.message ?? "", /src\/dev\/mod\.ts -> src\/dev\/server\.ts -> src\/dev\/backend\.ts/);
    assert.match(found[0]?.message ?? "", /"@electric-sql\/pglite"/);
  });

  test("the CLI's entry is checked the same way, peer subpaths and tsx included", () => {
    const found = eagerPeerViolations(
      "src/cli/run.ts",
      modules({
        "src/cli/run.ts": 'import { main } from "./main.ts";',
        "src/cli/main.ts": 'import { register } from "tsx/esm/api";\nimport pg from "pg";\nexport * from "hono/cors";',
      }),
    );
    assert.deepEqual(found.map((v) => v.line), [1, 2, 3]);
  });

  test("a peer behind import(), a type-only import and a module behind import() pass", () => {
    const found = eagerPeerViolations(
      "src/dev/mod.ts",
      modules({
        "src/dev/mod.ts": [
          'import type { Pool } from "pg";',
          'export type { PGlite } from "@electric-sql/pglite";',
          'const later = () => import("./pglite-session.ts");',
          'export async function start() { const { default: pg } = await import("pg"); return pg; }',
        ].join("\n"),
        "src/dev/pglite-session.ts": 'import { protocol } from "@electric-sql/pglite";',
      }),
    );
    assert.deepEqual(found, []);
  });

  test("an entry may load the peer it exists to serve, and no other (ENTRY_PEERS)", () => {
    const graph = modules({
      "src/http/mod.ts": 'export { eventsRouter } from "./events-router.ts";',
      "src/http/events-router.ts":
        'import { Hono } from "hono";\nimport { etag } from "hono/etag";\nimport pg from "pg";',
    });
    const found = eagerPeerViolations("src/http/mod.ts", graph, { "src/http/mod.ts": ["hono"] });
    assert.deepEqual(found.map((v) => v.line), [3]);
    assert.match(found[0]?.message ?? "", /"pg"/);
    assert.equal(eagerPeerViolations("src/dev/mod.ts", modules({ "src/dev/mod.ts": 'import "hono";' })).length, 1);
    assert.deepEqual(ENTRY_PEERS["src/http/mod.ts"], ["hono", "@valibot/to-json-schema"]);
  });

  test("a require() of a peer counts as eager", () => {
    const found = eagerPeerViolations("src/cli/run.ts", modules({ "src/cli/run.ts": 'const pg = require("pg");' }));
    assert.equal(found.length, 1);
  });
});

describe("core purity: layers", () => {
  test("the core importing a driver, and anything outside src/cli importing the CLI, are reported", () => {
    const core = layerViolations(scanModule("src/core/store.ts", 'import { x } from "../drivers/neon/mod.ts";'));
    const http = layerViolations(scanModule("src/http/router.ts", 'import { main } from "../cli/main.ts";'));
    const dev = layerViolations(scanModule("src/replay/run.ts", 'import { serve } from "../dev/mod.ts";'));
    assert.equal(core.length + http.length + dev.length, 3);
  });

  test("the CLI importing the dev server and drivers importing the core pass", () => {
    assert.deepEqual(layerViolations(scanModule("src/cli/serve.ts", 'import { serve } from "../dev/mod.ts";')), []);
    assert.deepEqual(
      layerViolations(scanModule("src/drivers/neon/mod.ts", 'import type { Executor } from "../../core/executor.ts";')),
      [],
    );
  });
});
