/**
 * `edge-events/hono`: the event log's HTTP API as a Hono app. Needs the optional peers `hono`
 * and `@valibot/to-json-schema` (`npm install hono @valibot/to-json-schema`).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { EventStore } from "edge-events";
 * import { eventsRouter } from "edge-events/hono";
 *
 * function app(store: EventStore, token: string): Hono {
 *   const api = new Hono();
 *   api.route(
 *     "/events",
 *     eventsRouter(store, {
 *       // reads for holders of the token, payloads included; replay for nobody
 *       authorize: (c) => c.req.header("Authorization") === `Bearer ${token}` && { fields: "all" },
 *     }),
 *   );
 *   return api;
 * }
 * ```
 * @module
 */
export { eventsRouter } from "./events-router.ts";
export { PROTECTED_FIELDS } from "./router-types.ts";
export type {
  AccessDecision,
  AccessGrant,
  AccessRequest,
  EventsRouterOptions,
  ExposedActions,
  Operation,
  ProtectedField,
  ReplayRouteOptions,
  RouterLimits,
  StreamOptions,
} from "./router-types.ts";
export { problemOf, statusOf } from "./problem.ts";
export type { InputSource, Problem, ProblemCode } from "./problem.ts";
