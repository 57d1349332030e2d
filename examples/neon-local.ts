// The production code path, locally: the real `neon()` driver speaks SQL over HTTP to the
// local server, which runs the SQL on an embedded PGlite (or on DATABASE_URL when set).
// Run it with `npm run demo:neon`.
import { neon, neonConfig } from "@neondatabase/serverless";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, ref, sql } from "../mod.ts";
import { neonHttp } from "../src/drivers/neon/mod.ts";
import { localFetchEndpoint, startSqlOverHttpServer } from "../src/dev/mod.ts";

const upstream = process.env["DATABASE_URL"];
const server = await startSqlOverHttpServer(
  upstream === undefined ? { pglite: {}, port: 0 } : { databaseUrl: upstream, port: 0 },
);

// Send localhost connection strings to the local server (other hosts still go to Neon).
neonConfig.fetchEndpoint = localFetchEndpoint;
// The server takes role, password and database from the connection string, like Neon's proxy,
// and serves only the role and database it was started for: so reuse DATABASE_URL's.
const url = new URL(upstream ?? "postgres://postgres@localhost/postgres");
url.hostname = "localhost";
url.port = String(server.port);
url.password ||= "local"; // the driver wants one; PGlite and trust auth ignore it
const db = neonHttp(neon(url.href)); // in production: neonHttp(neon(env.DATABASE_URL))

// Its own schema, so that a real database keeps nothing of the demo.
const log = defineEventLog({ table: "edge_events_demo.events" });
const Account = defineResource({
  name: "account",
  table: "edge_events_demo.accounts",
  attributes: v.object({ id: v.string(), balance: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
  actions: ({ create, update }) => ({
    open: create({ defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
      set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
    }),
    withdraw: update({
      input: v.object({ amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
      change: (account, { amount }) => ({ balance: account.balance - amount }), // the schema refuses < 0
    }),
  }),
});
const store = createEventStore({ db, log, resources: [Account] });
const accounts = store.resource(Account);

// Each step's HTTP requests, as the server counted them.
async function requests<T>(what: string, work: () => Promise<T>): Promise<T> {
  const before = server.stats.requests;
  const result = await work();
  console.log(`${what.padEnd(48)} ${server.stats.requests - before} HTTP request(s)`);
  return result;
}

try {
  await requests("migrate (event log and tables)", () => store.migrate({ resourceTables: true }));
  const { record } = await requests("open: insert + event", () => accounts.open());
  await requests("deposit: atomic SQL update + event", () => accounts.deposit(record.id, { amount: 100 }));
  await requests("withdraw: read, then conditional write + event", () => accounts.withdraw(record.id, { amount: 30 }));
  const second = await accounts.open();
  await requests("transfer: read, then both writes in one batch", () =>
    store.transaction((tx) => {
      tx.resource(Account).withdraw(record.id, { amount: 20 });
      tx.resource(Account).deposit(second.record.id, { amount: 20 });
    }));
  for (const e of await store.readEvents()) console.log(`${e.position}`, e.action, JSON.stringify(e.changes));
} finally {
  await db.query({ text: "DROP SCHEMA IF EXISTS edge_events_demo CASCADE", params: [] });
  await server.close();
}
