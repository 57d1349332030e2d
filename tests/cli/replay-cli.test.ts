// `edge-events replay` as a user runs it: a subprocess (`node --import tsx src/cli/run.ts`,
// whichever runtime runs this file) with a config module in a temp directory, writing to a
// schema of its own in the test Postgres. The log is written once through the real write
// path, then copied into each test's schema.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { databaseUrl, uniqueSchemaName } from "../support/database.ts";
import { createFixtureStore, type FixtureOptions } from "./fixtures/replay-store.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const FIXTURE = new URL("./fixtures/replay-store.ts", import.meta.url).href;
// Bun and Deno report their own binary as execPath; the CLI under test runs on Node.
const NODE = "Bun" in globalThis || "Deno" in globalThis ? "node" : process.execPath;
const EVENTS = 150;
const SHORT_NAME_AT = 10;

interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI in `cwd`; `onStdout` sees the output so far and may signal the child. */
function runCli(
  cwd: string,
  args: string[],
  onStdout?: (stdout: string, child: ChildProcess) => void,
): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: databaseUrl() };
  delete env["NODE_TEST_CONTEXT"];
  delete env["NODE_OPTIONS"];
  const child = spawn(NODE, ["--import", TSX_LOADER, join(ROOT, "src", "cli", "run.ts"), "replay", ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    onStdout?.(stdout, child);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe("edge-events replay (CLI subprocess on Node)", () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  const source = uniqueSchemaName("ee_cli_src");
  const schemas = [source];
  const dir = mkdtempSync(join(tmpdir(), "ee-replay-cli-"));
  let shortNamePosition = 0n;
  let expected = "";

  const sql = async (text: string): Promise<pg.QueryResultRow[]> => (await pool.query(text)).rows;
  /** The items table as one comparable string: row count and a checksum of every row. */
  const itemsState = async (schema: string): Promise<string> => {
    const [row] = await sql(
      `SELECT count(*)::int AS n, coalesce(md5(string_agg(i::text, '|' ORDER BY i.id)), '') AS sum FROM ${schema}.items i`,
    );
    return `${row!["n"]} rows, md5 ${row!["sum"]}`;
  };
  const replayRows = (schema: string): Promise<pg.QueryResultRow[]> =>
    sql(
      `SELECT status, last_position::int AS last, target_position::int AS target FROM ${schema}.events_replay ORDER BY started_at`,
    );

  /** A schema holding a copy of the source log and tables, and a config module writing to it. */
  async function prepare(
    name: string,
    options: Omit<FixtureOptions, "schema"> = {},
    exportAs = "default",
  ): Promise<{ schema: string; config: string }> {
    const schema = uniqueSchemaName("ee_cli");
    schemas.push(schema);
    const fixture = createFixtureStore({ schema });
    await fixture.store.migrate({ resourceTables: true });
    await fixture.close();
    await sql(`INSERT INTO ${schema}.events OVERRIDING SYSTEM VALUE SELECT * FROM ${source}.events`);
    await sql(`INSERT INTO ${schema}.items SELECT * FROM ${source}.items`);
    const config = `${name}.config.ts`;
    const store = exportAs === "factory"
      ? "export default async () => fixture.store;"
      : exportAs === "store"
      ? "export const store = fixture.store;"
      : "export default fixture.store;";
    writeFileSync(
      join(dir, config),
      [
        `import { createFixtureStore } from ${JSON.stringify(FIXTURE)};`,
        `const fixture = createFixtureStore(${JSON.stringify({ schema, ...options })});`,
        store,
        "export const close = fixture.close;",
      ].join("\n"),
    );
    return { schema, config: `./${config}` };
  }

  before(async () => {
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }'); // config modules are ES modules
    const fixture = createFixtureStore({ schema: source });
    try {
      await fixture.store.migrate({ resourceTables: true });
      shortNamePosition = await fixture.writeEvents(EVENTS, SHORT_NAME_AT);
    } finally {
      await fixture.close();
    }
    expected = await itemsState(source);
  });

  after(async () => {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a replay rebuilds the tables, prints plain progress lines off a TTY and a summary, and exits 0", async () => {
    const { schema, config } = await prepare("success");
    await sql(`DELETE FROM ${schema}.items WHERE qty % 2 = 0`);
    await sql(`UPDATE ${schema}.items SET name = 'scrambled'`);
    const run = await runCli(dir, ["--config", config, "--page-size", "40"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^progress: \d+% \d+\/150 events · [\d,]+ events\/s · ETA /m);
    // The terminal escape is what is checked.
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(run.stdout, /[\r\x1b]/, "no in-place redraws off a terminal");
    for (
      const line of [
        /^ {2}applied {6}150$/m,
        /^ {2}skipped {6}0$/m,
        /^ {2}routed {7}0$/m,
        /^ {2}pages {8}4$/m,
        /^ {2}round trips {2}\d+$/m,
        /^ {2}events\/s {5}[\d,]+$/m,
        /^ {2}duration {5}\S+/m,
      ]
    ) {
      assert.match(run.stdout, line);
    }
    assert.equal(await itemsState(schema), expected);
    assert.deepEqual((await replayRows(schema)).map((r) => r["status"]), ["completed"]);
  });

  test("--dry-run lists what would be applied and skipped, writes nothing, and fails when a stopping replay would", async () => {
    const { schema, config } = await prepare("dry-run", { minNameLength: 3 }, "factory");
    await sql(`DELETE FROM ${schema}.items`);
    const skip = await runCli(dir, ["--config", config, "--dry-run", "--on-error", "skip"]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stdout, /^ {2}would apply {2}149 \(routed 0\)$/m);
    assert.match(skip.stdout, /^ {2}would skip {3}1$/m);
    assert.match(skip.stdout, new RegExp(`^ {2}position ${shortNamePosition} \\(\\w{26}\\): .*name`, "m"));
    const stop = await runCli(dir, ["--config", config, "--dry-run"]);
    assert.equal(stop.code, 1);
    assert.match(stop.stderr, new RegExp(`would stop at position ${shortNamePosition}\\b`));
    assert.equal(await itemsState(schema), "0 rows, md5 ");
    assert.deepEqual(await replayRows(schema), []);
  });

  test("an event that cannot be applied exits 1 naming its position, a new replay meanwhile exits 1 with the resume-or-abort hint, and --abort lifts the fence", async () => {
    const { schema, config } = await prepare("failure", { minNameLength: 3 }, "store");
    const run = await runCli(dir, ["--config", config]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `^edge-events replay: Event at position ${shortNamePosition} \\(item\\.rename v1\\) could not be applied`,
        "m",
      ),
    );
    assert.match(run.stderr, /--resume --on-error skip/);
    assert.deepEqual((await replayRows(schema)).map((r) => [r["status"], r["last"]]), [[
      "running",
      Number(shortNamePosition) - 1,
    ]]);
    const again = await runCli(dir, ["--config", config]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^edge-events replay: Another replay is running/m);
    assert.match(
      again.stderr,
      /^Continue it with: edge-events replay --config \S+ --resume {3}or abort it with: --abort$/m,
    );
    assert.doesNotMatch(again.stderr, /--on-error skip/, "not the menu of an event that failed");
    assert.equal((await replayRows(schema)).length, 1, "no second replay started");
    const aborted = await runCli(dir, ["--config", config, "--abort"]);
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.deepEqual((await replayRows(schema)).map((r) => r["status"]), ["aborted"]);
  });

  test("Ctrl-C stops at a page boundary with exit 130, and --resume completes to the same state", async () => {
    const slow = await prepare("slow", { batchDelayMs: 40 });
    let interrupted = false;
    const run = await runCli(dir, ["--config", slow.config, "--page-size", "3"], (stdout, child) => {
      if (!interrupted && stdout.includes("progress:")) interrupted = child.kill("SIGINT");
    });
    // Deno's child_process reports a child it signalled as killed by that signal, whatever its
    // exit code; the output below shows the replay handled it and returned.
    const exitCode = "Deno" in globalThis && run.signal === "SIGINT" ? 130 : run.code;
    assert.equal(exitCode, 130, run.stderr);
    assert.match(run.stdout, /Stopping at the next page boundary/);
    assert.match(run.stdout, /^Replay \w{26} stopped after position \d+/m);
    assert.match(run.stdout, new RegExp(`edge-events replay --config ${slow.config.replace(/\./g, "\\.")} --resume`));
    const [state] = await replayRows(slow.schema);
    assert.equal(state!["status"], "running");
    assert.ok(state!["last"] > 0 && state!["last"] < state!["target"], `stopped midway: ${JSON.stringify(state)}`);
    // The same schema through a config without the delay.
    writeFileSync(
      join(dir, "resume.config.ts"),
      [
        `import { createFixtureStore } from ${JSON.stringify(FIXTURE)};`,
        `export const { store, close } = createFixtureStore(${JSON.stringify({ schema: slow.schema })});`,
      ].join("\n"),
    );
    const resumed = await runCli(dir, ["--config", "./resume.config.ts", "--resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`^Resuming replay \\w{26} after position ${state!["last"]}`, "m"));
    assert.match(resumed.stdout, /^ {2}applied {6}150$/m);
    assert.equal(await itemsState(slow.schema), expected);
  });
});
