// The app the runtime examples share (examples/cloudflare-worker, deno, bun and node start it):
// one multi-tenant resource over Neon's HTTP driver, two actions over HTTP, and the event log's
// routes under /events. The caller comes from a signed token (an HS256 JWT: `sub` the user,
// `org` the tenant, `role: "admin"` for payloads and replay).
import { neon, neonConfig } from "@neondatabase/serverless";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { jwt, type JwtVariables } from "hono/jwt";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "edge-events";
import { eventsRouter, problemOf } from "edge-events/hono";
import { neonHttp } from "edge-events/neon";

const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });

const Todo = defineResource({
  name: "todo",
  table: "todos",
  tenant: "org",
  attributes: v.object({
    id: v.string(),
    org: v.string(),
    title: v.pipe(v.string(), v.minLength(1)),
    done: v.boolean(),
  }),
  actions: ({ create, update }) => ({
    add: create({ input: v.object({ title: v.string() }), defaults: { done: false } }),
    complete: update({ set: () => ({ done: true }) }),
  }),
});

/**
 * The store: one `fetch` per action. `sqlEndpoint` is for local development only, the local
 * server's `/sql` URL (`npx edge-events serve` prints it); in production the driver uses Neon's.
 */
export function createTodoStore(databaseUrl: string, sqlEndpoint?: string): EventStore<"user"> {
  if (sqlEndpoint !== undefined && sqlEndpoint !== "") neonConfig.fetchEndpoint = sqlEndpoint;
  return createEventStore({
    db: neonHttp(neon(databaseUrl)),
    log,
    resources: [Todo],
    replay: { clear: "tracked-tables" }, // what a replay (the Worker's scheduled one) rebuilds
  });
}

/** The claims the app reads from the token. */
export interface Claims {
  readonly sub: string;
  readonly org: string;
  readonly role?: "admin";
}

type Env = { Variables: JwtVariables<Claims> };

/** The app over `store`, trusting the tokens signed with `jwtSecret`. */
export function createApp(store: EventStore<"user">, jwtSecret: string): Hono<Env> {
  const app = new Hono<Env>();
  app.use("*", jwt({ secret: jwtSecret, alg: "HS256" })); // 401 without a valid token
  const todos = store.resource(Todo);
  const as = ({ org, sub }: Claims) => ({ tenant: org, actor: { user: sub } });

  app.post("/todos", async (c) => {
    const input = await c.req.json<{ title: string }>(); // the action validates it
    const { record } = await todos.add(input, as(c.var.jwtPayload));
    return c.json(record, 201);
  });
  app.post("/todos/:id/complete", async (c) => {
    const { record } = await todos.complete(c.req.param("id"), {}, as(c.var.jwtPayload));
    return c.json(record);
  });

  app.route(
    "/events",
    eventsRouter<Env>(store, {
      tenant: (c) => c.var.jwtPayload.org, // every read is confined to the caller's organisation
      authorize: (c, request) => {
        const admin = c.var.jwtPayload.role === "admin";
        if (request.operation === "replay") return { replay: admin };
        return admin ? { fields: "all" } : true; // others see events without payloads and actors
      },
    }),
  );

  // The actions' errors answered as the router answers its own: problems with a stable code.
  app.onError((error) => {
    if (error instanceof HTTPException) return error.getResponse(); // the token's 401
    const problem = problemOf(error, "body");
    const headers = new Headers({ "Content-Type": "application/problem+json" });
    if (problem.code === "REPLAY_IN_PROGRESS") headers.set("Retry-After", "5"); // writes wait for a replay
    return new Response(JSON.stringify(problem), { status: problem.status, headers });
  });
  return app;
}
