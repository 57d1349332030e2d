/**
 * The log in global order, in the caller's tenant: `GET /feed?after=<cursor>` pages it
 * (`store.readFeed`: horizon-safe under every lock scope), `GET /feed/stream` sends it as
 * Server-Sent Events (Hono's `streamSSE`).
 *
 * Resuming without loss or repetition: each SSE message is one feed page (`event: events`,
 * `data: {"events":[...]}`) whose `id` is the feed cursor after that page. A client dispatches
 * a message only once it has all of it, and its `Last-Event-ID` is the id of the last message
 * dispatched, so a reconnection with `Last-Event-ID` (or `?after=`) continues exactly after the
 * last page the client received. While nothing is new the stream polls every
 * `stream.pollIntervalMs` and sends a `: heartbeat` comment after `stream.heartbeatMs` of
 * silence; it ends when the client leaves (the request's signal, or the body cancelled).
 * @module
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import * as v from "valibot";
import type { FeedPage, ReadFeedOptions } from "../core/store-types.ts";
import { limitParam, textParam, validated } from "./input.ts";
import { problemOf } from "./problem.ts";
import { jsonResponse } from "./respond.ts";
import type { Allowed, RouteModule } from "./route-module.ts";
import { visibleEvent } from "./visible-fields.ts";

interface FeedQuery {
  readonly after?: string;
  readonly limit?: number;
  readonly resource?: string;
}

function pageJson(page: FeedPage, allowed: Allowed) {
  return { events: page.events.map((e) => visibleEvent(e, allowed.visible)), cursor: page.cursor };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function stream(c: Context, allowed: Allowed, first: FeedPage, options: ReadFeedOptions, timing: {
  readonly pollIntervalMs: number;
  readonly heartbeatMs: number;
}): Response {
  return streamSSE(c, async (sse) => {
    const left = new AbortController();
    sse.onAbort(() => left.abort());
    c.req.raw.signal.addEventListener("abort", () => left.abort(), { once: true });
    let page = first;
    let quietSince = Date.now();
    try {
      while (!left.signal.aborted) {
        if (page.events.length > 0) {
          const data = JSON.stringify({ events: page.events.map((e) => visibleEvent(e, allowed.visible)) });
          await sse.writeSSE({ event: "events", id: page.cursor, data });
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= timing.heartbeatMs) {
          await sse.write(": heartbeat\n\n");
          quietSince = Date.now();
        }
        if (page.events.length < (options.limit ?? 1000)) await pause(timing.pollIntervalMs, left.signal);
        if (left.signal.aborted) break;
        page = await allowed.store.readFeed({ ...options, after: page.cursor });
      }
    } catch (error) {
      if (!left.signal.aborted) await sse.writeSSE({ event: "error", data: JSON.stringify(problemOf(error)) });
    }
  });
}

/** The routes of the feed. */
export const feedRoutes: RouteModule = (router) => {
  const query = v.strictObject({
    after: v.optional(textParam()),
    limit: v.optional(limitParam(router.limits.maxFeed)),
    resource: v.optional(textParam()),
  });
  const timing = {
    pollIntervalMs: router.options.stream?.pollIntervalMs ?? 1000,
    heartbeatMs: router.options.stream?.heartbeatMs ?? 15_000,
  };
  const optionsOf = (q: FeedQuery, after: string | undefined): ReadFeedOptions => ({
    limit: q.limit ?? router.limits.maxFeed,
    ...(q.resource === undefined ? {} : { resource: q.resource }),
    ...(after === undefined ? {} : { after }),
  });
  return [
    {
      method: "GET",
      path: "/feed",
      operation: "feed",
      summary: "The next page of the log after a cursor, in global order",
      query,
      response: "json",
      handle: async (c) => {
        const q = validated<FeedQuery>(c, "query");
        const allowed = await router.access(c, { operation: "feed", resource: q.resource });
        return jsonResponse(pageJson(await allowed.store.readFeed(optionsOf(q, q.after)), allowed));
      },
    },
    {
      method: "GET",
      path: "/feed/stream",
      operation: "feed",
      summary: "The log as Server-Sent Events, resuming after Last-Event-ID",
      query,
      response: "sse",
      handle: async (c) => {
        const q = validated<FeedQuery>(c, "query");
        const allowed = await router.access(c, { operation: "feed", resource: q.resource });
        const options = optionsOf(q, c.req.header("Last-Event-ID") ?? q.after);
        // The first page is read before the stream opens, so that a bad cursor is a problem response.
        const first = await allowed.store.readFeed(options);
        return stream(c, allowed, first, options, timing);
      },
    },
  ];
};
