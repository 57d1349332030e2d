/**
 * The options of `eventsRouter` and what `authorize` is asked and answers.
 * @module
 */
import type { Context, Env } from "hono";

/**
 * What a request asks to do. Reads: `metadata` (`/metadata`, `/openapi.json`), `history`,
 * `timeline`, `state`, `diff` (one record), `audit`, `summary` (the log), `feed` (`/feed`,
 * `/feed/stream`). `replay` covers the four replay endpoints and is allowed only by a grant
 * with `replay: true`, never by a bare `true`. `action` runs an action over HTTP (one of the
 * `actions` the router exposes) and is allowed only by a grant with `action: true`. `verify`
 * (`POST /verify`, a bounded step of the hash chain's verification) likewise needs a grant with
 * `verify: true`.
 */
export type Operation =
  | "metadata"
  | "history"
  | "timeline"
  | "state"
  | "diff"
  | "audit"
  | "summary"
  | "feed"
  | "replay"
  | "action"
  | "verify";

/** The request `authorize` decides on. */
export interface AccessRequest {
  /** What is asked. */
  readonly operation: Operation;
  /** The replay step asked for (`start`, `continue`, `status`, `abort`); null for the other operations. */
  readonly replayStep: "start" | "continue" | "status" | "abort" | null;
  /** The resource named by the path or the `resource` filter; null when none is. */
  readonly resource: string | null;
  /** The record named by the path; null for reads of the log and for creates. */
  readonly recordId: string | null;
  /** For `action`: the action's name; null for the other operations. */
  readonly action: string | null;
  /**
   * The tenant the read is confined to: the tenant resolver's answer, or the store's own
   * tenant when there is no resolver; null for events without a tenant. For `replay`: the
   * tenant the replay is confined to, null for the whole log.
   */
  readonly tenant: string | null;
}

/**
 * The parts of an event that only some callers see (AshEvents' `public_fields`): the payloads
 * `data`, `changes` and `metadata`, the `actor` (type and id), and `record`: a record's
 * attributes as `state`, `diff` and `timeline` fold them from those payloads.
 */
export type ProtectedField = "data" | "changes" | "metadata" | "actor" | "record";

/** Every protected field, in the order the docs list them. */
export const PROTECTED_FIELDS: readonly ProtectedField[] = Object.freeze([
  "data",
  "changes",
  "metadata",
  "actor",
  "record",
]);

/** A grant: an allowed request, with what it may see beyond the public fields. */
export interface AccessGrant {
  /** Protected fields this caller sees (added to `publicFields`): a list, or `"all"`. Default none. */
  readonly fields?: "all" | readonly ProtectedField[];
  /** Allows a `replay` request. Nothing else does: `true` alone is refused for replay. */
  readonly replay?: boolean;
  /** Allows an `action` request. Nothing else does: `true` alone is refused for actions. */
  readonly action?: boolean;
  /**
   * Who performs an `action` request: one actor type the log declares and its id, as an
   * action call's `actor` (`{ user: session.userId }`). Omitted: the action has no actor. Only
   * here: an actor (or a tenant) in the request body is refused.
   */
  readonly actor?: { readonly [type: string]: string | number | bigint };
  /** Allows a `verify` request (the chain's verification). Nothing else does: `true` alone is refused. */
  readonly verify?: boolean;
}

/**
 * What `authorize` answers: `false` (403), `true` (allowed: events without their protected
 * fields unless `publicFields` lists them; not enough for `replay`) or an {@link AccessGrant}.
 */
export type AccessDecision = boolean | AccessGrant;

/** Page sizes the router accepts and uses when a request names none. */
export interface RouterLimits {
  /** The largest `limit` of history, timeline and audit pages (1 to 1000; default 100). */
  readonly maxPageSize?: number;
  /** The page size when a request names none (default 50; at most `maxPageSize`). */
  readonly defaultPageSize?: number;
  /** The largest `limit` of feed pages (1 to 10000; default 1000); also the events per SSE message. */
  readonly maxFeedPageSize?: number;
  /** The largest body of an action request, in bytes (1024 to 16 MiB; default 1 MiB): larger is 413. */
  readonly maxBodyBytes?: number;
}

/**
 * Which actions the router exposes over HTTP: a list of action names per resource name, or a
 * predicate asked once per action when the router is made. Default: none.
 */
export type ExposedActions =
  | { readonly [resource: string]: readonly string[] }
  | ((resource: string, action: string) => boolean);

/** How `/feed/stream` polls and keeps the connection alive. */
export interface StreamOptions {
  /** Milliseconds between polls of the feed when the last poll found nothing (default 1000). */
  readonly pollIntervalMs?: number;
  /** Milliseconds of silence after which a heartbeat comment is sent (default 15000). */
  readonly heartbeatMs?: number;
}

/** Options of the replay endpoints. */
export interface ReplayRouteOptions {
  /** The time budget of one step, in milliseconds (default 10000); at least one page runs. */
  readonly budgetMs?: number;
  /** The `Retry-After` (seconds) of a write refused while a replay fences the log (default 5). */
  readonly retryAfterSeconds?: number;
}

/** Options of {@link eventsRouter}. `E` is the Hono env of the app the router is mounted in. */
export interface EventsRouterOptions<E extends Env = Env> {
  /**
   * Decides every request but `metadata` on a router without it. Return `true`, `false`, an
   * {@link AccessGrant}, or throw (the error is answered as 500, or by its code when it is an
   * edge-events error). Without `authorize` the router serves `/metadata` and `/openapi.json`
   * only: everything else is 403.
   */
  readonly authorize?: (c: Context<E>, request: AccessRequest) => AccessDecision | Promise<AccessDecision>;
  /**
   * The caller's tenant, from the authentication (never from the request): every read is
   * confined to it (a store from `withContext({ tenant })`); `null` reads events without a
   * tenant; `undefined` is refused with 403. When set, a `tenant` parameter is refused with 400.
   * Without it the router reads in the tenant of the store it was given.
   */
  readonly tenant?: (c: Context<E>) =>
    | string
    | number
    | bigint
    | null
    | undefined
    | Promise<
      string | number | bigint | null | undefined
    >;
  /**
   * The actions served over HTTP (`POST /:resource/:action` for creates,
   * `POST /:resource/:id/:action` for updates and destroys), each still allowed per request
   * only by a grant with `action: true`. Default: none.
   */
  readonly actions?: ExposedActions;
  /** Protected fields every allowed caller sees: a list, or `"all"`. Default none. */
  readonly publicFields?: "all" | readonly ProtectedField[];
  /** Page sizes. */
  readonly limits?: RouterLimits;
  /** `/feed/stream` polling and heartbeats. */
  readonly stream?: StreamOptions;
  /** The replay endpoints. */
  readonly replay?: ReplayRouteOptions;
  /**
   * Called with every error answered with a 5xx status (the problem says only "An unexpected
   * error occurred"): log it here. Its return value is ignored.
   */
  readonly onError?: (error: unknown, c: Context<E>) => void;
}
