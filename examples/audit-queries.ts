// The README's "Audit queries" example, run as it stands: one user's account events of a week,
// page by page, and the week's numbers, on an in-memory PGlite whose clock sits in that week.
// The lines between the README markers are the README's code block (tests/examples checks it).
import { memoryPglite } from "./support/memory-pglite.ts";
import * as v from "valibot";
import { audit, createEventStore, defineEventLog, defineResource, summary } from "../mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";

const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({ id: v.string(), owner: v.string(), balance: v.number() }),
  actions: ({ create, update, destroy }) => ({
    open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.number() }),
      change: (a, { amount }) => ({ balance: a.balance + amount }),
    }),
    close: destroy(),
  }),
});
const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });
let tick = 0; // one event a day from Tuesday 2025-03-04, 09:00 UTC
const clock = (): Date => new Date(Date.UTC(2025, 2, 4 + tick++, 9));
const local = await memoryPglite(); // in memory (new PGlite(), see examples/support)
const store = createEventStore({ db: pglite(local), log, resources: [Account], clock });
await store.migrate({ resourceTables: true });
const userId = "u-ada";
const accounts = store.resource(Account);
const { record } = await accounts.open({ owner: "ada" }, { actor: { user: userId } });
await accounts.deposit(record.id, { amount: 10 }, { actor: { user: userId } });
await accounts.deposit(record.id, { amount: 5 }, { actor: { user: "u-bea" } });
await accounts.close(record.id, {}, { actor: { user: userId } });

// README: Audit queries
const week = { from: new Date("2025-03-03T00:00:00Z"), to: new Date("2025-03-10T00:00:00Z") };
const filters = { actor: { type: "user", id: userId }, resource: "account", ...week };
let page = await audit(store, { ...filters, limit: 50 });
for (;;) {
  for (const event of page.events) console.log(event.occurredAt.toISOString(), event.action, event.recordId);
  if (page.cursor === null) break; // the last page
  page = await audit(store, { ...filters, limit: 50, cursor: page.cursor });
}

const numbers = await summary(store, week);
console.log(numbers.total, JSON.stringify(numbers.byActionType), numbers.byActor.length); // 4 {"create":1,"update":2,"destroy":1} 2
// { total, byActionType: { create, update, destroy }, byAction: [{ resource, action, count }],
//   byActor: [{ actor: { type, id } | null, count }], first: { id, position, occurredAt } | null, last }
// end README

await local.close(); // or the process stays alive ~10 s after its last line
