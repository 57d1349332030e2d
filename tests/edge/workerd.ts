/**
 * Start workerd, the Cloudflare Workers runtime (the `workerd` npm package's binary), serving
 * one ES-module Worker on a free port of 127.0.0.1. Runs from Node, Bun and Deno alike
 * (`node:child_process`, the port read from workerd's `--control-fd`).
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Workers semantics as of this date. Fixed, so that a workerd upgrade changes the binary, not
 * the behaviour asked of it; it must not be later than the binary's own date.
 */
const COMPATIBILITY_DATE = "2025-09-01";

const LISTEN_TIMEOUT_MS = 10_000;

/** A running workerd. */
export interface Workerd {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** What workerd wrote to stdout and stderr so far (its logs and the Worker's console). */
  output(): string;
  /** Stop workerd (SIGTERM, then SIGKILL) and remove its config. */
  stop(): Promise<void>;
}

/**
 * The Cap'n Proto config: one Worker with no Node compatibility flag (Web APIs only), whose
 * `fetch()` may reach loopback addresses alone. workerd's default `internet` service allows
 * only public ones, so the Worker could not reach the test's local server without this.
 */
function configText(moduleFile: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed ${JSON.stringify(moduleFile)})],
  compatibilityDate = ${JSON.stringify(COMPATIBILITY_DATE)},
  globalOutbound = "loopback",
);
`;
}

function workerdBinary(): string {
  try {
    const workerd = createRequire(import.meta.url)("workerd") as { default?: unknown };
    if (typeof workerd.default === "string") return workerd.default;
    throw new TypeError("the workerd package exports no binary path");
  } catch (error) {
    throw new Error(
      `workerd is not installed for this platform (run npm ci): ${error instanceof Error ? error.message : error}`,
    );
  }
}

/**
 * Write the bundle and a config to a temporary folder, start workerd and wait until it listens.
 *
 * @param bundle the Worker as one ES module (its default export's `fetch` serves requests)
 * @returns the running workerd
 * @throws {Error} when workerd cannot be found, exits, or does not listen within 10 s; the
 *   message carries its output
 * @example
 * ```ts
 * const workerd = await startWorkerd(bundleText);
 * try { await fetch(workerd.url) } finally { await workerd.stop() }
 * ```
 */
export async function startWorkerd(bundle: string): Promise<Workerd> {
  const binary = workerdBinary();
  const dir = await mkdtemp(join(tmpdir(), "edge-events-workerd-"));
  await writeFile(join(dir, "worker.js"), bundle);
  await writeFile(join(dir, "config.capnp"), configText("worker.js"));
  const child = spawn(binary, ["serve", join(dir, "config.capnp"), "--control-fd=3"], {
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: unknown): void => void (output = (output + String(chunk)).slice(-20_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = async (): Promise<void> => {
    await kill(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await listenPort(child, () => output);
    return { url: `http://127.0.0.1:${port}/`, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The port of workerd's `http` socket, from the JSON lines it writes to the control fd. */
function listenPort(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new Error(`workerd did not start: ${why}\n--- workerd output ---\n${output()}`));
    };
    const timer = setTimeout(() => fail(`no listen event after ${LISTEN_TIMEOUT_MS} ms`), LISTEN_TIMEOUT_MS);
    let control = "";
    child.stdio[3]?.on("data", (chunk: unknown) => {
      const lines = (control + String(chunk)).split("\n");
      control = lines.pop() ?? "";
      for (const line of lines) {
        const event = JSON.parse(line) as { event?: string; socket?: string; port?: number };
        if (event.event === "listen" && event.socket === "http" && typeof event.port === "number") {
          clearTimeout(timer);
          resolve(event.port);
        }
      }
    });
    child.on("error", (error) => fail(error.message));
    child.on("exit", (code, signal) => fail(`it exited (${signal ?? `code ${code}`})`));
  });
}

function kill(child: ChildProcess): Promise<void> {
  const gone = child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
  if (gone) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => (clearTimeout(hard), resolve()));
    child.kill("SIGTERM");
  });
}
