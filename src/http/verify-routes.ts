/**
 * The hash chain's verification over HTTP, one bounded step per request: `POST /verify` with
 * no cursor starts it, with the cursor of the last answer goes on. Needs a grant with
 * `verify: true` (`true` alone is refused). With a tenant resolver, a tenant's caller verifies
 * its own chain (tenant chain scope) and may not verify a global chain, which holds other
 * tenants' events; a caller without a tenant verifies every chain.
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import { verifyChainStep } from "../history/verify-chain.ts";
import { validated } from "./input.ts";
import { problemOf, problemResponse, RouterProblem } from "./problem.ts";
import { jsonResponse } from "./respond.ts";
import type { RouteModule, RouterContext } from "./route-module.ts";

const stepBody = v.strictObject({
  cursor: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(8192))),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000))),
});

type StepBody = v.InferOutput<typeof stepBody>;

/** Errors of a body route: validation is 422 there; 5xx errors go to `onError` as elsewhere. */
async function inBody(router: RouterContext, c: Context, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    const body = problemOf(error, "body");
    if (body.status >= 500) router.options.onError?.(error, c);
    return problemResponse(body);
  }
}

/** The route of the chain's verification. */
export const verifyRoutes: RouteModule = (router) => [
  {
    method: "POST",
    path: "/verify",
    operation: "verify",
    summary: "Run one bounded step of the hash chain's verification (start without a cursor)",
    body: stepBody,
    response: "json",
    handle: (c) =>
      inBody(router, c, async () => {
        const body = validated<StepBody>(c, "json");
        const allowed = await router.access(c, { operation: "verify" });
        const integrity = router.store.log.integrity;
        if (!integrity.chain) throw new RouterProblem("NOT_FOUND", "This event log has no hash chain");
        const confined = router.options.tenant !== undefined && allowed.tenant !== null;
        if (confined && integrity.chainScope === "global") {
          throw new RouterProblem("FORBIDDEN", "The log's one chain holds every tenant's events");
        }
        const step = await verifyChainStep(router.store, {
          ...(body.cursor === undefined ? {} : { cursor: body.cursor }),
          limit: body.limit ?? 1000,
          ...(confined ? { tenant: allowed.tenant } : {}),
        });
        return jsonResponse({
          ok: step.ok,
          done: step.done,
          cursor: step.cursor,
          checked: step.checked,
          position: step.position === null ? null : String(step.position),
          failure: step.failure === null ? null : { ...step.failure, position: String(step.failure.position) },
        });
      }),
  },
];
