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
export const COMPATIBILITY_DATE = "2025-09-01";

const LISTEN_TIMEOUT_MS = 10_000;

/** What the Worker is given beside its code. */
export interface WorkerdOptions {
  /** Text bindings (a `wrangler.jsonc`'s vars and secrets), by name. */
  readonly text?: Readonly<Record<string, string>>;
  /**
   * Serve a second socket whose requests run the Worker's `scheduled()` handler, as a Cron
   * Trigger would: `POST <scheduledUrl>?cron=<expression>` answers `{ outcome, noRetry }`.
   */
  readonly scheduled?: boolean;
}

/** A running workerd. */
export interface Workerd {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** With `scheduled: true`: `http://127.0.0.1:<port>/` of the socket that runs `scheduled()`. */
  readonly scheduledUrl?: string;
  /** What workerd wrote to stdout and stderr so far (its logs and the Worker's console). */
  output(): string;
  /** Stop workerd (SIGTERM, then SIGKILL) and remove its config. */
  stop(): Promise<void>;
}

/**
 * The Cap'n Proto config: one Worker with no Node compatibility flag (Web APIs only), whose
 * `fetch()` may reach loopback addresses alone. workerd's default `internet` service allows
 * only public ones, so the Worker could not reach the test's local server without this.
 *
 * The `scheduled` socket is served by a Worker (`scheduled.js`) that calls the main Worker's
 * `scheduled()` through a service binding, the way workerd's own Cron Triggers do
 * (`service_binding_extra_handlers`, an experimental flag: workerd then runs with
 * `--experimental`).
 */
function configText(moduleFile: string, options: WorkerdOptions): string {
  const bindings = Object.entries(options.text ?? {}).map(([name, value]) =>
    `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`
  );
  const services = [
    `(name = "main", worker = .worker)`,
    `(name = "loopback", network = (allow = ["local"]))`,
    ...(options.scheduled === true ? [`(name = "scheduled", worker = .scheduled)`] : []),
  ];
  const sockets = [
    `(name = "http", address = "127.0.0.1:0", http = (), service = "main")`,
    ...(options.scheduled === true
      ? [`(name = "scheduled", address = "127.0.0.1:0", http = (), service = "scheduled")`]
      : []),
  ];
  const date = JSON.stringify(COMPATIBILITY_DATE);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(", ")}],
  sockets = [${sockets.join(", ")}],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed ${JSON.stringify(moduleFile)})],
  compatibilityDate = ${date},
  bindings = [${bindings.join(", ")}],
  globalOutbound = "loopback",
);
const scheduled :Workerd.Worker = (
  modules = [(name = "scheduled.js", esModule = embed "scheduled.js")],
  compatibilityDate = ${date},
  compatibilityFlags = ["service_binding_extra_handlers"],
  bindings = [(name = "WORKER", service = "main")],
);
`;
}

/** Runs the main Worker's scheduled() once per request, as a Cron Trigger would. */
const SCHEDULED_MODULE = `export default {
  async fetch(request, env) {
    const cron = new URL(request.url).searchParams.get("cron") ?? "* * * * *";
    return Response.json(await env.WORKER.scheduled({ cron, scheduledTime: new Date() }));
  },
};
`;

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
 * @param options its text bindings, and whether to serve `scheduled()`
 * @returns the running workerd
 * @throws {Error} when workerd cannot be found, exits, or does not listen within 10 s; the
 *   message carries its output
 * @example
 * ```ts
 * const workerd = await startWorkerd(bundleText);
 * try { await fetch(workerd.url) } finally { await workerd.stop() }
 * ```
 */
export async function startWorkerd(bundle: string, options: WorkerdOptions = {}): Promise<Workerd> {
  const binary = workerdBinary();
  const dir = await mkdtemp(join(tmpdir(), "edge-events-workerd-"));
  await writeFile(join(dir, "worker.js"), bundle);
  await writeFile(join(dir, "scheduled.js"), SCHEDULED_MODULE);
  await writeFile(join(dir, "config.capnp"), configText("worker.js", options));
  const flags = options.scheduled === true ? ["--experimental"] : [];
  const child = spawn(binary, ["serve", join(dir, "config.capnp"), "--control-fd=3", ...flags], {
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
    const sockets = options.scheduled === true ? ["http", "scheduled"] : ["http"];
    const ports = await listenPorts(child, sockets, () => output);
    const url = (socket: string): string => `http://127.0.0.1:${ports.get(socket)}/`;
    return {
      url: url("http"),
      ...(options.scheduled === true ? { scheduledUrl: url("scheduled") } : {}),
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The port of each of `sockets`, from the JSON lines workerd writes to the control fd. */
function listenPorts(
  child: ChildProcess,
  sockets: readonly string[],
  output: () => string,
): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const ports = new Map<string, number>();
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
        if (event.event === "listen" && typeof event.socket === "string" && typeof event.port === "number") {
          ports.set(event.socket, event.port);
        }
      }
      if (sockets.every((socket) => ports.has(socket))) {
        clearTimeout(timer);
        resolve(ports);
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
