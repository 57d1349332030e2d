/**
 * The reads of the whole log in the caller's tenant: `GET /audit` (filtered pages, opaque
 * cursor) and `GET /summary` (counts of a time range), over `audit` and `summary` of
 * src/history. Filtering on an actor's id needs the `actor` field: a caller that may not see
 * actor ids may not probe them either.
 * @module
 */
import * as v from "valibot";
import type { AuditOptions } from "../history/audit.ts";
import { audit } from "../history/audit.ts";
import { summary } from "../history/summary.ts";
import { validationError } from "../core/validation.ts";
import { directionParam, limitParam, textParam, timeParam, validated } from "./input.ts";
import { RouterProblem } from "./problem.ts";
import { jsonResponse } from "./respond.ts";
import type { RouteModule } from "./route-module.ts";
import { visibleEvent, visibleSummary } from "./visible-fields.ts";

interface AuditQuery {
  readonly resource?: string;
  readonly action?: string;
  readonly actionType?: "create" | "update" | "destroy";
  readonly actorType?: string;
  readonly actorId?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly cursor?: string;
  readonly limit?: number;
  readonly direction?: "forward" | "backward";
}

function auditOptions(query: AuditQuery, defaultLimit: number): AuditOptions {
  const { actorType, actorId, limit, ...rest } = query;
  if ((actorType === undefined) !== (actorId === undefined)) {
    const path = actorType === undefined ? "actorType" : "actorId";
    throw validationError(`${path} is required with the other actor filter`, path, "missing");
  }
  const actor = actorType === undefined ? {} : { actor: { type: actorType, id: actorId! } };
  return { ...rest, ...actor, limit: limit ?? defaultLimit };
}

/** The routes of audit queries and summaries. */
export const logRoutes: RouteModule = (router) => [
  {
    method: "GET",
    path: "/audit",
    operation: "audit",
    summary: "Events of the log matching every filter given, page by page (opaque cursor)",
    query: v.strictObject({
      resource: v.optional(textParam()),
      action: v.optional(textParam()),
      actionType: v.optional(v.picklist(["create", "update", "destroy"])),
      actorType: v.optional(textParam()),
      actorId: v.optional(textParam()),
      correlationId: v.optional(textParam()),
      causationId: v.optional(textParam()),
      from: v.optional(timeParam),
      to: v.optional(timeParam),
      cursor: v.optional(textParam()),
      limit: v.optional(limitParam(router.limits.max)),
      direction: v.optional(directionParam),
    }),
    response: "json",
    etag: true,
    handle: async (c) => {
      const query = validated<AuditQuery>(c, "query");
      const allowed = await router.access(c, { operation: "audit", resource: query.resource });
      if (query.actorId !== undefined && !allowed.visible.has("actor")) {
        throw new RouterProblem("FORBIDDEN", "Filtering on an actor id needs the actor field");
      }
      const page = await audit(allowed.store, auditOptions(query, router.limits.default));
      return jsonResponse({ events: page.events.map((e) => visibleEvent(e, allowed.visible)), cursor: page.cursor });
    },
  },
  {
    method: "GET",
    path: "/summary",
    operation: "summary",
    summary: "Counts of the events of [from, to): by action type, by action, by actor",
    query: v.strictObject({ from: timeParam, to: timeParam, resource: v.optional(textParam()) }),
    response: "json",
    etag: true,
    handle: async (c) => {
      const query = validated<{ from: Date; to: Date; resource?: string }>(c, "query");
      const allowed = await router.access(c, { operation: "summary", resource: query.resource });
      return jsonResponse(visibleSummary(await summary(allowed.store, query), allowed.visible));
    },
  },
];
