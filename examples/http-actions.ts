// The README's "Actions over HTTP" example, run as it stands: the router exposes three actions
// of an account, authorize grants them with the session's user as actor, and a client opens an
// account with an Idempotency-Key (resent: the same answer), deposits with If-Match, withdraws
// in one round trip with the record it holds, and is refused a stale If-Match (412) and bad
// input (422); on an in-memory PGlite. The lines between the README markers are the README's
// code block (tests/examples checks it).
import { PGlite } from "@electric-sql/pglite";
import { Hono } from "hono";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, newEventId, ref, sql } from "../mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";
import { eventsRouter } from "../src/http/mod.ts";

const Account = defineResource({
  name: "account",
  table: "accounts",
  tenant: "org",
  attributes: v.object({
    id: v.string(),
    org: v.string(),
    owner: v.string(),
    balance: v.pipe(v.number(), v.minValue(0, "Insufficient funds")),
  }),
  actions: ({ create, update }) => ({
    open: create({ input: v.object({ owner: v.pipe(v.string(), v.minLength(1)) }), defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.pipe(v.number(), v.minValue(1)) }),
      set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
    }),
    withdraw: update({
      input: v.object({ amount: v.pipe(v.number(), v.minValue(1)) }),
      change: (account, { amount }) => ({ balance: account.balance - amount }),
    }),
    close: update({ change: () => ({ balance: 0 }) }), // not exposed: 404 over HTTP
  }),
});
const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });
const local = new PGlite(); // in memory
const store = createEventStore({ db: pglite(local), log, resources: [Account] });
await store.migrate({ resourceTables: true });
type User = { id: string; org: string };
const sessions: Record<string, User> = { "Bearer ada": { id: "ada", org: "acme" } };
type Env = { Variables: { user: User | undefined } };
const app = new Hono<Env>();
app.use("/api/*", async (c, next) => {
  c.set("user", sessions[c.req.header("Authorization") ?? ""]); // your authentication
  await next();
});

// README: Actions over HTTP
app.route(
  "/api",
  eventsRouter<Env>(store, {
    tenant: (c) => c.var.user?.org,
    actions: { account: ["open", "deposit", "withdraw"] }, // no other action is served
    authorize: (c, request) => {
      const user = c.var.user;
      if (user === undefined) return false;
      // `true` never allows an action: the grant says so, and who performs it
      if (request.operation === "action") return { action: true, actor: { user: user.id }, fields: ["record"] };
      return true;
    },
  }),
);

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(`/api${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer ada", ...headers },
    body: JSON.stringify(body),
  });

const key = newEventId(); // made once by the client, resent after a lost response
const opened = await post("/account/open", { input: { owner: "Ada" } }, { "Idempotency-Key": key });
const resent = await post("/account/open", { input: { owner: "Ada" } }, { "Idempotency-Key": key });
const { record, event } = await opened.json();
console.log(opened.status, resent.status, (await resent.json()).event.id === event.id); // 201 201 true

const etag = opened.headers.get("ETag")!; // the position of the account's last event, quoted
const deposited = await post(`/account/${record.id}/deposit`, { input: { amount: 10 } }, { "If-Match": etag });
const held = await deposited.json();
// A change-function update in one round trip: the record held at If-Match replaces the read.
const withdrawn = await post(`/account/${record.id}/withdraw`, { input: { amount: 4 }, record: held.record }, {
  "If-Match": deposited.headers.get("ETag")!,
});
console.log(withdrawn.status, (await withdrawn.json()).record.balance); // 200 6
const stale = await post(`/account/${record.id}/deposit`, { input: { amount: 1 } }, { "If-Match": etag });
console.log(stale.status, (await stale.json()).code); // 412 STALE_RECORD
const invalid = await post(`/account/${record.id}/deposit`, { input: { amount: -1 } });
console.log(invalid.status, (await invalid.json()).issues[0].path); // 422 input.amount
console.log((await post("/account/open", { input: { owner: "Eve" }, tenant: "globex" })).status); // 422
console.log((await post(`/account/${record.id}/close`, {})).status); // 404: not exposed
// end README
await local.close();
