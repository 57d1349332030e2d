/**
 * Replay over HTTP, one bounded step per request: `POST /replay` starts one (whole log, until
 * an event, until a time, one tenant, or a dry run) and runs its first step; `POST
 * /replay/continue` runs the next from its cursor (the replay id); `GET /replay` reports where
 * it stands; `POST /replay/abort` lifts its fence. Every one needs a grant with `replay: true`
 * (`true` alone is refused). With a tenant resolver, a replay is confined to the caller's
 * tenant (none: the whole log), and another tenant's replay is 404.
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import { replayStatus } from "../replay/replay-status.ts";
import { replayResultToJson, replayStatusToJson } from "../replay/replay-wire.ts";
import { abortReplay, replay, replayStep } from "../replay/replay.ts";
import type { ReplayScope } from "../replay/replay-types.ts";
import { eventIdParam, timeParam, validated } from "./input.ts";
import { type InputSource, problemOf, problemResponse, RouterProblem } from "./problem.ts";
import { jsonResponse } from "./respond.ts";
import type { Allowed, RouteModule, RouterContext } from "./route-module.ts";

const startBody = v.strictObject({
  untilEventId: v.optional(eventIdParam),
  untilTime: v.optional(timeParam),
  tenant: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
  dryRun: v.optional(v.boolean()),
  onError: v.optional(v.picklist(["stop", "skip"])),
  pageSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000))),
});

type StartBody = v.InferOutput<typeof startBody>;

const continueBody = v.strictObject({ cursor: v.pipe(v.string(), v.minLength(1), v.maxLength(64)) });

const statusQuery = v.strictObject({ replayId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))) });

/** Errors of a body route: validation is 422 there; 5xx errors go to `onError` as elsewhere. */
async function inBody(router: RouterContext, c: Context, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    const source: InputSource = "body";
    const body = problemOf(error, source);
    if (body.status >= 500) router.options.onError?.(error, c);
    return problemResponse(body, router.options.replay?.retryAfterSeconds);
  }
}

/** The replay `id` (or the running/last one) if the caller may see it: of its tenant when a resolver is set. */
async function ownReplay(router: RouterContext, allowed: Allowed, replayId: string | undefined) {
  const status = await replayStatus(router.store, replayId === undefined ? {} : { replayId });
  if (status === null || (router.options.tenant !== undefined && status.tenant !== allowed.tenant)) {
    throw new RouterProblem("NOT_FOUND", "No replay of that id");
  }
  return status;
}

function access(router: RouterContext, c: Context, step: "start" | "continue" | "status" | "abort", tenant?: string) {
  return router.access(c, { operation: "replay", replayStep: step, replayTenant: tenant });
}

/** The routes of replay. */
export const replayRoutes: RouteModule = (router) => {
  const budgetMs = router.options.replay?.budgetMs ?? 10_000;
  const scopeOf = (body: StartBody, allowed: Allowed): ReplayScope => {
    const tenant = router.options.tenant === undefined ? body.tenant : allowed.tenant ?? undefined;
    return {
      ...(body.untilEventId === undefined ? {} : { untilEventId: body.untilEventId }),
      ...(body.untilTime === undefined ? {} : { untilTime: body.untilTime }),
      ...(tenant === undefined ? {} : { tenant }),
    };
  };
  return [
    {
      method: "POST",
      path: "/replay",
      operation: "replay",
      summary: "Start a replay (or a dry run) and run its first bounded step",
      body: startBody,
      response: "json",
      handle: (c) =>
        inBody(router, c, async () => {
          const body = validated<StartBody>(c, "json");
          const allowed = await access(router, c, "start", body.tenant);
          const scope = scopeOf(body, allowed);
          const common = {
            ...(body.onError === undefined ? {} : { onError: body.onError }),
            ...(body.pageSize === undefined ? {} : { pageSize: body.pageSize }),
          };
          const result = body.dryRun === true
            ? await replay(router.store, { ...scope, ...common, dryRun: true })
            : await replayStep(router.store, { ...scope, ...common, budgetMs });
          return jsonResponse(replayResultToJson(result));
        }),
    },
    {
      method: "POST",
      path: "/replay/continue",
      operation: "replay",
      summary: "Run the next bounded step of the running replay",
      body: continueBody,
      response: "json",
      handle: (c) =>
        inBody(router, c, async () => {
          const { cursor } = validated<{ cursor: string }>(c, "json");
          const allowed = await access(router, c, "continue");
          await ownReplay(router, allowed, cursor);
          return jsonResponse(replayResultToJson(await replayStep(router.store, { cursor, budgetMs })));
        }),
    },
    {
      method: "GET",
      path: "/replay",
      operation: "replay",
      summary: "Where the running (or the given, or the last) replay stands",
      query: statusQuery,
      response: "json",
      handle: async (c) => {
        const { replayId } = validated<{ replayId?: string }>(c, "query");
        const allowed = await access(router, c, "status");
        return jsonResponse(replayStatusToJson(await ownReplay(router, allowed, replayId)));
      },
    },
    {
      method: "POST",
      path: "/replay/abort",
      operation: "replay",
      summary: "Abort the running replay: lift its fence, leave the tables as they are",
      body: v.strictObject({}),
      response: "json",
      handle: (c) =>
        inBody(router, c, async () => {
          const allowed = await access(router, c, "abort");
          const status = await ownReplay(router, allowed, undefined);
          if (status.status !== "running") return jsonResponse({ aborted: false });
          return jsonResponse({ aborted: await abortReplay(router.store) });
        }),
    },
  ];
};
