/**
 * The Worker of the workerd smoke test (`workerd.test.ts`): bundled with esbuild into one ES
 * module and run inside workerd, the Cloudflare Workers runtime, where only Web APIs exist.
 *
 * On a POST it builds a store over the real `neon()` driver, pointed at the test's local
 * SQL-over-HTTP server, migrates in the schema the test names, calls a create and an update
 * action, and answers with the record and the events it reads back, and the verification of
 * the log's hash chain against a checkpoint it signed (Web Crypto only); then, in a log of its
 * own, encrypts a sensitive value with Web Crypto, reads it back, destroys its key and reads it
 * as erased (`secret`).
 * @module
 */
import { neon, neonConfig } from "@neondatabase/serverless";
import * as v from "valibot";
import {
  checkpoint,
  createEventStore,
  defineEventLog,
  defineResource,
  generateCheckpointKey,
  isEdgeEventsError,
  memoryKeyring,
  recordSubject,
  revealEvent,
  Sensitive,
  stateAt,
  verifyChain,
} from "../../mod.ts";
import { neonHttp } from "../../src/drivers/neon/mod.ts";

/** What the test posts: where the local server is, and the schema to work in. */
export interface SmokeRequest {
  /** `postgres://user:password@127.0.0.1:<port>/<db>`; the server takes role and database from it. */
  readonly connectionString: string;
  /** The local server's `/sql` URL, for `neonConfig.fetchEndpoint`. */
  readonly fetchEndpoint: string;
  /** A fresh schema for the event log and the table. */
  readonly schema: string;
}

const SmokeRequestSchema = v.object({ connectionString: v.string(), fetchEndpoint: v.string(), schema: v.string() });

async function run({ connectionString, fetchEndpoint, schema }: SmokeRequest): Promise<Response> {
  neonConfig.fetchEndpoint = fetchEndpoint;
  const log = defineEventLog({
    table: `${schema}.events`,
    actors: { user: { column: "user_id", type: "uuid" } },
    integrity: { chain: true },
  });
  const Todo = defineResource({
    name: "todo",
    table: `${schema}.todos`,
    attributes: v.object({ id: v.string(), title: v.pipe(v.string(), v.minLength(1)), done: v.boolean() }),
    actions: ({ create, update }) => ({
      add: create({ input: v.object({ title: v.string() }), defaults: { done: false } }),
      complete: update({ set: () => ({ done: true }) }),
    }),
  });
  const store = createEventStore({ db: neonHttp(neon(connectionString)), log, resources: [Todo] });
  await store.migrate({ resourceTables: true });
  const todos = store.resource(Todo);
  const ctx = { actor: { user: "0192f3c4-5b6a-7d8e-9f01-23456789abcd" }, metadata: { via: "workerd" } };
  const { record } = await todos.add({ title: "Run on workerd" }, ctx);
  const updated = await todos.complete(record.id, {}, ctx);
  const events = await store.readEvents();
  // The hash chain, verified and signed with Web Crypto alone.
  const { privateKey, publicKey } = await generateCheckpointKey();
  const signed = await checkpoint(store, { key: privateKey });
  const verified = await verifyChain(store, { checkpoint: signed, key: publicKey });
  return Response.json({
    chain: { ok: verified.ok, checked: verified.checked, algorithm: signed.algorithm },
    secret: await sensitive(connectionString, schema),
    record: updated.record,
    // bigint positions do not survive JSON.stringify: send them as text.
    events: events.map((e) => ({ ...e, position: String(e.position), occurredAt: e.occurredAt.toISOString() })),
    // Proof of where this ran: workerd sets this, Node, Bun and Deno do not.
    userAgent: navigator.userAgent,
  });
}

/** Encryption, decryption and erasure inside the Worker (Web Crypto only), in a log of its own. */
async function sensitive(connectionString: string, schema: string): Promise<unknown> {
  const Card = defineResource({
    name: "card",
    table: `${schema}.cards`,
    attributes: v.object({ id: v.string(), holder: v.string() }),
    sensitive: { holder: "encrypt" },
    actions: ({ create }) => ({ issue: create({ input: v.object({ holder: v.string() }) }) }),
  });
  const keyring = memoryKeyring();
  const store = createEventStore({
    db: neonHttp(neon(connectionString)),
    log: defineEventLog({ table: `${schema}.card_events` }),
    resources: [Card],
    keyring,
  });
  await store.migrate({ resourceTables: true });
  const { record, event } = await store.resource(Card).issue({ holder: "Ada Lovelace" });
  const revealed = (await revealEvent(store, event!)).data["holder"];
  const point = { position: event!.position };
  const before = await stateAt(store, Card, record.id, point);
  keyring.destroy(recordSubject("card", record.id));
  const after = await stateAt(store, Card, record.id, point);
  return {
    stored: event!.data["holder"],
    revealed: revealed instanceof Sensitive ? revealed.reveal() : null,
    printed: JSON.stringify({ revealed }),
    before: before.status === "exists" ? before.record.holder : null,
    after: after.status === "exists" ? after.record.holder : null,
  };
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return await run(v.parse(SmokeRequestSchema, await request.json()));
    } catch (error) {
      const code = isEdgeEventsError(error) ? error.code : undefined;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
      return Response.json({ error: message, code, cause }, { status: 500 });
    }
  },
};
