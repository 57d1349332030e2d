/**
 * Smoke test inside workerd, the Cloudflare Workers runtime: `worker.ts` (the core, the neon
 * subpath, the real `neon()` driver, valibot) bundled by esbuild for the browser platform runs
 * in workerd and writes through the local SQL-over-HTTP server to the real Postgres.
 *
 * workerd comes from npm (`workerd`, its platform binary from `@cloudflare/workerd-*`); if it
 * cannot start, the suite fails with its output, it is never skipped.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { Metafile } from "esbuild";
import { esbuildWorker } from "./esbuild-worker.ts";
import pg from "pg";
import { type SqlOverHttpServer, startSqlOverHttpServer } from "../../src/dev/mod.ts";
import { databaseUrl, uniqueSchemaName } from "../support/database.ts";
import type { SmokeRequest } from "./worker.ts";
import { startWorkerd, type Workerd } from "./workerd.ts";

const ACTOR_ID = "0192f3c4-5b6a-7d8e-9f01-23456789abcd";

interface WorkerEvent {
  readonly position: string;
  readonly resource: string;
  readonly recordId: string;
  readonly action: string;
  readonly actionType: string;
  readonly data: unknown;
  readonly changes: unknown;
  readonly metadata: unknown;
  readonly actor: unknown;
  readonly correlationId: string;
}

interface WorkerAnswer {
  readonly record: { readonly id: string; readonly title: string; readonly done: boolean };
  readonly events: readonly WorkerEvent[];
  readonly userAgent: string;
  /** The sensitive-data check (`sensitive()` of worker.ts). */
  readonly secret: unknown;
  readonly chain: { readonly ok: boolean; readonly checked: number; readonly algorithm: string };
}

/** The Worker as one ES module, built the way a Workers project's bundler would. */
function bundleWorker(): Promise<{ code: string; metafile: Metafile }> {
  return esbuildWorker(fileURLToPath(new URL("./worker.ts", import.meta.url)));
}

/** The connection string the Worker gives `neon()`: the test database, at the local server. */
function workerConnectionString(server: SqlOverHttpServer): string {
  const url = new URL(databaseUrl());
  url.protocol = "postgres:";
  url.hostname = "127.0.0.1";
  url.port = String(server.port);
  url.password ||= "local"; // the driver wants one; the server ignores it
  return url.href;
}

describe("inside workerd, with the real neon() driver", () => {
  const schema = uniqueSchemaName("ee_workerd");
  let server: SqlOverHttpServer | undefined;
  let workerd: Workerd | undefined;
  let oracle: pg.Client | undefined;
  let metafile: Metafile;
  let answer: WorkerAnswer;

  before(async () => {
    const bundle = await bundleWorker();
    metafile = bundle.metafile;
    server = await startSqlOverHttpServer({ databaseUrl: databaseUrl(), port: 0 });
    oracle = new pg.Client({ connectionString: databaseUrl() });
    await oracle.connect();
    workerd = await startWorkerd(bundle.code);
    const request: SmokeRequest = {
      connectionString: workerConnectionString(server),
      fetchEndpoint: server.url,
      schema,
    };
    const response = await fetch(workerd.url, { method: "POST", body: JSON.stringify(request) });
    const body = await response.text();
    assert.equal(response.status, 200, `the Worker answered ${response.status}: ${body}\n${workerd.output()}`);
    answer = JSON.parse(body) as WorkerAnswer;
  });

  after(async () => {
    await workerd?.stop();
    await oracle?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await oracle?.end();
    await server?.close();
  });

  test("the bundle holds the core, the neon subpath and the driver, and no Node built-in", () => {
    const inputs = Object.keys(metafile.inputs);
    assert.deepEqual(inputs.filter((path) => /^(node:|bun:|deno:)/.test(path)), []);
    for (const wanted of ["mod.ts", "src/drivers/neon/mod.ts", "@neondatabase/serverless", "valibot"]) {
      assert.ok(inputs.some((path) => path.includes(wanted)), `the bundle lacks ${wanted}`);
    }
  });

  test("the request was served by workerd", () => {
    assert.equal(answer.userAgent, "Cloudflare-Workers");
  });

  test("the hash chain verifies inside workerd against a checkpoint signed there (Web Crypto only)", () => {
    assert.deepEqual({ ok: answer.chain.ok, checked: answer.chain.checked }, { ok: true, checked: 2 });
    assert.match(answer.chain.algorithm, /^(Ed25519|ECDSA-P256-SHA256)$/);
  });

  test("a create and an update return the record and write one event each, with actor and metadata", () => {
    assert.deepEqual({ ...answer.record, id: "" }, { id: "", title: "Run on workerd", done: true });
    const { id } = answer.record;
    const actor = { type: "user", id: ACTOR_ID };
    const metadata = { via: "workerd" };
    assert.deepEqual(
      answer.events.map(({ position, resource, recordId, action, actionType, data, changes }) => ({
        position,
        resource,
        recordId,
        action,
        actionType,
        data,
        changes,
      })),
      [
        {
          position: "1",
          resource: "todo",
          recordId: id,
          action: "add",
          actionType: "create",
          data: { title: "Run on workerd" },
          changes: { id, done: false },
        },
        {
          position: "2",
          resource: "todo",
          recordId: id,
          action: "complete",
          actionType: "update",
          data: {},
          changes: { done: true },
        },
      ],
    );
    for (const event of answer.events) {
      assert.deepEqual(event.actor, actor);
      assert.deepEqual(event.metadata, metadata);
    }
  });

  test("the row and the events are in Postgres", async () => {
    assert.ok(oracle !== undefined);
    const rows = await oracle.query(`SELECT id, title, done FROM ${schema}.todos`);
    assert.deepEqual(rows.rows, [{ id: answer.record.id, title: "Run on workerd", done: true }]);
    const events = await oracle.query(
      `SELECT position::text, action, record_id, user_id::text, metadata FROM ${schema}.events ORDER BY position`,
    );
    assert.deepEqual(events.rows, [
      { position: "1", action: "add", record_id: answer.record.id, user_id: ACTOR_ID, metadata: { via: "workerd" } },
      {
        position: "2",
        action: "complete",
        record_id: answer.record.id,
        user_id: ACTOR_ID,
        metadata: { via: "workerd" },
      },
    ]);
  });

  test("a sensitive value is encrypted, decrypted and erased with Web Crypto inside workerd", () => {
    const secret = answer.secret as Record<string, unknown>;
    const stored = secret["stored"] as Record<string, unknown>;
    assert.equal(stored["$enc"], "v1");
    assert.ok(!JSON.stringify(stored).includes("Ada Lovelace"));
    assert.equal(secret["revealed"], "Ada Lovelace");
    assert.equal(secret["printed"], '{"revealed":"[sensitive]"}');
    assert.equal(secret["before"], "Ada Lovelace");
    assert.deepEqual(secret["after"], { $erased: true });
  });
});
