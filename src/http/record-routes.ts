/**
 * The reads of one record: `GET /:resource/:id/history`, `/timeline`, `/state` and `/diff`,
 * over `history`, `timeline`, `stateAt` and `diff` of src/history, in the caller's tenant. An
 * unknown resource, and a record without any event in that tenant, is 404.
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import { NotFoundError } from "../core/errors.ts";
import type { StoredEvent } from "../core/stored-event.ts";
import { validationError } from "../core/validation.ts";
import { diff } from "../history/diff.ts";
import type { HistoryPoint } from "../history/history-point.ts";
import { history } from "../history/history.ts";
import { stateAt } from "../history/state-at.ts";
import { timeline } from "../history/timeline.ts";
import {
  directionParam,
  eventIdParam,
  limitParam,
  positionParam,
  recordPath,
  textParam,
  timeParam,
  validated,
} from "./input.ts";
import { RouterProblem } from "./problem.ts";
import { jsonResponse } from "./respond.ts";
import type { Allowed, RouteDefinition, RouteModule, RouterContext } from "./route-module.ts";
import type { Operation } from "./router-types.ts";
import { visibleEvent, type VisibleFields, visibleRecord } from "./visible-fields.ts";

interface PageQuery {
  readonly cursor?: string;
  readonly limit?: number;
  readonly direction?: "forward" | "backward";
}

function pointQuery(prefix: string) {
  const key = (name: string) => prefix === "" ? name : `${prefix}${name[0]!.toUpperCase()}${name.slice(1)}`;
  return {
    [key("at")]: v.optional(timeParam),
    [key("eventId")]: v.optional(eventIdParam),
    [key("position")]: v.optional(positionParam),
  };
}

/** The one point a query names (`at`, `eventId` or `position`, each under `prefix`). */
function pointOf(query: Record<string, unknown>, prefix: string): HistoryPoint {
  const names = ["at", "eventId", "position"].map((n) =>
    prefix === "" ? n : `${prefix}${n[0]!.toUpperCase()}${n.slice(1)}`
  );
  const given = names.filter((n) => query[n] !== undefined);
  if (given.length !== 1) {
    const path = given[1] ?? names[0]!;
    throw validationError(`Give exactly one of ${names.join(", ")}`, path, given.length === 0 ? "missing" : "type");
  }
  const [name] = given as [string];
  const value = query[name];
  if (name === names[0]) return { at: value as Date };
  if (name === names[1]) return { eventId: value as string };
  return { position: value as bigint };
}

/** The record a request names, once the caller is allowed to read it. */
async function recordRequest(
  router: RouterContext,
  c: Context,
  operation: Operation,
): Promise<{ allowed: Allowed; resource: string; id: string }> {
  const { resource, id } = validated<{ resource: string; id: string }>(c, "param");
  const allowed = await router.access(c, { operation, resource, recordId: id });
  if (!router.store.resources.has(resource)) throw new RouterProblem("NOT_FOUND", "No resource of that name");
  return { allowed, resource, id };
}

function eventOrNull(event: StoredEvent | undefined, visible: VisibleFields) {
  return event === undefined ? null : visibleEvent(event, visible);
}

/** The routes of one record's reads. */
export const recordRoutes: RouteModule = (router) => {
  const page = v.strictObject({
    cursor: v.optional(textParam()),
    limit: v.optional(limitParam(router.limits.max)),
    direction: v.optional(directionParam),
  });
  const pageOptions = (q: PageQuery) => ({ ...q, limit: q.limit ?? router.limits.default });
  const routes: RouteDefinition[] = [
    {
      method: "GET",
      path: "/:resource/:id/history",
      operation: "history",
      summary: "A record's events, page by page (opaque cursor)",
      params: recordPath,
      query: page,
      response: "json",
      etag: true,
      handle: async (c) => {
        const { allowed, resource, id } = await recordRequest(router, c, "history");
        const query = validated<PageQuery>(c, "query");
        const result = await history(allowed.store, resource, id, pageOptions(query));
        if (result.events.length === 0 && query.cursor === undefined) throw new NotFoundError(resource, id);
        return jsonResponse({
          events: result.events.map((e) => visibleEvent(e, allowed.visible)),
          cursor: result.cursor,
        });
      },
    },
    {
      method: "GET",
      path: "/:resource/:id/timeline",
      operation: "timeline",
      summary: "A record's events, each with the record before and after it",
      params: recordPath,
      query: page,
      response: "json",
      etag: true,
      handle: async (c) => {
        const { allowed, resource, id } = await recordRequest(router, c, "timeline");
        const query = validated<PageQuery>(c, "query");
        const result = await timeline(allowed.store, resource, id, pageOptions(query));
        if (result.entries.length === 0 && query.cursor === undefined) throw new NotFoundError(resource, id);
        const entries = result.entries.map((e) => ({
          event: visibleEvent(e.event, allowed.visible),
          before: visibleRecord(e.before ?? null, allowed.visible),
          after: visibleRecord(e.after ?? null, allowed.visible),
          superseded: e.superseded,
        }));
        return jsonResponse({ entries, cursor: result.cursor });
      },
    },
    {
      method: "GET",
      path: "/:resource/:id/state",
      operation: "state",
      summary: "A record as it was at a time, an event or a position",
      params: recordPath,
      query: v.strictObject(pointQuery("")),
      response: "json",
      etag: true,
      handle: async (c) => {
        const { allowed, resource, id } = await recordRequest(router, c, "state");
        const point = pointOf(validated(c, "query"), "");
        const state = await stateAt(allowed.store, resource, id, point);
        const { visible } = allowed;
        if (state.status === "not-created") {
          if (!state.createdLater && state.lastEvent === undefined) throw new NotFoundError(resource, id);
          return jsonResponse({
            status: state.status,
            createdLater: state.createdLater,
            lastEvent: eventOrNull(state.lastEvent, visible),
          });
        }
        const record = "record" in state ? { record: visibleRecord(state.record, visible) } : {};
        const destroyed = state.status === "destroyed"
          ? { soft: state.soft, destroyedBy: visibleEvent(state.destroyedBy, visible) }
          : {};
        return jsonResponse({
          status: state.status,
          ...destroyed,
          ...record,
          lastEvent: visibleEvent(state.lastEvent, visible),
        });
      },
    },
    {
      method: "GET",
      path: "/:resource/:id/diff",
      operation: "diff",
      summary: "The attributes of a record that differ between two points",
      params: recordPath,
      query: v.strictObject({ ...pointQuery("from"), ...pointQuery("to") }),
      response: "json",
      etag: true,
      handle: async (c) => {
        const { allowed, resource, id } = await recordRequest(router, c, "diff");
        const query = validated<Record<string, unknown>>(c, "query");
        const changes = await diff(allowed.store, resource, id, pointOf(query, "from"), pointOf(query, "to"));
        if (Object.keys(changes).length === 0) {
          const first = await history(allowed.store, resource, id, { limit: 1 });
          if (first.events.length === 0) throw new NotFoundError(resource, id);
        }
        const out: Record<string, unknown> = {};
        for (const [name, change] of Object.entries(changes as Record<string, { before: unknown; after: unknown }>)) {
          out[name] = allowed.visible.has("record")
            ? { before: change.before ?? null, after: change.after ?? null }
            : {};
        }
        return jsonResponse({ changes: out });
      },
    },
  ];
  return routes;
};
