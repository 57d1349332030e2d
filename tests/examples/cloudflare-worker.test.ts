// examples/cloudflare-worker inside workerd, the Workers runtime: its src/worker.ts bundled by
// esbuild as a Workers project's bundler would, served with the bindings its wrangler.jsonc
// declares, against Postgres through the local SQL-over-HTTP server (the real neon() driver).
// Over HTTP: actions, history, the feed and SSE resumed with Last-Event-ID (the checks every
// runtime example passes); then its scheduled() handler, run as a Cron Trigger runs it, moves a
// running replay on step by step to its end while writes of the tenant answer 503. And the
// deploy config itself: `workerd serve wrangler.jsonc` (workerd bundles `main` itself) boots it.
//
// Only the Node step runs this file: workerd is a child process whatever runs the test (the
// smoke test tests/edge/workerd.test.ts runs on all three runtimes already).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { replayStep } from "edge-events";
import { type SqlOverHttpServer, startSqlOverHttpServer } from "edge-events/dev";
import { createTodoStore } from "../../examples/app/app.ts";
import { esbuildWorker } from "../edge/esbuild-worker.ts";
import { COMPATIBILITY_DATE, startWorkerd, type Workerd } from "../edge/workerd.ts";
import { databaseUrl } from "../support/database.ts";
import { appClient, type AppDatabase, createAppDatabase, exerciseApp, JWT_SECRET } from "./app-client.ts";

const EXAMPLE = fileURLToPath(new URL("../../examples/cloudflare-worker/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NOT_ON_NODE = "Bun" in globalThis || "Deno" in globalThis
  ? "workerd is a child process whatever runs this file: the Node step runs it once"
  : false;

interface WranglerConfig {
  readonly main: string;
  readonly compatibility_date: string;
  readonly vars?: Record<string, string>;
  readonly triggers?: { readonly crons?: readonly string[] };
}

/** wrangler.jsonc, its whole-line comments left out. */
function wranglerConfig(): WranglerConfig {
  const text = readFileSync(join(EXAMPLE, "wrangler.jsonc"), "utf8");
  return JSON.parse(text.split("\n").filter((line) => !line.trim().startsWith("//")).join("\n")) as WranglerConfig;
}

interface ReplayStatusJson {
  readonly status: string;
  readonly applied: number;
  readonly tenant: string | null;
}

describe("examples/cloudflare-worker in workerd", { skip: NOT_ON_NODE }, () => {
  let server: SqlOverHttpServer;
  let database: AppDatabase;
  let workerd: Workerd;

  before(async () => {
    const config = wranglerConfig();
    const { code } = await esbuildWorker(join(EXAMPLE, config.main));
    server = await startSqlOverHttpServer({ databaseUrl: databaseUrl(), port: 0 });
    database = await createAppDatabase(server);
    workerd = await startWorkerd(code, {
      text: {
        ...config.vars,
        REPLAY_BUDGET_MS: "1", // one page per scheduled run (a page takes longer than 1 ms)
        DATABASE_URL: database.connectionString,
        JWT_SECRET,
        SQL_ENDPOINT: server.url,
      },
      scheduled: true,
    });
  });

  after(async () => {
    await workerd?.stop();
    await database?.drop();
    await server?.close();
  });

  test("wrangler.jsonc: the entry, the compatibility date the test runs with, vars and a cron", () => {
    const config = wranglerConfig();
    assert.equal(config.main, "src/worker.ts");
    assert.equal(config.compatibility_date, COMPATIBILITY_DATE);
    assert.deepEqual(Object.keys(config.vars ?? {}), ["REPLAY_BUDGET_MS"]);
    assert.ok((config.triggers?.crons ?? []).length > 0);
  });

  test("actions, history, the feed and SSE resumed with Last-Event-ID, served by workerd", async () => {
    const { acmeIds } = await exerciseApp(workerd.url);
    const rows = await database.query("SELECT id FROM todos WHERE org = 'acme' ORDER BY id");
    assert.deepEqual(rows.map((row) => row["id"]), [...acmeIds].sort());
  });

  test("scheduled() continues a running replay one step per run to its end; meanwhile the tenant's writes are 503", async () => {
    const app = appClient(workerd.url);
    const tick = async (): Promise<void> => {
      const response = await fetch(`${workerd.scheduledUrl}?cron=${encodeURIComponent("*/5 * * * *")}`);
      assert.deepEqual(await response.json(), { outcome: "ok", noRetry: false }, workerd.output());
    };
    for (let i = 0; i < 4; i++) assert.equal((await app.post("todos", { title: `more ${i}` }, "ada")).status, 201);
    const before = await database.query("SELECT * FROM todos ORDER BY id");
    const [{ count }] = (await database.query("SELECT count(*)::int AS count FROM events WHERE tenant = 'acme'")) as [
      { count: number },
    ];

    await tick(); // no replay is running: it starts none
    assert.equal((await app.get("events/replay", "ada")).status, 404);

    const store = createTodoStore(database.connectionString, server.url);
    const first = await replayStep(store, { tenant: "acme", budgetMs: 1, pageSize: 2 });
    assert.equal(first.done, false, "the replay should have pages left for the scheduled runs");
    const fenced = await app.post("todos", { title: "during the replay" }, "ada");
    assert.equal(fenced.status, 503);
    assert.ok(fenced.headers.get("Retry-After") !== null);
    assert.equal((await app.post("todos", { title: "another tenant" }, "eve")).status, 201);

    const applied: number[] = [first.applied];
    let status: ReplayStatusJson;
    do {
      await tick();
      status = (await app.get("events/replay", "ada")).body as ReplayStatusJson;
      applied.push(status.applied);
      assert.ok(applied.length <= 10, `the replay did not end: ${JSON.stringify(applied)}`);
    } while (status.status === "running");
    assert.equal(status.status, "completed");
    assert.equal(status.tenant, "acme");
    // Pages of 2 and a budget any page outlasts: each run applies one page (the last run may
    // only find the end), so the count grows over several runs to every event of acme.
    for (let i = 1; i < applied.length; i++) assert.ok(applied[i]! >= applied[i - 1]!, JSON.stringify(applied));
    assert.ok(new Set(applied).size >= 3, `one page per run: ${JSON.stringify(applied)}`);
    assert.equal(applied.at(-1), count);

    const rebuilt = await database.query("SELECT * FROM todos WHERE org = 'acme' ORDER BY id");
    assert.deepEqual(rebuilt, before.filter((row) => row["org"] === "acme"));
    assert.equal((await app.post("todos", { title: "after the replay" }, "ada")).status, 201);
  });

  test("the deploy config boots as it is: `workerd serve wrangler.jsonc` bundles src/worker.ts and answers", async () => {
    // A copy whose `main` is the example's entry (absolute), with the secret as a var; workerd
    // keeps its local state beside the copy.
    const dir = mkdtempSync(join(tmpdir(), "ee-wrangler-"));
    try {
      const config = wranglerConfig();
      const copy = { ...config, main: join(EXAMPLE, config.main), vars: { ...config.vars, JWT_SECRET } };
      writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify(copy));
      const port = await serveWrangler(join(dir, "wrangler.jsonc"), async (url) => {
        const answer = await fetch(`${url}events/feed`);
        assert.equal(answer.status, 401, await answer.text()); // the app's token check: it runs
      });
      assert.ok(port > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `workerd serve <wrangler.jsonc>` on a free port; `use` gets its URL; then it is stopped. */
async function serveWrangler(configPath: string, use: (url: string) => Promise<void>): Promise<number> {
  const binary = (createRequire(import.meta.url)("workerd") as { default: string }).default;
  const child: ChildProcess = spawn(
    binary,
    ["serve", configPath, "--experimental", "-s", "http=127.0.0.1:0", "--control-fd=3"],
    {
      env: { ...process.env, WORKERD_ESBUILD: join(ROOT, "node_modules", ".bin", "esbuild") },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (chunk) => void (output += String(chunk)));
  child.stderr!.on("data", (chunk) => void (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`workerd did not listen:\n${output}`)), 30_000);
      child.stdio[3]!.on("data", (chunk) => {
        const match = /"socket":"http","port":(\d+)/.exec(String(chunk));
        if (match !== null) resolve(Number(match[1]));
      });
      void exited.then(() => reject(new Error(`workerd exited:\n${output}`)));
      void exited.finally(() => clearTimeout(timer));
    });
    await use(`http://127.0.0.1:${port}/`);
    return port;
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}
