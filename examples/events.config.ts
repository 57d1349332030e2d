// The config module of `edge-events replay`: it exports the application's event store.
//
//   npx tsx examples/seed-events.ts 2000                         # write some events first
//   npx edge-events replay --config examples/events.config.ts    # rebuild the tables from them
//   bun src/cli/run.ts replay --config examples/events.config.ts --dry-run
//
// In an application, export the same store the edge functions use, e.g.
// `export default createEventStore({ db: neonHttp(neon(process.env.DATABASE_URL)), log, resources, replay: { clear: "tracked-tables" } })`.
// Here the real neon() driver talks to the local SQL-over-HTTP server, which runs the SQL on
// DATABASE_URL when it is set, else on a PGlite kept in .pglite-data/events-example.
import { neon, neonConfig } from "@neondatabase/serverless";
import { mkdirSync } from "node:fs";
import process from "node:process";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "../mod.ts";
import { localFetchEndpoint, type SqlOverHttpServer, startSqlOverHttpServer } from "../src/dev/mod.ts";
import { neonHttp } from "../src/drivers/neon/mod.ts";

const log = defineEventLog({ table: "edge_events_example.events" });

const Account = defineResource({
  name: "account",
  table: "edge_events_example.accounts",
  attributes: v.object({
    id: v.string(),
    owner: v.pipe(v.string(), v.minLength(1)),
    balance: v.pipe(v.number(), v.integer(), v.minValue(0)),
    openedAt: v.date(),
  }),
  timestamps: { createdAt: "openedAt" },
  actions: ({ create, update, destroy }) => ({
    open: create({ input: v.object({ owner: v.pipe(v.string(), v.minLength(1)) }), defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
      change: (account, { amount }) => ({ balance: account.balance + amount }),
    }),
    withdraw: update({
      input: v.object({ amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
      change: (account, { amount }) => ({ balance: account.balance - amount }), // the schema refuses < 0
    }),
    close: destroy(),
  }),
});

let server: SqlOverHttpServer | undefined;

function pgliteDir(): string {
  const dir = ".pglite-data/events-example";
  mkdirSync(dir, { recursive: true }); // PGlite creates only the last level
  return dir;
}

/**
 * The store, created when the CLI asks for it: starts the local server and migrates.
 *
 * @returns the event store over neon() → local server → Postgres or PGlite
 */
export default async function createStore(): Promise<EventStore> {
  const upstream = process.env["DATABASE_URL"] || undefined;
  server = await startSqlOverHttpServer(
    upstream === undefined ? { pglite: { dataDir: pgliteDir() }, port: 0 } : { databaseUrl: upstream, port: 0 },
  );
  neonConfig.fetchEndpoint = localFetchEndpoint; // localhost connection strings go to the local server
  const url = new URL(upstream ?? "postgres://postgres@localhost/postgres");
  url.hostname = "localhost";
  url.port = String(server.port);
  url.password ||= "local"; // the driver wants one; trust auth and PGlite ignore it
  const store = createEventStore({
    db: neonHttp(neon(url.href)),
    log,
    resources: [Account],
    replay: { clear: "tracked-tables" },
  });
  await store.migrate({ resourceTables: true });
  return store;
}

/**
 * Write sample events through the store, twenty actions per transaction, so that there is
 * something to replay (used by examples/seed-events.ts).
 *
 * @param store the store from {@link createStore}
 * @param count how many events
 * @returns how many accounts were opened
 */
export async function writeSampleEvents(store: EventStore, count: number): Promise<number> {
  const ids: string[] = [];
  for (let i = 0; i < count;) {
    await store.transaction((tx) => {
      const accounts = tx.resource(Account);
      const used = new Set<string>();
      for (const end = Math.min(count, i + 20); i < end; i++) {
        const id = ids[(i * 7919) % Math.max(ids.length, 1)];
        // A change function reads its record before the batch: not one opened in this batch.
        if (id !== undefined && !used.has(id) && i % 4 !== 0) {
          (used.add(id), accounts.deposit(id, { amount: 1 + (i % 100) }));
        } else {
          const opened = accounts.open({ owner: `owner ${i}` }).recordId;
          ids.push(opened);
          used.add(opened);
        }
      }
    });
  }
  return ids.length;
}

/** Called by the CLI when it is done: stops the local server. */
export async function close(): Promise<void> {
  await server?.close();
}
