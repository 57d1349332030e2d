/**
 * A route of the router as data: method, path, operation, parameter schemas and handler. The
 * router registers each one (validators and ETag from its description) and the OpenAPI
 * document is generated from the same list, so a route cannot be served undocumented. Each
 * group of routes is a module returning its routes (`history-routes.ts`, `feed-routes.ts`,
 * ...); `action-routes.ts` makes one route per action the router exposes.
 * @module
 */
import type { Context } from "hono";
import type { EventStore } from "../core/store-types.ts";
import type { InputSchema } from "./input.ts";
import type { EventsRouterOptions, Operation } from "./router-types.ts";
import type { VisibleFields } from "./visible-fields.ts";

/** What a route's response is, for the OpenAPI document. */
export type RouteResponse = "json" | "sse" | "openapi";

/** One route. */
export interface RouteDefinition {
  /** The method. */
  readonly method: "GET" | "POST";
  /** The path under the mount point, in Hono's syntax (`/:resource/:id/history`). */
  readonly path: string;
  /** The operation `authorize` is asked about. */
  readonly operation: Operation;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  /** The path parameters' schema. */
  readonly params?: InputSchema;
  /** The query's schema (a strict object of strings: unknown parameters are refused). */
  readonly query?: InputSchema;
  /** The JSON body's schema, checked by the router's validator before the handler runs. */
  readonly body?: InputSchema;
  /**
   * A JSON body the handler reads and checks itself (after `authorize`), as JSON Schema for the
   * OpenAPI document. Not with `body`.
   */
  readonly requestBody?: Readonly<Record<string, unknown>>;
  /** Request headers the route reads, for the OpenAPI document. */
  readonly headers?: readonly { readonly name: string; readonly description: string }[];
  /** The status of success (200 by default; 201 for creates). */
  readonly status?: 200 | 201;
  /** What the response is. */
  readonly response: RouteResponse;
  /** Whether responses carry an `ETag` and `If-None-Match` is answered with 304. */
  readonly etag?: boolean;
  /** The handler: validated input is read with `validated(c, "query")`, ... */
  readonly handle: (c: Context) => Promise<Response>;
}

/** What one request was allowed, with the store confined to its tenant. */
export interface Allowed {
  /** The store confined to the caller's tenant. */
  readonly store: EventStore;
  /** That tenant; null for events without one. */
  readonly tenant: string | null;
  /** The protected fields the caller sees. */
  readonly visible: VisibleFields;
  /** For `action`: the actor the grant names (`{ user: id }`), if any. */
  readonly actor?: { readonly [type: string]: string | number | bigint };
}

/** What an access check is asked: the request without its tenant (the router adds it). */
export interface AccessAsk {
  /** The operation. */
  readonly operation: Operation;
  /** The replay step, for `replay`. */
  readonly replayStep?: "start" | "continue" | "status" | "abort";
  /** The resource, if one is named. */
  readonly resource?: string | undefined;
  /** The record, if one is named. */
  readonly recordId?: string | undefined;
  /** For `action`: the action's name. */
  readonly action?: string | undefined;
  /** For `replay`: the tenant asked for in the body (refused when a tenant resolver is set). */
  readonly replayTenant?: string | undefined;
}

/** What the route modules get from the router. */
export interface RouterContext {
  /** The store the router was given. */
  readonly store: EventStore;
  /** The router's options (`E` erased: handlers pass Hono's context through). */
  readonly options: EventsRouterOptions;
  /** The page sizes in force. */
  readonly limits: {
    readonly max: number;
    readonly default: number;
    readonly maxFeed: number;
    readonly maxBody: number;
  };
  /**
   * Resolve the caller's tenant and ask `authorize`.
   * @throws {RouterProblem} `FORBIDDEN` when refused
   */
  access(c: Context, ask: AccessAsk): Promise<Allowed>;
}

/** A group of routes. */
export type RouteModule = (router: RouterContext) => readonly RouteDefinition[];
