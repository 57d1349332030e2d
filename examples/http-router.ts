// The README's "HTTP router" example, run as it stands: the router mounted in a Hono app with
// an authentication middleware, the tenant taken from the session, authorize deciding reads,
// payloads and replay; then a few requests through `app.request()`, on an in-memory PGlite.
// The lines between the README markers are the README's code block (tests/examples checks it).
import { memoryPglite } from "./support/memory-pglite.ts";
import { Hono } from "hono";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource } from "../mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";
import { eventsRouter } from "../src/http/mod.ts";

const Todo = defineResource({
  name: "todo",
  table: "todos",
  tenant: "org",
  attributes: v.object({ id: v.string(), org: v.string(), title: v.string() }),
  actions: ({ create, update }) => ({
    add: create({ input: v.object({ title: v.string() }) }),
    rename: update({ input: v.object({ title: v.string() }) }),
  }),
});
const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });
const local = await memoryPglite(); // in memory (new PGlite(), see examples/support)
const store = createEventStore({ db: pglite(local), log, resources: [Todo] });
await store.migrate({ resourceTables: true });
const acme = store.resource(Todo);
const { record } = await acme.add({ title: "Plan" }, { tenant: "acme", actor: { user: "ada" } });
await acme.rename(record.id, { title: "Plan v2" }, { tenant: "acme", actor: { user: "ada" } });
const id = record.id;
type User = { id: string; org: string; admin: boolean };
const sessions: Record<string, User> = {
  "Bearer ada": { id: "ada", org: "acme", admin: true },
  "Bearer bob": { id: "bob", org: "acme", admin: false },
  "Bearer eve": { id: "eve", org: "evil", admin: false },
};
// deno-lint-ignore require-await
const verifySession = async (header: string | undefined): Promise<User | undefined> => sessions[header ?? ""];

// README: HTTP router
type Env = { Variables: { user: User | undefined } };

const app = new Hono<Env>();
app.use("/events/*", async (c, next) => {
  c.set("user", await verifySession(c.req.header("Authorization"))); // your authentication
  await next();
});
app.route(
  "/events",
  eventsRouter<Env>(store, {
    tenant: (c) => c.var.user?.org, // every read is confined to it; a ?tenant= parameter is a 400
    authorize: (c, request) => {
      const user = c.var.user;
      if (user === undefined) return false; // 403
      if (request.operation === "replay") return { replay: user.admin }; // `true` never allows replay
      return user.admin ? { fields: "all" } : true; // true: events without data, changes, metadata, actor
    },
  }),
);

const get = (path: string, who?: string) =>
  app.request(`/events${path}`, { headers: who === undefined ? {} : { Authorization: who } });
const history = await get(`/todo/${id}/history?limit=10`, "Bearer ada");
const { events } = await history.json();
console.log(history.status, events.length, events[1].data.title, history.headers.get("ETag") !== null);
const plain = await (await get(`/todo/${id}/history`, "Bearer bob")).json();
console.log("data" in plain.events[0], "actor" in plain.events[0]); // false false
console.log((await get(`/todo/${id}/history`, "Bearer eve")).status); // 404: another tenant's record
console.log((await get("/audit?tenant=acme", "Bearer eve")).status); // 400
console.log((await get("/audit")).status, (await get("/metadata")).status); // 403 403: authorize decides metadata too
// end README
await local.close();
