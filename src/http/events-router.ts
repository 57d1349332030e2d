/**
 * `eventsRouter(store, options)`: the Hono app of the event log's HTTP API, to mount with
 * `app.route("/events", eventsRouter(store, { authorize }))`.
 * @module
 */
import { type Env, Hono, type MiddlewareHandler } from "hono";
import { etag } from "hono/etag";
import type { EventStore } from "../core/store-types.ts";
import { createAccess } from "./access.ts";
import { actionRoutes } from "./action-routes.ts";
import { feedRoutes } from "./feed-routes.ts";
import { validateBody, validateRequest } from "./input.ts";
import { logRoutes } from "./log-routes.ts";
import { metadataOf } from "./metadata.ts";
import { openApiDocument } from "./openapi.ts";
import { problem, problemOf, problemResponse } from "./problem.ts";
import { recordRoutes } from "./record-routes.ts";
import { replayRoutes } from "./replay-routes.ts";
import { jsonResponse } from "./respond.ts";
import type { RouteDefinition, RouteModule, RouterContext } from "./route-module.ts";
import type { EventsRouterOptions, RouterLimits } from "./router-types.ts";
import { verifyRoutes } from "./verify-routes.ts";

/**
 * The route modules, in registration order. No two routes share a method and path (checked
 * when the router is made), so the order decides nothing.
 */
const ROUTE_MODULES: readonly RouteModule[] = [
  recordRoutes,
  logRoutes,
  feedRoutes,
  replayRoutes,
  actionRoutes,
  verifyRoutes,
];

function limitsOf(limits: RouterLimits = {}): RouterContext["limits"] {
  const max = limits.maxPageSize ?? 100;
  const maxFeed = limits.maxFeedPageSize ?? 1000;
  const def = limits.defaultPageSize ?? Math.min(50, max);
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw new RangeError("limits.maxPageSize must be 1 to 1000");
  if (!Number.isInteger(def) || def < 1 || def > max) {
    throw new RangeError("limits.defaultPageSize must be 1 to limits.maxPageSize");
  }
  if (!Number.isInteger(maxFeed) || maxFeed < 1 || maxFeed > 10_000) {
    throw new RangeError("limits.maxFeedPageSize must be 1 to 10000");
  }
  const maxBody = limits.maxBodyBytes ?? 1_048_576;
  if (!Number.isInteger(maxBody) || maxBody < 1024 || maxBody > 16_777_216) {
    throw new RangeError("limits.maxBodyBytes must be 1024 to 16777216");
  }
  return { max, default: def, maxFeed, maxBody };
}

/** `/metadata` and `/openapi.json`, which describe the other routes. */
function describeRoutes(router: RouterContext, routes: () => readonly RouteDefinition[]): RouteDefinition[] {
  let metadata: Record<string, unknown> | undefined;
  return [
    {
      method: "GET",
      path: "/metadata",
      operation: "metadata",
      summary: "Resources, actions with their input JSON Schemas, actor types, replay routes",
      response: "json",
      handle: async (c) => {
        await router.access(c, { operation: "metadata" });
        return jsonResponse(metadata ??= metadataOf(router));
      },
    },
    {
      method: "GET",
      path: "/openapi.json",
      operation: "metadata",
      summary: "This document",
      response: "openapi",
      handle: async (c) => {
        await router.access(c, { operation: "metadata" });
        const base = c.req.path.slice(0, -"/openapi.json".length);
        return jsonResponse(openApiDocument(routes(), base));
      },
    },
  ];
}

/** Routes that a method and path would not tell apart: an exposed action shadowing a route of the router. */
function assertDistinct(routes: readonly RouteDefinition[]): void {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path.replace(/:[A-Za-z]+/g, ":")}`;
    if (seen.has(key)) throw new TypeError(`Two routes of this router would be ${route.method} ${route.path}`);
    seen.add(key);
  }
}

function middlewareOf(route: RouteDefinition): MiddlewareHandler[] {
  const out: MiddlewareHandler[] = [];
  if (route.etag === true) out.push(etag());
  if (route.params !== undefined) out.push(validateRequest("param", route.params));
  if (route.query !== undefined) out.push(validateRequest("query", route.query));
  if (route.body !== undefined) out.push(validateBody(route.body));
  return out;
}

/**
 * The event log's HTTP API as a Hono app: reads of records (history, timeline, state, diff),
 * audit and summaries, the feed (pages and Server-Sent Events), replay, metadata and OpenAPI,
 * and the actions the `actions` option exposes (`POST /:resource/:action`,
 * `POST /:resource/:id/:action`). Errors are RFC 9457 `application/problem+json` with the
 * stable error code.
 *
 * Default deny: without `authorize`, only `/metadata` and `/openapi.json` are served (403 for
 * the rest). Replay needs `authorize` to return a grant with `replay: true`, an action one with
 * `action: true` (and the grant's `actor` performs it). With a `tenant` resolver, every read
 * and action is confined to the caller's tenant and a `tenant` parameter is refused.
 *
 * @param store the event store (without a tenant when a `tenant` resolver is given)
 * @param options `authorize`, `tenant`, `actions`, `publicFields`, `limits`, `stream`, `replay`, `onError`
 * @returns the app; mount it with `app.route(path, router)`
 * @throws {RangeError} limits out of range
 * @throws {TypeError} a tenant resolver with a store that has a tenant; an unknown public field;
 * an unknown resource or action in `actions`, or one whose route would shadow another
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EventStore } from "edge-events";
 * import { eventsRouter } from "edge-events/hono";
 *
 * type Env = { Variables: { user?: { id: string; org: string; admin: boolean } } };
 *
 * function app(store: EventStore): Hono<Env> {
 *   const api = new Hono<Env>();
 *   // ... an authentication middleware sets c.var.user ...
 *   api.route(
 *     "/events",
 *     eventsRouter<Env>(store, {
 *       tenant: (c) => c.var.user?.org,
 *       actions: { todo: ["add", "rename"] },
 *       authorize: (c, request) => {
 *         const user = c.var.user;
 *         if (user === undefined) return false;
 *         if (request.operation === "replay") return { replay: user.admin };
 *         if (request.operation === "action") return { action: true, actor: { user: user.id }, fields: ["record"] };
 *         return user.admin ? { fields: "all" } : true;
 *       },
 *     }),
 *   );
 *   return api;
 * }
 * ```
 */
export function eventsRouter<E extends Env = Env>(
  // deno-lint-ignore no-explicit-any
  store: EventStore<any>,
  options: EventsRouterOptions<E> = {},
): Hono<E> {
  const erased = options as unknown as EventsRouterOptions;
  const router: RouterContext = {
    store,
    options: erased,
    limits: limitsOf(options.limits),
    access: createAccess(store, erased),
  };
  const routes: RouteDefinition[] = ROUTE_MODULES.flatMap((module) => module(router));
  routes.push(...describeRoutes(router, () => routes));
  assertDistinct(routes);
  const app = new Hono<E>();
  app.onError((error, c) => {
    const body = problemOf(error);
    if (body.status >= 500) options.onError?.(error, c);
    return problemResponse(body, options.replay?.retryAfterSeconds);
  });
  for (const route of routes) {
    const handlers = [...middlewareOf(route), (c: Parameters<RouteDefinition["handle"]>[0]) => route.handle(c)];
    app.on(route.method, route.path, ...(handlers as [MiddlewareHandler]));
  }
  app.all("*", () => problemResponse(problem("NOT_FOUND", "No route of this router matches")));
  return app;
}
