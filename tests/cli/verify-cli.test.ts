// edge-events verify and export, in process through main() with captured output, over a config
// module of a chained fixture store: the log verified step by step with progress, exported and
// verified offline, a tampered export named, a signed checkpoint checked, usage errors.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { checkpoint, generateCheckpointKey } from "../../mod.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { main } from "../../src/cli/main.ts";
import { databaseUrl, uniqueSchemaName } from "../support/database.ts";
import { createFixtureStore, type FixtureStore } from "./fixtures/replay-store.ts";

const FIXTURE = new URL("./fixtures/replay-store.ts", import.meta.url).href;
const EVENTS = 12;

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {} };
  const code = await main(args, io);
  return { code, out, err };
}

describe("edge-events verify and export", () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  const schema = uniqueSchemaName("ee_cli_verify");
  const dir = mkdtempSync(join(tmpdir(), "ee-cli-verify-"));
  const config = join(dir, "events.config.ts");
  let fixture: FixtureStore;

  before(async () => {
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
    writeFileSync(
      config,
      [
        `import { createFixtureStore } from ${JSON.stringify(FIXTURE)};`,
        "let fixture;",
        `export default () => (fixture = createFixtureStore(${JSON.stringify({ schema, chain: true })})).store;`,
        "export const close = () => fixture.close();",
      ].join("\n"),
    );
    fixture = createFixtureStore({ schema, chain: true });
    await fixture.store.migrate({ resourceTables: true });
    await fixture.writeEvents(EVENTS);
  });

  after(async () => {
    await fixture.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  });

  test("verify walks the log in steps with progress, and --json reports one object", async () => {
    const result = await run(["verify", "--config", config, "--limit", "5"]);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.deepEqual(result.out, [`ok: ${EVENTS} events verified`]);
    assert.equal(result.err.length, 2, "a progress line per step before the last");
    assert.match(result.err[0]!, /^verified 5 events, at #\d+$/);
    const json = await run(["verify", "--config", config, "--json"]);
    assert.deepEqual(JSON.parse(json.out[0]!), { ok: true, checked: EVENTS, failure: null });
  });

  test("export writes a chain export that verify --file checks offline, naming a tampered event", async () => {
    const file = join(dir, "log.jsonl");
    const exported = await run(["export", "--config", config, "--out", file]);
    assert.equal(exported.code, 0, exported.err.join("\n"));
    const lines = readFileSync(file, "utf8").trim().split("\n");
    assert.equal(lines.length, EVENTS + 1);
    assert.equal(JSON.parse(lines[0]!).format, "edge-events/chain-export/1");
    assert.deepEqual((await run(["verify", "--file", file])).out, [`ok: ${EVENTS} events verified`]);
    const event = JSON.parse(lines[4]!);
    lines[4] = JSON.stringify({ ...event, data: event.data.replace("}", ', "forged": true}') });
    writeFileSync(join(dir, "tampered.jsonl"), lines.join("\n"));
    const tampered = await run(["verify", "--file", join(dir, "tampered.jsonl"), "--json"]);
    assert.equal(tampered.code, 1);
    const failure = JSON.parse(tampered.out[0]!).failure;
    assert.deepEqual([failure.reason, failure.eventId], ["payload_edited", event.id]);
  });

  test("verify --checkpoint --key checks the chain against a signed checkpoint", async () => {
    const { privateKey, publicKey } = await generateCheckpointKey();
    const signed = await checkpoint(fixture.store, { key: privateKey });
    writeFileSync(join(dir, "checkpoint.json"), JSON.stringify(signed));
    writeFileSync(join(dir, "key.jwk"), JSON.stringify(await crypto.subtle.exportKey("jwk", publicKey)));
    const args = ["--checkpoint", join(dir, "checkpoint.json"), "--key", join(dir, "key.jwk")];
    const ok = await run(["verify", "--config", config, ...args]);
    assert.equal(ok.code, 0, ok.err.join("\n") + ok.out.join("\n"));
    writeFileSync(join(dir, "checkpoint.json"), JSON.stringify({ ...signed, hash: "00".repeat(32) }));
    const forged = await run(["verify", "--config", config, ...args]);
    assert.equal(forged.code, 1);
    assert.match(forged.err.join("\n"), /signature does not verify/);
  });

  test("usage errors exit 2", async () => {
    assert.equal((await run(["verify"])).code, 2);
    assert.equal((await run(["verify", "--config", config, "--file", "x"])).code, 2);
    assert.equal((await run(["verify", "--config", config, "--checkpoint", "x"])).code, 2);
    assert.equal((await run(["verify", "--config", config, "--limit", "0"])).code, 2);
    assert.equal((await run(["export"])).code, 2);
    assert.equal((await run(["verify", "-h"])).code, 0);
  });
});
