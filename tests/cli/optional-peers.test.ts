// The npm package as a user installs it, WITHOUT the optional peers: build dist/ into a temp
// directory, `npm pack` it (the `files` list decides what ships), unpack it into a fresh
// node_modules beside copies of its required dependencies only (ulid, valibot), then run the
// CLI and import every entry there. Nothing is fetched: the tarball and the dependencies come
// from this checkout.
//
// Runtimes: the child runs on the runtime that runs this file. On Bun it runs with
// --no-install so that Bun's auto-install cannot fetch the missing peers. Deno is skipped:
// Deno users get the package from JSR as TypeScript sources (no dist/, no bin/, no tarball),
// and resolving a bare node_modules tree needs a deno.json there that would change what is
// being tested; the JSR entries are checked by `deno check` and the purity step instead.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const isDeno = "Deno" in globalThis;
const isBun = "Bun" in globalThis;
const OPTIONAL_PEERS = ["@electric-sql/pglite", "pg", "@neondatabase/serverless", "hono", "tsx"];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const key of ["NODE_OPTIONS", "NODE_TEST_CONTEXT", "NODE_PATH", "DATABASE_URL"]) delete childEnv[key];
  Object.assign(childEnv, env);
  const child = spawn(command, [...args], { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // Only a guard against a hung child: a run takes a second or two (the build about 5 s) on an
  // idle machine, many times that on a loaded one.
  const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(result: Run, what: string): Run {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The runtime that runs this file, as the command that runs a script in the installed tree. */
function runtime(): { command: string; args: string[] } {
  return isBun ? { command: process.execPath, args: ["--no-install"] } : { command: process.execPath, args: [] };
}

/** Copy a required dependency, and its own dependencies, from this checkout's node_modules. */
function copyDependency(name: string, into: string): void {
  const target = join(into, "node_modules", name);
  if (existsSync(target)) return;
  const source = join(ROOT, "node_modules", name);
  cpSync(source, target, { recursive: true });
  const deps =
    (JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as { dependencies?: Record<string, string> })
      .dependencies;
  for (const dep of Object.keys(deps ?? {})) copyDependency(dep, into);
}

describe("the installed package without its optional peers", {
  skip: isDeno && "Deno installs from JSR (sources, no bin/): see the head of this file",
}, () => {
  let work: string;
  let app: string;

  const cli = (args: readonly string[], env?: Record<string, string>): Promise<Run> => {
    const { command, args: flags } = runtime();
    return run(
      command,
      [...flags, join(app, "node_modules", "edge-events", "bin", "edge-events.mjs"), ...args],
      app,
      env,
    );
  };
  const script = (name: string, source: string): Promise<Run> => {
    writeFileSync(join(app, name), source);
    const { command, args } = runtime();
    return run(command, [...args, name], app);
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "ee-peers-"));
    const stage = join(work, "stage");
    app = join(work, "app");
    mkdirSync(stage);
    mkdirSync(join(app, "node_modules", "edge-events"), { recursive: true });
    ok(
      await run(join(ROOT, "node_modules", ".bin", "tsc"), [
        "-p",
        join(ROOT, "tsconfig.build.json"),
        "--outDir",
        join(stage, "dist"),
      ], ROOT),
      "tsc",
    );
    for (const file of ["package.json", "README.md", "CHANGELOG.md", "LICENSE", "bin"]) {
      cpSync(join(ROOT, file), join(stage, file), { recursive: true });
    }
    ok(
      await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], stage, {
        npm_config_offline: "true",
      }),
      "npm pack",
    );
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    assert.ok(tarball !== undefined, "npm pack wrote no tarball");
    ok(
      await run("tar", [
        "-xzf",
        join(work, tarball),
        "-C",
        join(app, "node_modules", "edge-events"),
        "--strip-components=1",
      ], work),
      "tar",
    );
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies)) copyDependency(dep, app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  });

  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test("the tree really lacks every optional peer, and the package ships no sources", async () => {
    const probe = await script(
      "probe.mjs",
      `const found = [];\nfor (const name of ${JSON.stringify(OPTIONAL_PEERS)}) {\n` +
        `  try { await import(name); found.push(name); } catch {}\n}\nconsole.log(JSON.stringify(found));\n`,
    );
    ok(probe, "the probe");
    assert.deepEqual(JSON.parse(probe.stdout), []);
    assert.equal(existsSync(join(app, "node_modules", "edge-events", "src")), false);
  });

  test("edge-events --help, serve --help and replay --help work", async () => {
    const [help, serve, replay] = await Promise.all([
      cli(["--help"]),
      cli(["serve", "--help"]),
      cli(["replay", "--help"]),
    ]);
    assert.match(ok(help, "--help").stdout, /Usage: edge-events <command>/);
    assert.match(ok(serve, "serve --help").stdout, /Usage: edge-events serve/);
    assert.match(ok(replay, "replay --help").stdout, /edge-events replay/);
  });

  test("serve --pglite, and serve with no database, name @electric-sql/pglite and exit 1", async () => {
    const runs = await Promise.all([cli(["serve", "--pglite", "--port", "0"]), cli(["serve", "--port", "0"])]);
    for (const result of runs) {
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /PGlite backend .* needs the optional package @electric-sql\/pglite.*npm install @electric-sql\/pglite/,
      );
      assert.doesNotMatch(result.stderr, /ERR_MODULE_NOT_FOUND|at .*\.js:\d+/);
    }
  });

  test("serve --database-url names pg and exits 1", async () => {
    const result = await cli(["serve", "--port", "0", "--database-url", "postgres://postgres@127.0.0.1:5432/x"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Postgres backend .* needs the optional package pg.*npm install pg/);
  });

  test("replay --config with a TypeScript module on a Node without type stripping names tsx", async (t) => {
    const features = (process as { features?: { typescript?: unknown } }).features;
    if (isBun || features?.typescript) return t.skip("this runtime loads TypeScript by itself");
    writeFileSync(join(app, "events.config.ts"), "export const store: unknown = undefined;\n");
    const result = await cli(["replay", "--config", "./events.config.ts"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /TypeScript config module .* needs the optional package tsx.*npm install tsx/);
  });

  test("with tsx installed in the project, a TypeScript config module loads through it on plain Node", async (t) => {
    if (isBun) return t.skip("Bun loads TypeScript by itself");
    // A second tree: the same package and dependencies, plus tsx and esbuild's binary package.
    const withTsx = join(work, "app-tsx");
    mkdirSync(join(withTsx, "node_modules"), { recursive: true });
    cpSync(join(app, "node_modules"), join(withTsx, "node_modules"), { recursive: true });
    copyDependency("tsx", withTsx);
    for (const name of readdirSync(join(ROOT, "node_modules", "@esbuild"))) copyDependency(`@esbuild/${name}`, withTsx);
    writeFileSync(join(withTsx, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    // An enum: TypeScript that type stripping alone cannot load, so only tsx can.
    writeFileSync(
      join(withTsx, "events.config.ts"),
      [
        'import { createEventStore, defineEventLog, type Executor } from "edge-events";',
        'enum Table { Name = "audit_events" }',
        "const refuse = (): Promise<never> => Promise.reject(new Error('no database in this test'));",
        'const db: Executor = { kind: "none", query: refuse, batch: refuse };',
        "export const store = createEventStore({ db, log: defineEventLog({ table: Table.Name }), resources: [] });",
      ].join("\n"),
    );
    const bin = join(withTsx, "node_modules", "edge-events", "bin", "edge-events.mjs");
    const result = await run(process.execPath, [bin, "migrate", "--config", "./events.config.ts"], withTsx);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /CREATE TABLE IF NOT EXISTS "audit_events"/);
  });

  test("every entry imports, and the dev server reports the missing peer as a MissingPeerError", async () => {
    const result = await script(
      "entries.mjs",
      [
        'await import("edge-events"); await import("edge-events/neon"); await import("edge-events/pglite"); await import("edge-events/pg");',
        'const dev = await import("edge-events/dev");',
        "const errors = [];",
        "for (const options of [{ pglite: {} }, { databaseUrl: 'postgres://postgres@127.0.0.1:5432/x' }]) {",
        "  try { await (await dev.startSqlOverHttpServer({ ...options, port: 0 })).close(); errors.push(null); }",
        "  catch (e) { errors.push({ name: e.name, isMissingPeer: e instanceof dev.MissingPeerError, packageName: e.packageName }); }",
        "}",
        "console.log(JSON.stringify(errors));",
      ].join("\n"),
    );
    ok(result, "importing the entries");
    assert.deepEqual(JSON.parse(result.stdout), [
      { name: "MissingPeerError", isMissingPeer: true, packageName: "@electric-sql/pglite" },
      { name: "MissingPeerError", isMissingPeer: true, packageName: "pg" },
    ]);
  });
});
