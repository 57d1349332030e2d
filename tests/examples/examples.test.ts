// The scripts of examples/ as a user runs them: each a subprocess of the runtime that runs this
// file (`node --import tsx`, `bun`, `deno run -A`), on an embedded PGlite (DATABASE_URL unset) in
// a temporary working directory of its own, killed if it runs past its bound. Each must exit 0
// and print what it promises.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
/** How long one script may run before it is killed (PGlite's start takes seconds on a busy machine). */
const BOUND_MS = 90_000;
const TIMEOUT = { timeout: 2 * BOUND_MS + 30_000 };

/** The command that runs a TypeScript file on this runtime. */
function runtimeCommand(script: string): string[] {
  if ("Deno" in globalThis) return [process.execPath, "run", "-A", `--config=${join(ROOT, "deno.json")}`, script];
  if ("Bun" in globalThis) return [process.execPath, script];
  return [process.execPath, "--import", TSX_LOADER, script];
}

interface Run {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `script` (relative to the repository) with `args` in `cwd`, on PGlite, within the bound. */
function run(cwd: string, script: string, args: readonly string[] = []): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ["DATABASE_URL", "NODE_TEST_CONTEXT", "NODE_OPTIONS"]) delete env[name];
  const [command, ...rest] = runtimeCommand(join(ROOT, script));
  const child = spawn(command!, [...rest, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => void (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), BOUND_MS);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function assertExitedCleanly(result: Run, script: string): void {
  assert.equal(result.signal, null, `${script} was killed after ${BOUND_MS} ms\n${result.stdout}\n${result.stderr}`);
  assert.equal(result.code, 0, `${script} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
}

describe("the examples run and print what they promise", () => {
  const dirs: string[] = [];
  const freshDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "ee-example-"));
    dirs.push(dir);
    return dir;
  };
  // Started together, awaited by the tests: the scripts wait on PGlite's start more than on
  // each other. Each promise resolves (never rejects on exit codes) so none is left unhandled.
  let quickstart: Promise<Run>;
  let neonLocal: Promise<Run>;
  let seedThenReplay: Promise<[Run, Run | undefined]>;
  before(() => {
    quickstart = run(freshDir(), "examples/quickstart.ts");
    neonLocal = run(freshDir(), "examples/neon-local.ts");
    const dir = freshDir();
    seedThenReplay = run(dir, "examples/seed-events.ts", ["60"]).then(async (seeded) =>
      seeded.code !== 0
        ? [seeded, undefined]
        : [seeded, await run(dir, "src/cli/run.ts", ["replay", "--config", join(ROOT, "examples/events.config.ts")])]
    );
  });
  after(async () => {
    await Promise.allSettled([quickstart, neonLocal, seedThenReplay]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test(
    "examples/quickstart.ts (npm run demo) writes, retries idempotently, refuses bad input and prints the log",
    TIMEOUT,
    async () => {
      const result = await quickstart;
      assertExitedCleanly(result, "quickstart.ts");
      assert.match(result.stdout, /^deposit: duplicate=false, retry: duplicate=true, balance 3500$/m);
      assert.match(result.stdout, /^VALIDATION_FAILED: email \(Invalid email\), name \(/m);
      assert.match(result.stdout, /^VALIDATION_FAILED: amount \(Insufficient funds\)$/m);
      assert.match(result.stdout, /^pos +event +action +record +actor +data +changes +correlation +cause/m);
      assert.match(result.stdout, /user\.deactivate +…\w+ +system:ops/);
    },
  );

  test(
    "examples/neon-local.ts (npm run demo:neon) sends one HTTP request per write and prints the log",
    TIMEOUT,
    async () => {
      const result = await neonLocal;
      assertExitedCleanly(result, "neon-local.ts");
      assert.match(result.stdout, /^migrate \(event log and tables\) +1 HTTP request\(s\)$/m);
      assert.match(result.stdout, /^open: insert \+ event +1 HTTP request\(s\)$/m);
      assert.match(result.stdout, /^deposit: atomic SQL update \+ event +1 HTTP request\(s\)$/m);
      assert.match(result.stdout, /^withdraw: read, then conditional write \+ event +2 HTTP request\(s\)$/m);
      assert.match(result.stdout, /^transfer: read, then both writes in one batch +2 HTTP request\(s\)$/m);
      assert.match(result.stdout, /^6 deposit \{"balance":20\}$/m);
    },
  );

  test(
    "examples/seed-events.ts writes events that `edge-events replay --config examples/events.config.ts` replays",
    TIMEOUT,
    async () => {
      const [seeded, replayed] = await seedThenReplay;
      assertExitedCleanly(seeded, "seed-events.ts");
      assert.match(seeded.stdout, /^Wrote 60 events \(\d+ accounts opened\)$/m);
      assert.ok(replayed !== undefined);
      assertExitedCleanly(replayed, "edge-events replay");
      assert.match(replayed.stdout, /^ +applied +60$/m);
    },
  );
});
