/**
 * `edge-events serve`, run in-process through `main()`.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import process from "node:process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { neon } from "@neondatabase/serverless";
import { main } from "../../src/cli/main.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { createLocalFetchEndpoint } from "../../src/dev/mod.ts";
import { DATABASE, DATABASE_URL, rejection, withNeonConfig } from "./harness.ts";

const BIN = fileURLToPath(new URL("../../bin/edge-events.mjs", import.meta.url));

/** Resolve with everything the child printed once `pattern` shows in it. */
function printed(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      if (pattern.test(text)) resolve(text);
    });
    child.once("exit", (code) => reject(new Error(`exited (${code}) before printing ${pattern}: ${text}`)));
  });
}

/** An open TCP connection to the local port. */
function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolve when the child's stdout ends, i.e. when every process writing to it has exited. */
function stdoutEnd(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.stdout?.readableEnded) resolve();
    else child.stdout?.once("end", () => resolve());
    child.stdout?.resume();
  });
}

function capture(signal?: AbortSignal): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
    ...(signal && { signal }),
  };
  return { io, out, err };
}

describe("the edge-events serve command", () => {
  test("serve prints the endpoint to paste, answers the driver and stops on its signal", async () => {
    const stop = new AbortController();
    const { io, out } = capture(stop.signal);
    const running = main(["serve", "--port", "0", "--database-url", DATABASE_URL, "--latency-ms", "1"], io);
    let endpoint: string | undefined;
    for (let i = 0; i < 200 && endpoint === undefined; i++) {
      endpoint = out.join("\n").match(/fetchEndpoint = "(http:\/\/[^"]+)"/)?.[1];
      if (endpoint === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(endpoint, out.join("\n"));
    assert.equal(out.join("\n").includes("postgres://postgres@"), false, "the upstream URL is never printed");
    assert.match(out.join("\n"), /^Connection strings need a user and a host such as localhost\. No password when/m);
    const sql = neon(`postgres://postgres:pw@localhost/${encodeURIComponent(DATABASE)}`);
    const rows = await withNeonConfig({ fetchEndpoint: endpoint }, () => sql`SELECT 2 AS two`);
    assert.deepStrictEqual(rows, [{ two: 2 }]);
    // The test cluster trusts its roles: a connection string without a password is served.
    const noPassword = neon(`postgres://postgres@localhost/${encodeURIComponent(DATABASE)}`);
    assert.deepStrictEqual(await withNeonConfig({ fetchEndpoint: endpoint }, () => noPassword`SELECT 3 AS n`), [{
      n: 3,
    }]);
    stop.abort();
    assert.equal(await running, 0);
  });

  test("unknown commands and options are usage errors with exit code 2", async () => {
    const unknown = capture();
    assert.equal(await main(["nope"], unknown.io), 2);
    assert.match(unknown.err.join("\n"), /unknown command "nope"/);
    const badFlag = capture();
    assert.equal(await main(["serve", "--pglite", "--database-url", "postgres://x@y/z"], badFlag.io), 2);
    assert.match(badFlag.err.join("\n"), /either --database-url or --pglite/);
    const help = capture();
    assert.equal(await main(["serve", "--help"], help.io), 0);
    assert.match(help.out.join("\n"), /--drop-after-commit N/);
  });

  test("serve with --token prints it, and requests without it are refused", async () => {
    const stop = new AbortController();
    const { io, out } = capture(stop.signal);
    const running = main(["serve", "--port", "0", "--database-url", DATABASE_URL, "--token", "cli-token-1"], io);
    let banner = "";
    for (let i = 0; i < 400 && !/Stop with/.test(banner); i++) {
      banner = out.join("\n");
      if (!/Stop with/.test(banner)) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    try {
      const endpoint = banner.match(/fetchEndpoint = "(http:\/\/[^"]+)"/)?.[1] ?? "";
      assert.match(endpoint, /\/sql\?token=cli-token-1$/);
      assert.match(banner, /createLocalFetchEndpoint\(\{ token: "cli-token-1" \}\)/);
      assert.match(banner, /Serves role postgres on database /);
      const port = new URL(endpoint).port;
      const sql = neon(`postgres://postgres:pw@localhost:${port}/${encodeURIComponent(DATABASE)}`);
      const refused = await withNeonConfig(
        { fetchEndpoint: endpoint.replace(/\?.*$/, "") },
        () => rejection(sql`SELECT 1`),
      );
      assert.match(refused.message, /HTTP status 401/);
      const rows = await withNeonConfig(
        { fetchEndpoint: createLocalFetchEndpoint({ token: "cli-token-1" }) },
        () => sql`SELECT 3 AS n`,
      );
      assert.deepStrictEqual(rows, [{ n: 3 }]);
    } finally {
      stop.abort();
    }
    assert.equal(await running, 0);
  });
});

describe("the edge-events serve process", () => {
  const serveArgs = [BIN, "serve", "--port", "0", "--database-url", DATABASE_URL];

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`stops with exit code 0 on ${signal}`, { timeout: 120_000 }, async () => {
      const child = spawn("node", serveArgs, { stdio: ["ignore", "pipe", "inherit"] });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      try {
        const banner = await printed(child, /Stop with Ctrl\+C/);
        const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
        assert.ok(port > 0, banner);
        // A client holding a keep-alive connection must not keep the server up.
        const held = await connected(port);
        process.kill(child.pid ?? 0, signal); // not child.kill: Deno reports a child it signalled itself as killed by it
        assert.equal(await exited, 0);
        held.destroy();
        await assert.rejects(connected(port), { code: "ECONNREFUSED" }, "the port is closed");
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });
  }

  test(
    "started by npx, it stops when npm's sh dies of the SIGTERM that npm forwarded",
    { timeout: 120_000 },
    async () => {
      // npm exec runs the bin through `sh -c`; on SIGTERM npm signals that sh, which dies without
      // passing the signal on. The old server kept serving with no parent.
      const quoted = serveArgs.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
      const sh = spawn("sh", ["-c", `node ${quoted} & echo "pid=$!"; wait`], {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, npm_command: "exec" },
      });
      let pid = 0;
      try {
        const banner = await printed(sh, /Stop with Ctrl\+C/);
        pid = Number(banner.match(/pid=(\d+)/)?.[1]);
        assert.ok(pid > 0, banner);
        process.kill(sh.pid ?? 0, "SIGTERM");
        // The server's end of the pipe closes when it exits (an orphan may stay a zombie, which
        // `kill(pid, 0)` would still find, when nothing reaps it).
        await stdoutEnd(sh);
      } finally {
        if (pid > 0) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone already
          }
        }
      }
    },
  );
});
