// The feed over HTTP on every executor: /feed pages followed to the end (every event of the
// tenant once, in order), and /feed/stream as Server-Sent Events: read some, disconnect, write
// more, reconnect with Last-Event-ID and get exactly the rest (no loss, no repetition);
// heartbeats while idle; the stream ends when the client aborts; a forged Last-Event-ID is a
// problem before the stream opens.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Hono } from "hono";
import type { EventStore } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { appOf, as, assertProblem, call, notesOf, routerStore } from "./router-fixture.ts";

const ACME = { user: "u1", org: "acme", admin: true };

interface Message {
  readonly event?: string;
  readonly id?: string;
  readonly data?: string;
  readonly comment?: string;
}

/** The SSE messages of a response body, as they arrive. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    /** The next message, or undefined when the stream ended. */
    async next(): Promise<Message | undefined> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: Record<string, string> = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) message["comment"] = line.slice(1).trim();
            else {
              const at = line.indexOf(":");
              const key = line.slice(0, at);
              message[key] = (message[key] === undefined ? "" : `${message[key]}\n`) + line.slice(at + 1).trimStart();
            }
          }
          return message;
        }
        const { done, value } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

/** Read `count` events from the stream; the id of the last message read. */
async function readEvents(
  stream: ReturnType<typeof sseReader>,
  count: number,
): Promise<{ ids: string[]; lastId: string }> {
  const ids: string[] = [];
  let lastId = "";
  while (ids.length < count) {
    const message = await stream.next();
    assert.ok(message !== undefined, "the stream ended early");
    if (message.event !== "events") continue;
    ids.push(...(JSON.parse(message.data!) as { events: { id: string }[] }).events.map((e) => e.id));
    lastId = message.id!;
  }
  return { ids, lastId };
}

async function open(app: Hono, path: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
  const response = await app.request(path, { headers: { ...as(ACME), ...headers }, ...(signal ? { signal } : {}) });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), "text/event-stream");
  return sseReader(response.body!);
}

describeEachExecutor("eventsRouter feed", {}, (fx) => {
  let store: EventStore;
  let written: string[];

  before(async () => {
    store = (await routerStore(fx.db, fx.schema)).store;
    const acme = notesOf(store, "acme", "u1");
    written = [];
    for (let i = 0; i < 5; i++) {
      const id = await acme.write(`n${i}`);
      written.push(id);
    }
    await notesOf(store, "globex", "u2").write("not acme's");
  });

  async function acmeEventIds(): Promise<string[]> {
    const events = await store.withContext({ tenant: "acme" }).readFeed({ limit: 1000 });
    return events.events.map((e) => e.id);
  }

  test("/feed pages of 2 followed to the end hold the tenant's events once each, in order", async () => {
    const { app } = appOf(store);
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const query = after === undefined ? "limit=2" : `limit=2&after=${encodeURIComponent(after)}`;
      const page = await call(app, `/events/feed?${query}`, { headers: as(ACME) });
      const body = page.body as { events: { id: string }[]; cursor: string };
      if (body.events.length === 0) break;
      seen.push(...body.events.map((e) => e.id));
      after = body.cursor;
    }
    assert.deepEqual(seen, await acmeEventIds());
  });

  test("SSE: read some, disconnect, write more, reconnect with Last-Event-ID: exactly the rest", async () => {
    const { app } = appOf(store);
    const before = await acmeEventIds();
    const first = await open(app, "/events/feed/stream?limit=2");
    const { ids, lastId } = await readEvents(first, before.length);
    assert.deepEqual(ids, before);
    await first.cancel();
    const acme = notesOf(store, "acme", "u1");
    const more = [await acme.write("later 1"), await acme.write("later 2"), await acme.write("later 3")];
    await acme.edit(more[0]!, "later 1 edited");
    const after = await acmeEventIds();
    const rest = after.slice(before.length);
    assert.equal(rest.length, 4);
    const second = await open(app, "/events/feed/stream?limit=2", { "Last-Event-ID": lastId });
    const resumed = await readEvents(second, rest.length);
    assert.deepEqual(resumed.ids, rest);
    await second.cancel();
    // ?after= resumes the same way (an EventSource cannot set headers on its first request).
    const third = await open(app, `/events/feed/stream?limit=3&after=${encodeURIComponent(lastId)}`);
    assert.deepEqual((await readEvents(third, rest.length)).ids, rest);
    await third.cancel();
  });

  test("SSE: an idle stream sends heartbeats, and it ends when the client aborts the request", async () => {
    const { app } = appOf(store, { stream: { pollIntervalMs: 5, heartbeatMs: 0 } });
    const controller = new AbortController();
    const stream = await open(app, "/events/feed/stream", { "x-org": "initech" }, controller.signal);
    const message = await stream.next();
    assert.deepEqual(message, { comment: "heartbeat" });
    controller.abort();
    let next: Message | undefined;
    do next = await stream.next(); while (next !== undefined);
  });

  test("SSE: a forged Last-Event-ID is a 400 problem naming after, before any stream opens", async () => {
    const { app } = appOf(store);
    const answer = await call(app, "/events/feed/stream", { headers: { ...as(ACME), "Last-Event-ID": "f1.forged" } });
    assertProblem(answer, 400, "VALIDATION_FAILED");
    // A globex cursor on acme's stream is refused too: cursors are bound to their tenant.
    const globex = await call(app, "/events/feed", { headers: as({ user: "u2", org: "globex" }) });
    const cursor = (globex.body as { cursor: string }).cursor;
    assertProblem(
      await call(app, "/events/feed/stream", { headers: { ...as(ACME), "Last-Event-ID": cursor } }),
      400,
      "VALIDATION_FAILED",
    );
  });
});
