// kill -9 at random points: writers (node-postgres, tenant lock scope, multi-action transactions
// of every action kind) and a replay are killed by SIGKILL in the middle of their work. Postgres
// rolls back whatever was in flight, so afterwards (1) every transaction is whole (each event
// carries its transaction's size, and its correlation group has exactly that many events),
// (2) the tables are exactly what the log says (a full replay from the log reproduces them row for
// row), and (3) a killed replay resumed from its checkpoint ends byte-identical to an
// uninterrupted one. Real Postgres only, on Node (the children run on Node through tsx).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { databaseUrl, uniqueSchemaName } from "../support/database.ts";
import { mulberry32, snapshot } from "../replay/replay-helpers.ts";
import { bankStore } from "./fixtures/bank.ts";
import { pgPool } from "../../src/drivers/pg-pool/mod.ts";
import { replay } from "../../mod.ts";
import { stressSize } from "../support/stress.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const CHILD = fileURLToPath(new URL("./fixtures/kill-child.ts", import.meta.url));
// Bun and Deno report their own binary as execPath; the children run on Node.
const NODE = "Bun" in globalThis || "Deno" in globalThis ? "node" : process.execPath;
const WRITERS = 4;
const KILL_ROUNDS = stressSize(3, 2);
const REPLAY_KILLS = 3;
// The children are Node processes whatever runs this file; the parent's runtime adds nothing.
const ONCE = "Bun" in globalThis || "Deno" in globalThis
  ? "the killed children run on Node; the Node step runs this suite"
  : false;
const SLOW = { timeout: 240_000 };

interface Child {
  readonly process: ChildProcess;
  /** Resolves once the child printed `ready`. */
  readonly ready: Promise<void>;
  /** Lines printed so far (after `ready`). */
  lines(): number;
  /** Resolves with the exit once the child ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startChild(args: string[]): Child {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: databaseUrl() };
  delete env["NODE_TEST_CONTEXT"];
  delete env["NODE_OPTIONS"];
  const child = spawn(NODE, ["--import", TSX_LOADER, CHILD, ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let stderr = "";
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    if (out.startsWith("ready\n")) markReady();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stderr }));
    },
  );
  return { process: child, ready, lines: () => out.split("\n").length - 2, exited };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function killAfter(child: Child, ms: number): Promise<void> {
  await child.ready;
  await pause(ms);
  child.process.kill("SIGKILL");
  const exit = await child.exited;
  assert.equal(exit.signal, "SIGKILL", `the child ended by itself: ${exit.stderr}`);
}

describe("kill -9 of writers and of a replay (node-postgres, tenant scope)", { skip: ONCE }, () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  const schema = uniqueSchemaName("ee_kill");
  const random = mulberry32(0x6b696c6c);
  let bank: ReturnType<typeof bankStore>;

  before(async () => {
    await pool.query(`CREATE SCHEMA ${schema}`);
    bank = bankStore(schema, 7);
    await bank.store.migrate({ resourceTables: true });
  });
  after(async () => {
    await bank?.pool.end();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  test(
    `${WRITERS} writers killed at random points ${KILL_ROUNDS} times leave only whole transactions, and tables equal to the log`,
    SLOW,
    async () => {
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const children = Array.from(
          { length: WRITERS },
          (_, i) => startChild(["write", schema, String(round * 100 + i + 1)]),
        );
        await Promise.all(children.map((child) => killAfter(child, 150 + Math.floor(random() * 600))));
      }
      // Some live traffic after the kills, in process, to show the log still takes writes.
      await bank.write(4242, 20);

      const groups = await pool.query(
        `SELECT correlation_id, count(*)::int AS n, min((metadata->>'size')::int) AS lo, max((metadata->>'size')::int) AS hi
       FROM ${schema}.events GROUP BY correlation_id`,
      );
      assert.ok(
        groups.rows.length > WRITERS * KILL_ROUNDS,
        `the writers committed transactions (${groups.rows.length})`,
      );
      const partial = groups.rows.filter((g) => g.n !== g.lo || g.lo !== g.hi);
      assert.deepEqual(partial, [], "every transaction's events are all there");

      // The tables are exactly what the log says: replaying it from scratch reproduces them.
      const db = pgPool(pool);
      const live = await snapshot(db, [bank.accounts]);
      const result = await replay(bank.store);
      assert.equal(result.done, true);
      assert.deepEqual(await snapshot(db, [bank.accounts]), live);
    },
  );

  test(
    `a replay killed at ${REPLAY_KILLS} random pages and resumed ends byte-identical to an uninterrupted one`,
    SLOW,
    async () => {
      const db = pgPool(pool);
      const reference = await snapshot(db, [bank.accounts]);
      const events = Number((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.events`)).rows[0].n);
      for (let kill = 0; kill < REPLAY_KILLS; kill++) {
        const child = startChild(["replay", schema, "0"]);
        await child.ready;
        // Kill it after a random number of pages (a page is 5 events in the child).
        const pages = 1 + Math.floor(random() * Math.max(1, Math.floor(events / 5) - 2));
        while (child.lines() < pages) {
          const exited = await Promise.race([child.exited.then(() => true), pause(2).then(() => false)]);
          if (exited) break;
        }
        child.process.kill("SIGKILL");
        const exit = await child.exited;
        assert.equal(exit.signal, "SIGKILL", `the replay ended before it was killed: ${exit.stderr}`);
        const running = await pool.query(
          `SELECT status, last_position FROM ${schema}.events_replay WHERE status = 'running'`,
        );
        assert.equal(running.rows.length, 1, "the killed replay is still running (fenced), resumable");
        // Writes are refused while it is resumable.
        await assert.rejects(bank.write(7, 1), (error: { code?: string }) => error.code === "REPLAY_IN_PROGRESS");
        const resumed = await replay(bank.store, { resume: true });
        assert.equal(resumed.done, true);
        assert.deepEqual(await snapshot(db, [bank.accounts]), reference, `after kill ${kill + 1} at page ${pages}`);
      }
    },
  );
});
