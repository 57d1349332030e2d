// The README's "Reading the past" example, run as it stands: one account's history, its state at
// three points, a diff, a timeline and the events before the newest, on an in-memory PGlite.
// The lines between the README markers are the README's code block (tests/examples checks it).
import { memoryPglite } from "./support/memory-pglite.ts";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  diff,
  history,
  previousEvents,
  ref,
  sql,
  stateAt,
  timeline,
} from "../mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";

const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({
    id: v.string(),
    owner: v.string(),
    balance: v.number(),
    updatedAt: v.date(),
    deletedAt: v.nullish(v.date()),
  }),
  timestamps: { updatedAt: "updatedAt" },
  actions: ({ create, update, destroy }) => ({
    open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.number() }),
      set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
    }),
    close: destroy({ soft: "deletedAt" }),
  }),
});
const local = await memoryPglite(); // in memory (new PGlite(), see examples/support)
const store = createEventStore({ db: pglite(local), log: defineEventLog(), resources: [Account] });
await store.migrate({ resourceTables: true });

// README: Reading the past
const accounts = store.resource(Account);
const { record, event: opened } = await accounts.open({ owner: "ada" });
await accounts.deposit(record.id, { amount: 25 });
await accounts.close(record.id); // a soft destroy

// The record's events, 100 per page (1 to 1000), forwards or backwards; cursor is null after the last page.
let page = await history(store, Account, record.id, { limit: 100 });
while (page.cursor !== null) page = await history(store, Account, record.id, { cursor: page.cursor });
const [newest] = (await history(store, Account, record.id, { direction: "backward", limit: 1 })).events;

// The record right after its last event at or before a point: { at: Date }, { eventId } or { position }.
const then = await stateAt(store, Account, record.id, { eventId: opened!.id });
if (then.status === "exists") console.log(then.record.balance, then.lastEvent.action); // 0 open
const now = await stateAt(store, Account, record.id, { at: new Date() });
if (now.status === "destroyed") console.log(now.status, now.soft, now.destroyedBy.action); // destroyed true close
const before = await stateAt(store, Account, record.id, { position: 0n });
if (before.status === "not-created") console.log(before.status, before.createdLater); // not-created true

// Only the attributes that changed between two points.
const changes = await diff(store, Account, record.id, { eventId: opened!.id }, { position: newest!.position });
console.log(Object.keys(changes).join(", "), JSON.stringify(changes.balance)); // balance, updatedAt, deletedAt {"before":0,"after":25}

// Each event with the record before and after it (Debezium-style), paged like history.
const { entries } = await timeline(store, Account, record.id, { limit: 10 });
for (const { event, before, after } of entries) console.log(event.action, before?.balance, after?.balance);
// open undefined 0, deposit 0 25, close 25 25

// The record's events before an event, newest first (default 100, at most 1000).
const earlier = await previousEvents(store, newest!.id, { limit: 10 });
console.log(earlier.map((e) => e.action).join(", ")); // deposit, open
// end README

await local.close(); // or the process stays alive ~10 s after its last line
