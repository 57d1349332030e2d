/**
 * The shared example app (examples/app) exercised over real HTTP, whatever serves it (workerd,
 * Deno.serve, Bun.serve, @hono/node-server): callers with signed tokens, the two actions, a
 * record's history, the feed, and the SSE stream resumed with Last-Event-ID. Also the schema
 * each run works in, migrated through the local SQL-over-HTTP server.
 * @module
 */
import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import pg from "pg";
import type { SqlOverHttpServer } from "edge-events/dev";
import { createTodoStore } from "../../examples/app/app.ts";
import { databaseUrl, localServerUrl, uniqueSchemaName } from "../support/database.ts";

/** The key the test's tokens are signed with (the app's JWT_SECRET). */
export const JWT_SECRET = "test-secret-of-the-runtime-examples";

const CALLERS = {
  ada: { sub: "ada", org: "acme", role: "admin" },
  bob: { sub: "bob", org: "acme" },
  eve: { sub: "eve", org: "globex" },
} as const;

/** The test's callers: ada (acme, admin), bob (acme), eve (globex). */
export type Caller = keyof typeof CALLERS;

/** A schema of its own, with the app's tables, and the connection string the app is given. */
export interface AppDatabase {
  /** `postgres://...@localhost:<server port>/<db>?options=-c search_path=<schema>`. */
  readonly connectionString: string;
  /** Run a query in the schema, as the test's oracle. */
  query(text: string): Promise<Record<string, unknown>[]>;
  /** Drop the schema and close the oracle's connection. */
  drop(): Promise<void>;
}

/**
 * Create a schema and the app's event log and table in it, through the local server (the
 * app's own store, as a deploy step would run `store.migrate()`).
 */
export async function createAppDatabase(server: SqlOverHttpServer): Promise<AppDatabase> {
  const schema = uniqueSchemaName("ee_runtime");
  const oracle = new pg.Client({ connectionString: databaseUrl() });
  await oracle.connect();
  await oracle.query(`CREATE SCHEMA ${schema}`);
  await oracle.query(`SET search_path TO ${schema}`);
  const connectionString = localServerUrl(server.port, { params: { options: `-c search_path=${schema}` } });
  await createTodoStore(connectionString, server.url).migrate({ resourceTables: true });
  return {
    connectionString,
    query: async (text) => (await oracle.query(text)).rows as Record<string, unknown>[],
    drop: async () => {
      await oracle.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await oracle.end();
    },
  };
}

/** An answer: status, headers, and the body (parsed when it is JSON, else its text). */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** The SSE feed as the test reads it. */
export interface FeedStream {
  /** Read messages until `count` events came: their ids, and the id of the last message read. */
  events(count: number): Promise<{ ids: string[]; lastId: string }>;
  /** Leave the stream. */
  cancel(): Promise<void>;
}

/** Requests to the app as one of the test's callers (none: no token). */
export interface AppClient {
  get(path: string, who?: Caller, headers?: Record<string, string>): Promise<Answer>;
  post(path: string, body: unknown, who?: Caller): Promise<Answer>;
  /** Open the SSE feed (asserting a 200 event stream); the caller reads it and cancels it. */
  stream(path: string, who: Caller, headers?: Record<string, string>): Promise<FeedStream>;
}

/** The app at `base` (`http://127.0.0.1:<port>/`). */
export function appClient(base: string): AppClient {
  const headersOf = async (who: Caller | undefined, extra: Record<string, string> = {}) =>
    who === undefined ? extra : { ...extra, Authorization: `Bearer ${await sign({ ...CALLERS[who] }, JWT_SECRET)}` };
  const send = async (path: string, init: RequestInit, who?: Caller): Promise<Answer> => {
    const response = await fetch(new URL(path, base), {
      ...init,
      headers: await headersOf(who, init.headers as Record<string, string> | undefined),
    });
    const text = await response.text();
    const json = /json/.test(response.headers.get("Content-Type") ?? "");
    return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
  };
  return {
    get: (path: string, who?: Caller, headers: Record<string, string> = {}) => send(path, { headers }, who),
    post: (path: string, body: unknown, who?: Caller) =>
      send(path, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }, who),
    stream: async (path: string, who: Caller, headers: Record<string, string> = {}) => {
      const response = await fetch(new URL(path, base), { headers: await headersOf(who, headers) });
      assert.equal(response.status, 200, `${path} answered ${response.status}`);
      assert.equal(response.headers.get("Content-Type"), "text/event-stream");
      return sseReader(response.body!);
    },
  };
}

/** The SSE messages of a body: `event: events` messages as event ids and the message id. */
function sseReader(body: ReadableStream<Uint8Array>): FeedStream {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const next = async (): Promise<Record<string, string> | undefined> => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: Record<string, string> = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const at = line.indexOf(":");
          message[line.slice(0, at)] = line.slice(at + 1).trimStart();
        }
        return message;
      }
      const { done, value } = await reader.read();
      if (done) return undefined;
      buffer += decoder.decode(value, { stream: true });
    }
  };
  return {
    async events(count: number): Promise<{ ids: string[]; lastId: string }> {
      const ids: string[] = [];
      let lastId = "";
      while (ids.length < count) {
        const message = await next();
        assert.ok(message !== undefined, "the stream ended early");
        if (message["event"] !== "events") continue;
        ids.push(...(JSON.parse(message["data"]!) as { events: { id: string }[] }).events.map((e) => e.id));
        lastId = message["id"]!;
      }
      return { ids, lastId };
    },
    cancel: (): Promise<void> => reader.cancel(),
  };
}

interface EventJson {
  readonly id: string;
  readonly action: string;
  readonly position: string;
  readonly data?: unknown;
  readonly actor?: unknown;
}

/**
 * Performs actions and reads them back over HTTP: the checks every runtime passes. Returns
 * the ids of the records it wrote in acme.
 */
export async function exerciseApp(base: string): Promise<{ acmeIds: string[] }> {
  const app = appClient(base);
  assert.equal((await app.get("events/feed")).status, 401, "no token: 401");

  const created = await app.post("todos", { title: "Ship the Worker" }, "ada");
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { id } = created.body as { id: string };
  assert.deepEqual(created.body, { id, org: "acme", title: "Ship the Worker", done: false });
  const completed = await app.post(`todos/${id}/complete`, {}, "bob");
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  assert.equal((completed.body as { done: boolean }).done, true);
  const refused = await app.post("todos", { title: 42 }, "ada");
  assert.equal(refused.status, 422);
  assert.equal(refused.headers.get("Content-Type"), "application/problem+json");
  assert.equal((refused.body as { code: string }).code, "VALIDATION_FAILED");
  assert.equal((await app.post("todos", { title: "Not acme's" }, "eve")).status, 201);

  const history = await app.get(`events/todo/${id}/history`, "ada");
  assert.equal(history.status, 200);
  assert.ok(history.headers.get("ETag") !== null);
  const events = (history.body as { events: EventJson[] }).events;
  assert.deepEqual(events.map((e) => [e.action, e.data, e.actor]), [
    ["add", { title: "Ship the Worker" }, { type: "user", id: "ada" }],
    ["complete", {}, { type: "user", id: "bob" }],
  ]);
  const plain = (await app.get(`events/todo/${id}/history`, "bob")).body as { events: EventJson[] };
  assert.deepEqual(plain.events.map((e) => ["data" in e, "actor" in e]), [[false, false], [false, false]]);
  assert.equal((await app.get(`events/todo/${id}/history`, "eve")).status, 404, "another tenant's record");

  const feed = await app.get("events/feed", "ada");
  assert.equal(feed.status, 200);
  const feedIds = (feed.body as { events: EventJson[] }).events.map((e) => e.id);
  assert.deepEqual(feedIds, events.map((e) => e.id), "the feed holds acme's events only");

  const first = await app.stream("events/feed/stream", "ada");
  const seen = await first.events(feedIds.length);
  assert.deepEqual(seen.ids, feedIds);
  await first.cancel();
  const later = await app.post("todos", { title: "Written while nobody listened" }, "ada");
  assert.equal(later.status, 201);
  const resumed = await app.stream("events/feed/stream", "ada", { "Last-Event-ID": seen.lastId });
  const rest = await resumed.events(1);
  await resumed.cancel();
  const newest = (await app.get(`events/todo/${(later.body as { id: string }).id}/history`, "ada")).body as {
    events: EventJson[];
  };
  assert.deepEqual(rest.ids, newest.events.map((e) => e.id), "exactly the event written since, once");
  return { acmeIds: [id, (later.body as { id: string }).id] };
}
