// The README's "Projections" example, run as it stands: a deposit_totals read model kept by a
// projection, its status and a rebuild, on an in-memory PGlite.
// The lines between the README markers are the README's code block (tests/examples checks it).
import * as v from "valibot";
import { PGlite } from "@electric-sql/pglite";
import {
  createEventStore,
  defineEventLog,
  defineProjection,
  defineResource,
  project,
  projectionStatus,
  rebuildProjection,
  ref,
  sql,
} from "../mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";

// README: Projections
const Account = defineResource({
  name: "account",
  table: "accounts",
  primaryKey: { attribute: "id", generate: "none" },
  attributes: v.object({ id: v.string(), balance: v.number() }),
  actions: ({ create, update }) => ({
    open: create({ input: v.object({ id: v.string() }), defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.number() }),
      set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
    }),
  }),
});

const deposits = defineProjection({
  name: "deposits",
  handles: {
    "account.open": (event) => sql`INSERT INTO deposit_totals (id, count, total) VALUES (${event.recordId}, 0, 0)`,
    "account.deposit": (event, ctx) =>
      sql`UPDATE deposit_totals SET count = count + 1, total = total + ${event.data["amount"] as number},
          last_position = ${ctx.position} WHERE id = ${event.recordId}`,
  },
  clear: () => sql`DELETE FROM deposit_totals`,
});

const local = new PGlite();
const store = createEventStore({ db: pglite(local), log: defineEventLog(), resources: [Account] });
await store.migrate({ resourceTables: true }); // also creates the checkpoint table, events_projections
await local.exec("CREATE TABLE deposit_totals (id text PRIMARY KEY, count int, total numeric, last_position bigint)");

await store.resource(Account).open({ id: "acc-1" });
await store.resource(Account).deposit("acc-1", { amount: 5 });
const run = await project(store, deposits, { batchSize: 500 });
console.log(run.events, run.handled, run.batches, run.caughtUp); // 2 2 1 true
console.log((await projectionStatus(store, deposits)).lag); // 0n
const rebuilt = await rebuildProjection(store, deposits); // clear + checkpoint reset in one batch, then everything again
const { rows } = await local.query("SELECT count, total FROM deposit_totals");
console.log(rebuilt.events, JSON.stringify(rows)); // 2 [{"count":1,"total":"5"}]
await local.close();
// end README
