// The scripts of examples/ as a user runs them: each a subprocess of the runtime that runs this
// file (`node --import tsx`, `bun`, `deno run -A`), on an embedded PGlite (DATABASE_URL unset) in
// a temporary working directory of its own, killed if it runs past its bound. Each must exit 0
// and print what it promises. The README's examples that run as they stand live in examples/
// too, each between `// README: <section>` and `// end README`: that text must be the README
// block of the section, whose imports (from "edge-events") the file must import (from ../mod.ts).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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

/** The README sections whose code block runs as it stands, and the example that runs it. */
const README_EXAMPLES: readonly { readonly section: string; readonly script: string }[] = [
  { section: "Reading the past", script: "examples/reading-the-past.ts" },
  { section: "Audit queries", script: "examples/audit-queries.ts" },
  { section: "Projections", script: "examples/projections.ts" },
  { section: "Savepoints and rebuilding a row", script: "examples/savepoints.ts" },
  { section: "HTTP router", script: "examples/http-router.ts" },
  { section: "Actions over HTTP", script: "examples/http-actions.ts" },
];

/** The first ```ts block of a README section (`###`) or subsection (`####`). */
function readmeBlock(readme: string, section: string): string {
  const at = Math.max(readme.indexOf(`\n### ${section}\n`), readme.indexOf(`\n#### ${section}\n`));
  assert.ok(at >= 0, `README has no section ${section}`);
  const start = readme.indexOf("```ts\n", at);
  assert.ok(start >= 0, `README section ${section} has no ts block`);
  return readme.slice(start + "```ts\n".length, readme.indexOf("```\n", start));
}

/** `import` statements, as specifier → imported names; and the code after the leading imports. */
function splitImports(code: string): { imports: Map<string, Set<string>>; body: string } {
  const imports = new Map<string, Set<string>>();
  const pattern = /^import (?:\* as (\w+)|\{([^}]*)\}) from "([^"]+)";\n/gm;
  let end = 0;
  for (const match of code.matchAll(pattern)) {
    const names = match[1] !== undefined ? [`* as ${match[1]}`] : match[2]!.split(",");
    const set = imports.get(match[3]!) ?? new Set<string>();
    for (const name of names) if (name.trim() !== "") set.add(name.trim().replace(/^type /, ""));
    imports.set(match[3]!, set);
    end = match.index + match[0].length;
  }
  return { imports, body: code.slice(end).replace(/^\n+/, "") };
}

const SPECIFIERS: Readonly<Record<string, string>> = {
  "edge-events": "../mod.ts",
  "edge-events/pglite": "../src/drivers/pglite/mod.ts",
  "edge-events/hono": "../src/http/mod.ts",
};

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
  // After those, one after another: more PGlite starts at once slow every script toward its bound.
  const readmeRuns = new Map<string, Promise<Run>>();
  before(() => {
    quickstart = run(freshDir(), "examples/quickstart.ts");
    neonLocal = run(freshDir(), "examples/neon-local.ts");
    const dir = freshDir();
    seedThenReplay = run(dir, "examples/seed-events.ts", ["60"]).then(async (seeded) =>
      seeded.code !== 0
        ? [seeded, undefined]
        : [seeded, await run(dir, "src/cli/run.ts", ["replay", "--config", join(ROOT, "examples/events.config.ts")])]
    );
    let previous: Promise<unknown> = Promise.allSettled([quickstart, neonLocal, seedThenReplay]);
    for (const { script } of README_EXAMPLES) {
      const next = previous.then(() => run(freshDir(), script));
      readmeRuns.set(script, next);
      previous = next;
    }
  });
  after(async () => {
    await Promise.allSettled([quickstart, neonLocal, seedThenReplay, ...readmeRuns.values()]);
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

  test("each README example of examples/ is the README's block, with the same imports", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const { section, script } of README_EXAMPLES) {
      const source = readFileSync(join(ROOT, script), "utf8");
      const region = source.match(new RegExp(`^// README: ${section}\\n([^]*?)^// end README\\n`, "m"));
      assert.ok(region !== null, `${script} has no README: ${section} region`);
      const block = splitImports(readmeBlock(readme, section));
      const file = splitImports(source.slice(0, region.index));
      assert.equal(block.body, region[1], `the README block of ${section} and ${script} differ`);
      for (const [specifier, names] of block.imports) {
        const own = file.imports.get(SPECIFIERS[specifier] ?? specifier) ?? new Set();
        for (const name of names) assert.ok(own.has(name), `${script} does not import ${name} from ${specifier}`);
      }
    }
  });

  const readmeRun = async (script: string): Promise<string> => {
    const result = await readmeRuns.get(script)!;
    assertExitedCleanly(result, script);
    return result.stdout;
  };

  test(
    "examples/reading-the-past.ts prints the history, states, diff, timeline and previous events",
    TIMEOUT,
    async () => {
      const out = await readmeRun("examples/reading-the-past.ts");
      assert.equal(
        out,
        [
          "0 open",
          "destroyed true close",
          "not-created true",
          'balance, updatedAt, deletedAt {"before":0,"after":25}',
          "open undefined 0",
          "deposit 0 25",
          "close 25 25",
          "deposit, open",
          "",
        ].join("\n"),
      );
    },
  );

  test("examples/audit-queries.ts prints one user's events of the week and the week's numbers", TIMEOUT, async () => {
    const out = await readmeRun("examples/audit-queries.ts");
    assert.match(
      out,
      /^2025-03-04T09:00:00\.000Z open (\w{26})\n2025-03-05T09:00:00\.000Z deposit \1\n2025-03-07T09:00:00\.000Z close \1\n/,
    );
    assert.match(out, /^4 \{"create":1,"update":2,"destroy":1\} 2$/m);
  });

  test("examples/projections.ts projects, reports no lag and rebuilds", TIMEOUT, async () => {
    const out = await readmeRun("examples/projections.ts");
    assert.equal(out, ["2 2 1 true", "0n", '2 [{"count":1,"total":"5"}]', ""].join("\n"));
  });

  test(
    "examples/savepoints.ts stores a savepoint, verifies it and rebuilds a lost and a damaged row",
    TIMEOUT,
    async () => {
      const out = await readmeRun("examples/savepoints.ts");
      assert.match(out, /^2n \{"id":"\w{26}","owner":"ada","balance":25\}\n1 1 0\n25 true\n$/);
    },
  );

  test("examples/http-router.ts serves history by tenant and grant, and refuses the rest", TIMEOUT, async () => {
    const out = await readmeRun("examples/http-router.ts");
    assert.equal(out, ["200 2 Plan v2 true", "false false", "404", "400", "403 403", ""].join("\n"));
  });

  test(
    "examples/http-actions.ts acts over HTTP: idempotent create, If-Match, one-round-trip withdraw, 412, 422, 404",
    TIMEOUT,
    async () => {
      const out = await readmeRun("examples/http-actions.ts");
      assert.equal(out, ["201 201 true", "200 6", "412 STALE_RECORD", "422 input.amount", "422", "404", ""].join("\n"));
    },
  );
});
