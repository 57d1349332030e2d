// The README's "Savepoints and rebuilding a row" example, run as it stands: a savepoint of an
// account, its verification, and its row rebuilt after it was deleted and after it was damaged,
// on an in-memory PGlite.
// The lines between the README markers are the README's code block (tests/examples checks it).
import { memoryPglite } from "./support/memory-pglite.ts";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  materialize,
  ref,
  savepoint,
  sql,
  verifySavepoints,
} from "../mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";

const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({ id: v.string(), owner: v.string(), balance: v.number() }),
  actions: ({ create, update }) => ({
    open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.number() }),
      set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
    }),
  }),
});
const local = await memoryPglite(); // in memory (new PGlite(), see examples/support)
const store = createEventStore({ db: pglite(local), log: defineEventLog(), resources: [Account] });
await store.migrate({ resourceTables: true }); // also creates events_savepoints
const { record } = await store.resource(Account).open({ owner: "ada" });
await store.resource(Account).deposit(record.id, { amount: 25 });
const accountId = record.id;

// README: Savepoints and rebuilding a row
const { position, state } = await savepoint(store, Account, accountId); // one read, one write
console.log(position, JSON.stringify(state)); // 2n {"id":"…","owner":"ada","balance":25}
const report = await verifySavepoints(store, Account); // or (store, Account, accountId)
for (const issue of report.issues) console.log(issue.recordId, issue.position, issue.problem, issue.attributes);
console.log(report.checked, report.ok, report.issues.length); // 1 1 0

await store.db.query({ text: "DELETE FROM accounts WHERE id = $1", params: [accountId] }); // the row is lost
await materialize(store, Account, accountId); // insert it again
await store.db.query({ text: "UPDATE accounts SET balance = -1 WHERE id = $1", params: [accountId] }); // damaged
const { record: rebuilt, replaced } = await materialize(store, Account, accountId, { overwrite: true }); // replace it
console.log(rebuilt["balance"], replaced); // 25 true
// end README

await local.close(); // or the process stays alive ~10 s after its last line
