// The runtime examples as users start them: examples/node (`node --import tsx`, through
// @hono/node-server), examples/bun (`bun`, Bun.serve) and examples/deno (`deno run`,
// Deno.serve), each a child process serving the shared app (examples/app) on a free port,
// against Postgres through the local SQL-over-HTTP server, in a schema of its own. Each is
// exercised over HTTP (actions, history, feed, SSE resumed with Last-Event-ID), then stopped
// with SIGTERM and must exit 0.
//
// Only the Node step runs this file: the three servers are child processes whatever runtime
// runs the test, so running it under Bun and Deno too would start the same nine processes
// again for nothing (the kill test does the same).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type SqlOverHttpServer, startSqlOverHttpServer } from "edge-events/dev";
import { databaseUrl } from "../support/database.ts";
import { type AppDatabase, createAppDatabase, exerciseApp, JWT_SECRET } from "./app-client.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const bin = (name: string): string => join(ROOT, "node_modules", ".bin", name);
const NOT_ON_NODE = "Bun" in globalThis || "Deno" in globalThis
  ? "the servers are child processes whatever runs this file: the Node step runs it once"
  : false;
/** How long a server may take to print its port (Deno compiles and loads npm packages first). */
const LISTEN_TIMEOUT_MS = 30_000;

const RUNTIMES: readonly { readonly name: string; readonly command: readonly string[] }[] = [
  { name: "Node (@hono/node-server)", command: [process.execPath, "--import", TSX_LOADER, "examples/node/server.ts"] },
  { name: "Bun (Bun.serve)", command: [bin("bun"), "examples/bun/server.ts"] },
  { name: "Deno (Deno.serve)", command: [bin("deno"), "run", "--allow-net", "--allow-env", "examples/deno/main.ts"] },
];

interface Server {
  readonly url: string;
  readonly output: () => string;
  /** SIGTERM, then the exit code (null when it had to be killed). */
  readonly stop: () => Promise<{ code: number | null; signal: string | null }>;
}

async function startServer(command: readonly string[], env: Record<string, string>): Promise<Server> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const name of ["NODE_TEST_CONTEXT", "NODE_OPTIONS"]) delete childEnv[name];
  const child: ChildProcess = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no port after ${LISTEN_TIMEOUT_MS} ms`), LISTEN_TIMEOUT_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${command.join(" ")} did not start: ${why}\n${output}`));
    };
    const keep = (chunk: unknown): void => {
      output += String(chunk);
      const match = /listening on http:\/\/localhost:(\d+)\//.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    void exited.then(({ code, signal }) => fail(`it exited (${signal ?? `code ${code}`})`));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return await exited;
      const hard = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.kill("SIGTERM");
      const result = await exited;
      clearTimeout(hard);
      return result;
    },
  };
}

describe("the runtime examples serve the shared app", { skip: NOT_ON_NODE }, () => {
  let server: SqlOverHttpServer;
  before(async () => {
    server = await startSqlOverHttpServer({ databaseUrl: databaseUrl(), port: 0 });
  });
  after(async () => {
    await server?.close();
  });

  for (const runtime of RUNTIMES) {
    test(`${runtime.name}: actions, history, feed and SSE over HTTP, then a clean stop on SIGTERM`, async () => {
      const database: AppDatabase = await createAppDatabase(server);
      try {
        const app = await startServer(runtime.command, {
          DATABASE_URL: database.connectionString,
          SQL_ENDPOINT: server.url,
          JWT_SECRET,
          PORT: "0",
        });
        try {
          const { acmeIds } = await exerciseApp(app.url);
          const rows = await database.query("SELECT id, org FROM todos ORDER BY id");
          assert.deepEqual(rows.filter((row) => row["org"] === "acme").map((row) => row["id"]), [...acmeIds].sort());
        } finally {
          const { code, signal } = await app.stop();
          assert.deepEqual({ code, signal }, { code: 0, signal: null }, `it did not exit cleanly:\n${app.output()}`);
        }
      } finally {
        await database.drop();
      }
    });
  }
});
