// npm test: every check and the whole test suite on Node, Bun and Deno, one step after
// another (2-core machines), stopping at the first failure.
//
//   npm test                               everything (what CI runs)
//   npm test -- --only node                one step, or several: --only checks,bun
//   npm test -- --skip bun,deno            everything but those steps
//   npm test -- --only node tests/sql      only these test files or folders (any runtime step)
//   npm test -- --list                     the steps and groups
//
// EDGE_EVENTS_TEST_ONLY / EDGE_EVENTS_TEST_SKIP do what --only / --skip do.
// EDGE_EVENTS_STEP_TIMEOUT (seconds) overrides each step's time limit.
// EDGE_EVENTS_TEST_JOBS: test files each runtime runs at once (default 2).
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { root, toolPath } from "./tools.mjs";

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";
// Time limit of one test on Bun and of one test file on Node (Node 20 applies
// --test-timeout to each file as a whole too); Deno has none. Generous: a hung test should
// fail by name before its step's own limit, and a slow machine should not fail at all.
const TEST_TIMEOUT_MS = 300_000;

// Test files each runtime runs at once: one per core of the 2-core machines the suite is sized
// for. EDGE_EVENTS_TEST_JOBS overrides (1 runs the files one by one).
const JOBS = Math.max(1, Math.floor(Number(process.env.EDGE_EVENTS_TEST_JOBS)) || 2);
// The time limit of each runtime step: a hang is caught first by the per-test timeout above, so
// this only bounds a step that is merely slow. The Node step took 476 s on 2026-11-30 (1,887
// tests, CI on a lightly loaded 2-core machine): 600 s left too little room for a busier machine.
const RUNTIME_STEP_TIMEOUT_S = 1200;

const node = process.execPath;
const tsx = ["--import", "tsx"];

/** @typedef {{ name: string, group: string, title: string, timeout: number, command: (files: string[]) => string[], counts?: (out: string) => { passed: number, failed: number } | undefined }} Step */

/** @type {Step[]} */
const STEPS = [
  {
    name: "exports",
    group: "checks",
    title: "export maps: deno.json and package.json agree",
    timeout: 60,
    command: () => [node, ...tsx, "scripts/check-exports.ts"],
  },
  {
    name: "purity",
    group: "checks",
    title: "core purity: portable layers use Web APIs only, the core loads no optional peer",
    timeout: 60,
    command: () => [node, ...tsx, "scripts/check-core-purity.ts"],
  },
  {
    name: "cycles",
    group: "checks",
    title: "import cycles: none among mod.ts and src (type-only imports count)",
    timeout: 60,
    command: () => [node, ...tsx, "scripts/check-import-cycles.ts"],
  },
  {
    name: "typecheck",
    group: "checks",
    title: "tsc --noEmit (strict, isolatedDeclarations)",
    timeout: 300,
    command: () => [toolPath("tsc"), "--noEmit", "-p", "tsconfig.json"],
  },
  {
    name: "deno-check",
    group: "checks",
    title: "deno check of mod.ts, every subpath entry, the CLI and the Deno example",
    timeout: 300,
    command: () => [toolPath("deno"), "check", ...denoCheckEntries()],
  },
  {
    name: "fmt",
    group: "checks",
    title: "deno fmt --check (line width 120; files in deno.json)",
    timeout: 120,
    command: () => [toolPath("deno"), "fmt", "--check"],
  },
  {
    name: "lint",
    group: "checks",
    title: "deno lint (recommended and jsr rules; files and rules in deno.json)",
    timeout: 120,
    command: () => [toolPath("deno"), "lint"],
  },
  {
    name: "doc-lint",
    group: "checks",
    title: "deno doc --lint of every public entry: JSDoc on every export, no private type in a public one",
    timeout: 120,
    command: () => [node, ...tsx, "scripts/check-docs.ts", "lint", toolPath("deno")],
  },
  {
    name: "doc-examples",
    group: "checks",
    title: "deno check --doc-only of mod.ts and src: every JSDoc example type-checks",
    timeout: 300,
    command: () => [node, ...tsx, "scripts/check-docs.ts", "examples", toolPath("deno")],
  },
  {
    name: "node",
    group: "runtimes",
    title: `tests on Node (tsx, node:test, ${JOBS} files at a time)`,
    timeout: RUNTIME_STEP_TIMEOUT_S,
    command: (files) => [
      node,
      ...tsx,
      "--test",
      `--test-concurrency=${JOBS}`,
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      "--test-reporter=spec",
      ...files,
    ],
    // A test cut off by the timeout is "cancelled", not "fail": count it as failed.
    counts: (out) => pair(/^ℹ pass (\d+)$/m, /^ℹ fail (\d+)$/m, out, undefined, /^ℹ cancelled (\d+)$/m),
  },
  {
    name: "bun",
    group: "runtimes",
    title: `tests on Bun (bun test runs node:test files natively, ${JOBS} files at a time)`,
    timeout: RUNTIME_STEP_TIMEOUT_S,
    // Bun treats bare arguments as name filters; a leading ./ makes them paths. --parallel runs
    // the files in worker processes, each file with a fresh global (as Node's one process per file).
    command: (files) => [
      toolPath("bun"),
      "test",
      `--parallel=${JOBS}`,
      "--timeout",
      String(TEST_TIMEOUT_MS),
      ...files.map((f) => `./${f}`),
    ],
    counts: (out) => pair(/^\s*(\d+) pass$/m, /^\s*(\d+) fail$/m, out),
  },
  {
    name: "deno",
    group: "runtimes",
    title: `tests on Deno (--no-check: tsc has checked the tests already; ${JOBS} files at a time)`,
    timeout: RUNTIME_STEP_TIMEOUT_S,
    // --parallel runs the files in workers, each in its own isolate; DENO_JOBS (set in runStep) says how many.
    command: (files) => [toolPath("deno"), "test", "-A", "--no-check", "--parallel", ...files],
    // Deno counts top-level tests; describe() blocks and t.test() are "steps" inside them.
    counts: (out) => pair(/\| (\d+) passed/, /\| (\d+) failed/, out, /\| \d+ passed \((\d+) steps?\)/),
  },
  {
    name: "pack",
    group: "publish",
    title: "npm pack --dry-run (prepack builds dist/)",
    timeout: 300,
    command: () => [process.platform === "win32" ? "npm.cmd" : "npm", "pack", "--dry-run"],
  },
  {
    name: "dist",
    group: "publish",
    title: "export maps against the built dist/",
    timeout: 60,
    command: () => [node, ...tsx, "scripts/check-exports.ts", "--built"],
  },
  {
    name: "jsr",
    group: "publish",
    title: "deno publish --dry-run (JSR: no slow types)",
    timeout: 300,
    command: () => [toolPath("deno"), "publish", "--dry-run", "--allow-dirty"],
  },
];

function pair(passRe, failRe, out, stepsRe, cancelledRe) {
  const passed = passRe.exec(out);
  const failed = failRe.exec(out);
  const steps = stepsRe?.exec(out);
  const cancelled = cancelledRe?.exec(out);
  if (passed === null) return undefined;
  const note = steps ? ` (${steps[1]} steps)` : "";
  const failures = (failed === null ? 0 : Number(failed[1])) + (cancelled ? Number(cancelled[1]) : 0);
  return { passed: Number(passed[1]), failed: failures, note };
}

function denoCheckEntries() {
  const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  const targets = typeof deno.exports === "string" ? [deno.exports] : Object.values(deno.exports ?? {});
  // The CLI entry is no export, but `deno run -A src/cli/run.ts` is documented.
  if (existsSync(join(root, "src/cli/run.ts"))) targets.push("./src/cli/run.ts");
  // tsc cannot check the Deno example (it calls Deno's API; tsconfig.json leaves it out): Deno does.
  targets.push("./examples/deno/main.ts");
  return targets;
}

function findTests(path) {
  const full = join(root, path);
  if (!existsSync(full)) throw new Error(`no such test file or folder: ${path}`);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full)
    .sort()
    .flatMap((name) => {
      const child = join(path, name);
      if (statSync(join(root, child)).isDirectory()) return name === "node_modules" ? [] : findTests(child);
      return name.endsWith(".test.ts") ? [child.split(sep).join("/")] : [];
    });
}

function parseArgs(argv) {
  const options = {
    only: splitList(process.env.EDGE_EVENTS_TEST_ONLY),
    skip: splitList(process.env.EDGE_EVENTS_TEST_SKIP),
    paths: [],
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") ? arg.split("=", 2) : [arg, undefined];
    if (flag === "--only" || flag === "--skip") {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a list of steps`);
      options[flag.slice(2)].push(...splitList(value));
    } else if (flag === "--list" || flag === "--help") options.list = true;
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg} (try --list)`);
    else options.paths.push(relative(root, join(process.cwd(), arg)).split(sep).join("/"));
  }
  return options;
}

function splitList(value) {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function selectSteps({ only, skip }) {
  const known = new Set(STEPS.flatMap((s) => [s.name, s.group]));
  for (const name of [...only, ...skip]) {
    if (!known.has(name)) throw new Error(`unknown step ${name} (try --list)`);
  }
  const matches = (step, names) => names.includes(step.name) || names.includes(step.group);
  return STEPS.filter((s) => (only.length === 0 || matches(s, only)) && !matches(s, skip));
}

function printList() {
  console.log("Steps, in order (groups: checks, runtimes, publish):");
  for (const s of STEPS) console.log(`  ${s.name.padEnd(12)} ${s.group.padEnd(9)} ${s.title}`);
  console.log("\nnpm test -- --only node,bun | --skip publish | [test files or folders]");
}

// Run one step with its output passed through, keeping the tail to read test counts.
function runStep(step, argv, timeoutSeconds) {
  return new Promise((resolve) => {
    const [command, ...args] = argv;
    const child = spawn(command, args, {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
        DENO_JOBS: String(JOBS),
        // Piped output is read by people and CI logs: no colour codes unless asked for.
        ...(process.stdout.isTTY || process.env.FORCE_COLOR !== undefined ? {} : { NO_COLOR: "1" }),
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    let tail = "";
    const keep = (chunk) => {
      tail = (tail + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout.on("data", (c) => (process.stdout.write(c), keep(c)));
    child.stderr.on("data", (c) => (process.stderr.write(c), keep(c)));
    let timedOut = false;
    const kill = (signal) => {
      try {
        if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n${step.name}: no result after ${timeoutSeconds} s; stopping it`);
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), 5_000).unref();
    }, timeoutSeconds * 1000);
    const onSignal = (signal) => kill(signal);
    process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
    child.on("error", (err) => {
      console.error(`${step.name}: could not start ${command}: ${err.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      // eslint-disable-next-line no-control-regex
      // Strips the ANSI colour escapes of a step's output: the escape character is the point.
      // deno-lint-ignore no-control-regex
      const plain = tail.replace(/\u001b\[[0-9;]*m/g, "");
      resolve({ ok: code === 0 && !timedOut, code, signal, timedOut, counts: step.counts?.(plain) });
    });
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) return printList();
  const steps = selectSteps(options);
  const files = (options.paths.length > 0 ? options.paths : ["tests"]).flatMap(findTests);
  if (steps.some((s) => s.group === "runtimes") && files.length === 0) {
    console.error("no *.test.ts files found under the given paths");
    process.exitCode = 1;
    return;
  }
  const timeoutOverride = Number(process.env.EDGE_EVENTS_STEP_TIMEOUT) || undefined;
  const results = [];
  const started = Date.now();
  for (const [index, step] of steps.entries()) {
    const header = `[${index + 1}/${steps.length}] ${step.name}: ${step.title}`;
    console.log(
      `\n${"=".repeat(Math.min(header.length, 100))}\n${header}\n${"=".repeat(Math.min(header.length, 100))}`,
    );
    const t0 = Date.now();
    let result;
    try {
      result = await runStep(step, step.command(files), timeoutOverride ?? step.timeout);
    } catch (err) {
      console.error(`${step.name}: ${err instanceof Error ? err.message : String(err)}`);
      result = { ok: false, code: null, signal: null, timedOut: false, counts: undefined };
    }
    // A runtime that ran no test, or whose summary we cannot read, has not passed.
    if (result.ok && step.counts !== undefined && (result.counts === undefined || result.counts.passed === 0)) {
      console.error(`${step.name}: no passing test was reported`);
      result.ok = false;
    }
    results.push({ step, seconds: (Date.now() - t0) / 1000, ...result });
    if (!result.ok) break;
  }
  printSummary(results, steps, (Date.now() - started) / 1000);
  process.exitCode = results.every((r) => r.ok) && results.length === steps.length ? 0 : 1;
}

function printSummary(results, steps, totalSeconds) {
  console.log("\n=== summary ===");
  for (const r of results) {
    const counts = r.counts === undefined
      ? ""
      : `  (${r.counts.passed} passed${r.counts.note}, ${r.counts.failed} failed)`;
    const status = r.ok ? "ok  " : r.timedOut ? "TIME" : "FAIL";
    console.log(`${status} ${r.step.name.padEnd(12)} ${r.seconds.toFixed(1).padStart(6)} s${counts}`);
  }
  for (const s of steps.slice(results.length)) console.log(`skip ${s.name.padEnd(12)}  (not run after a failure)`);
  console.log(`total ${totalSeconds.toFixed(1)} s`);
  const failedSteps = results.filter((r) => !r.ok).map((r) => r.step.name);
  if (failedSteps.length > 0) console.log(`FAILED: ${failedSteps.join(", ")}`);
  // One closing line in the plain "N passed, N failed" form: the tests of every runtime
  // that ran (each runtime counts the same files), or else the steps.
  const counted = results.filter((r) => r.counts !== undefined);
  if (counted.length > 0) {
    const passed = counted.reduce((n, r) => n + r.counts.passed, 0);
    const failed = counted.reduce((n, r) => n + r.counts.failed, 0);
    console.log(`tests: ${passed} passed, ${failed} failed`);
  } else {
    console.log(`steps: ${results.length - failedSteps.length} passed, ${failedSteps.length} failed`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
