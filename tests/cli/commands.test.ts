// migrate, status, history and tail, run in-process through main() with captured output, over
// a config module in a temp directory (the replay CLI tests' fixture store, in a schema of its
// own). Process signals are covered by tests/dev/cli-serve.test.ts; here `tail` stops on the
// io's signal, which takes the same path.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { eventToJson, history, migrationSql, resourceTableSql } from "../../mod.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { main } from "../../src/cli/main.ts";
import { VERSION } from "../../src/cli/version.ts";
import { databaseUrl, uniqueSchemaName } from "../support/database.ts";
import { createFixtureStore, type FixtureStore } from "./fixtures/replay-store.ts";

const FIXTURE = new URL("./fixtures/replay-store.ts", import.meta.url).href;
const MOD = new URL("../../mod.ts", import.meta.url).href;
const EVENTS = 30;

interface Captured {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
}

function capture(signal?: AbortSignal): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, ...(signal && { signal }) }, out, err };
}

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const c = capture();
  const code = await main(args, c.io);
  return { code, out: c.out, err: c.err };
}

/** Resolve when `lines` satisfies `done` (polled; fails after a bound rather than hanging). */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("edge-events migrate, status, history and tail", () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  const schema = uniqueSchemaName("ee_cli_cmd");
  const fresh = uniqueSchemaName("ee_cli_new");
  const dir = mkdtempSync(join(tmpdir(), "ee-cli-commands-"));
  const config = join(dir, "events.config.ts");
  const freshConfig = join(dir, "fresh.config.ts");
  let fixture: FixtureStore;
  let itemId = "";

  before(async () => {
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
    const body = (s: string): string =>
      [
        `import { defineProjection } from ${JSON.stringify(MOD)};`,
        `import { createFixtureStore } from ${JSON.stringify(FIXTURE)};`,
        // A factory: each in-process run loads the cached module again and closes its own pool.
        "let fixture;",
        `export default () => (fixture = createFixtureStore(${JSON.stringify({ schema: s })})).store;`,
        "export const close = () => fixture.close();",
        'export const projections = [defineProjection({ name: "renames", handles: { "item.rename": () => undefined } })];',
      ].join("\n");
    writeFileSync(config, body(schema));
    writeFileSync(freshConfig, body(fresh));
    fixture = createFixtureStore({ schema });
    await fixture.store.migrate({ resourceTables: true });
    await fixture.writeEvents(EVENTS);
    const [row] = (await pool.query(
      `SELECT record_id FROM ${schema}.events GROUP BY record_id ORDER BY count(*) DESC, record_id LIMIT 1`,
    )).rows;
    itemId = String(row!["record_id"]);
  });

  after(async () => {
    await fixture.close();
    for (const s of [schema, fresh]) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  });

  test("--version prints the version of package.json and deno.json", async () => {
    const root = new URL("../../", import.meta.url);
    for (const file of ["package.json", "deno.json"]) {
      assert.equal(JSON.parse(readFileSync(new URL(file, root), "utf8")).version, VERSION, file);
    }
    assert.deepEqual(await run(["--version"]), { code: 0, out: [`edge-events ${VERSION}`], err: [] });
  });

  test("every command has -h/--help, names an unknown flag with exit code 2, and requires --config", async () => {
    for (const command of ["migrate", "status", "tail", "history", "replay", "serve"]) {
      const help = await run([command, "-h"]);
      assert.equal(help.code, 0, command);
      assert.match(help.out.join("\n"), new RegExp(`^Usage: edge-events ${command}`), command);
      const unknown = await run([command, ...(command === "serve" ? [] : ["--config", config]), "--frobnicate=1"]);
      assert.equal(unknown.code, 2, command);
      assert.match(unknown.err[0] ?? "", new RegExp(`^edge-events ${command}: unknown option --frobnicate$`, "m"));
    }
    for (const command of ["migrate", "status", "tail"]) {
      const missing = await run([command]);
      assert.equal(missing.code, 2);
      assert.match(missing.err.join("\n"), /--config is required/);
    }
    assert.match((await run(["--frobnicate"])).err.join("\n"), /^edge-events: unknown option --frobnicate/);
  });

  test("migrate prints the DDL of the config's log (and with --resource-tables its tables), --apply runs it", async () => {
    const printed = await run(["migrate", `--config=${freshConfig}`]);
    assert.equal(printed.code, 0, printed.err.join("\n"));
    const { store } = createFixtureStore({ schema: fresh });
    assert.equal(printed.out.join("\n"), migrationSql(store.log).trimEnd());
    const withTables = await run(["migrate", "--config", freshConfig, "--resource-tables"]);
    const item = [...store.resources.values()][0]!;
    for (const s of resourceTableSql(item)) assert.ok(withTables.out.join("\n").includes(`${s.text};`), s.text);
    const exists = async (): Promise<unknown> =>
      (await pool.query(`SELECT to_regclass($1) AS t`, [`${fresh}.items`])).rows[0]!["t"];
    assert.equal(await exists(), null, "printing runs nothing");

    const applied = await run(["migrate", "--config", freshConfig, "--apply", "--resource-tables"]);
    assert.equal(applied.code, 0, applied.err.join("\n"));
    assert.match(applied.out.join("\n"), /^Migrated: the event log .*events.* and the tables of 1 resource\(s\)/);
    assert.notEqual(await exists(), null);
  });

  test("status reports the log's size and last event, no replay, and each projection's lag", async () => {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n, max(position)::text AS last FROM ${schema}.events`,
    );
    const { n, last } = rows[0]!;
    const renames = n; // the lag counts every event of the resources a projection handles
    const human = await run(["status", "--config", config]);
    assert.equal(human.code, 0, human.err.join("\n"));
    const text = human.out.join("\n");
    assert.match(text, new RegExp(`^ {2}events {9}${n} \\(create \\d+, update \\d+, destroy \\d+\\)$`, "m"));
    assert.match(text, new RegExp(`^ {2}last event {5}#${last} \\w{26} at \\d{4}-`, "m"));
    assert.match(text, /^Replay {11}none has run$/m);
    assert.match(text, new RegExp(`^ {2}renames {2}not started, ${renames} events to apply$`, "m"));

    const json = await run(["status", "--config", config, "--json"]);
    assert.equal(json.code, 0);
    const status = JSON.parse(json.out.join(""));
    assert.equal(status.events, String(n));
    assert.equal(status.last.position, last);
    assert.equal(status.replay, null);
    assert.deepEqual(status.projections.map((p: { name: string; lag: string }) => [p.name, p.lag]), [[
      "renames",
      String(renames),
    ]]);
  });

  test("history prints a record's events oldest first, --json as eventToJson lines, --newest-first and --limit", async () => {
    const expected = (await history(fixture.store, "item", itemId, { limit: 1000 })).events;
    assert.ok(expected.length >= 2, "the record has several events");
    const human = await run(["history", "item", itemId, "--config", config]);
    assert.equal(human.code, 0, human.err.join("\n"));
    assert.equal(human.out.length, expected.length);
    assert.match(human.out[0]!, new RegExp(`^#${expected[0]!.position} \\S+Z item/${itemId} add v1 \\(create\\) \\{`));

    const json = await run(["history", "--json", "item", itemId, `--config=${config}`]);
    assert.deepEqual(
      json.out.map((l) => JSON.parse(l)),
      expected.map((e) => JSON.parse(JSON.stringify(eventToJson(e)))),
    );
    const newest = await run(["history", "item", itemId, "--config", config, "--newest-first", "--limit", "1"]);
    assert.deepEqual(newest.out.length, 1);
    assert.match(newest.out[0]!, new RegExp(`^#${expected[expected.length - 1]!.position} `));

    const none = await run(["history", "item", "no-such-item", "--config", config]);
    assert.deepEqual([none.code, none.err], [1, ["edge-events history: no events for item/no-such-item"]]);
    const unknown = await run(["history", "nope", "x", "--config", config]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err.join("\n"), /resource/);
    const bare = await run(["history", "item", "--config", config]);
    assert.equal(bare.code, 2);
    assert.match(bare.err[0]!, /name the resource and the record id/);
  });

  test("tail --from-start prints the log, tail from the end prints only new events, and a signal stops it with its cursor", async () => {
    const total = Number((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.events`)).rows[0]!["n"]);
    const first = new AbortController();
    const all = capture(first.signal);
    const whole = main(["tail", "--config", config, "--from-start", "--json", "--interval-ms", "20"], all.io);
    await until("the whole log", () => all.out.length >= total);
    first.abort();
    assert.equal(await whole, 0);
    assert.equal(all.out.length, total);
    assert.deepEqual(
      all.out.map((l) => JSON.parse(l).position),
      [...all.out.map((l) => JSON.parse(l).position)].sort((a, b) => Number(a) - Number(b)),
    );
    const cursor = /^Stopped\. Continue with: --after (f1\.\S+)$/m.exec(all.err.join("\n"))?.[1];
    assert.ok(cursor !== undefined, all.err.join("\n"));

    const second = new AbortController();
    const fromEnd = capture(second.signal);
    const tailing = main(["tail", "--config", config, "--interval-ms", "20"], fromEnd.io);
    await until("the tail to start", () => fromEnd.err.some((l) => l.startsWith("Following")));
    await fixture.writeEvents(1); // one add, of "item 0"
    const added = (await pool.query(`SELECT max(position)::text AS p FROM ${schema}.events`)).rows[0]!["p"];
    await until("the new event", () => fromEnd.out.length >= 1);
    second.abort();
    assert.equal(await tailing, 0);
    assert.equal(fromEnd.out.length, 1);
    assert.match(fromEnd.out[0]!, new RegExp(`^#${added} \\S+ item/\\S+ add v1 \\(create\\) \\{.*"item 0"`));

    const third = new AbortController();
    const resumed = capture(third.signal);
    const again = main(["tail", "--config", config, "--after", cursor, "--json", "--interval-ms", "20"], resumed.io);
    await until("the event after the cursor", () => resumed.out.length >= 1);
    third.abort();
    assert.equal(await again, 0);
    assert.deepEqual(resumed.out.map((l) => JSON.parse(l).position), [added]);
  });
});
