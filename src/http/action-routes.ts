/**
 * Actions over HTTP, opt-in per action (the `actions` option): one route per exposed action,
 * `POST /:resource/:action` for a create and `POST /:resource/:id/:action` for an update or a
 * destroy, with the body `{ input, record? }`. A create names its action in the path because a
 * resource may have several creates, and because `POST /:resource` would be `POST /replay` for
 * a resource named `replay`. An action that is not exposed has no route: 404, like an unknown one.
 *
 * Each request is decided by `authorize` (operation `action`, with the action's name; only a
 * grant with `action: true` allows it), runs in the caller's tenant and as the grant's `actor`,
 * takes its event id from `Idempotency-Key` (a repeat answers the first outcome, with the same
 * status) and its `expectedPosition` from `If-Match`. The answer is `{ record, event }` (201
 * for creates, else 200), the record only for callers that see records, with `ETag` the
 * position of the event written.
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import type { ActionDefinition } from "../core/action.ts";
import type { ChangeCallContext } from "../core/context.ts";
import { isEdgeEventsError } from "../core/errors.ts";
import type { ActionResult, AnyResource } from "../core/model-types.ts";
import { revive } from "../core/revive.ts";
import type { JsonValue } from "../core/json.ts";
import { actionBody, eventIdOf, expectedPositionOf, readJson } from "./action-request.ts";
import { exposedActions } from "./exposed-actions.ts";
import { textParam, validated } from "./input.ts";
import { jsonSchemaOf } from "./metadata.ts";
import { problemOf, problemResponse, RouterProblem } from "./problem.ts";
import { jsonResponse } from "./respond.ts";
import type { Allowed, RouteDefinition, RouteModule, RouterContext } from "./route-module.ts";
import { visibleEvent, visibleRecord } from "./visible-fields.ts";

type Call = (...args: unknown[]) => Promise<ActionResult<unknown>>;

const ID_PATH = v.strictObject({ id: textParam() });
/** No query parameter: an unknown one is 400 naming it, `tenant` among them. */
const NO_QUERY = v.strictObject({});

const IDEMPOTENCY_KEY = {
  name: "Idempotency-Key",
  description: "The event id (a ULID): a repeat answers the first outcome and writes nothing",
};
const IF_MATCH = {
  name: "If-Match",
  description: 'The ETag of the record\'s last action ("<position>"): write only if it is still the last (else 412)',
};

/** Whether the action computes from the record it reads: a client may send the record it holds. */
function takesRecord(action: ActionDefinition): boolean {
  return action.type === "update" && action.options.change !== undefined;
}

function bodySchema(resource: AnyResource, action: ActionDefinition): Record<string, unknown> {
  const properties: Record<string, unknown> = { input: jsonSchemaOf(action.input) };
  if (takesRecord(action)) properties["record"] = jsonSchemaOf(resource.attributes);
  return { type: "object", properties, additionalProperties: false };
}

/** The answer to a core error: the headers' names for its id and position, a bad grant as a 500. */
function failure(router: RouterContext, c: Context, error: unknown): Response {
  let body = problemOf(error, "body");
  if (isEdgeEventsError(error, "VALIDATION_FAILED")) {
    const paths = error.issues.map((i) => i.path ?? "");
    if (paths.some((p) => p === "actor" || p.startsWith("actor."))) {
      body = problemOf(new Error("authorize granted an actor the log refuses"));
    } else if (paths.includes("eventId")) {
      const issue = { path: "Idempotency-Key", message: "This key was used by another request", kind: "duplicate" };
      body = problemOf(new RouterProblem("VALIDATION_FAILED", issue.message, { issues: [issue] }), "body");
    } else if (paths.includes("id")) body = problemOf(error, "query");
  }
  if (body.status >= 500) router.options.onError?.(error, c);
  return problemResponse(body, router.options.replay?.retryAfterSeconds);
}

function answer(result: ActionResult<unknown>, allowed: Allowed, status: number): Response {
  const record = visibleRecord(result.record, allowed.visible);
  const event = result.event === null ? null : visibleEvent(result.event, allowed.visible);
  const response = jsonResponse(record === undefined ? { event } : { record, event }, status);
  response.headers.set("Cache-Control", "no-store");
  if (result.event !== null) response.headers.set("ETag", `"${result.event.position}"`);
  if (result.duplicate) response.headers.set("Idempotent-Replayed", "true");
  return response;
}

async function run(
  router: RouterContext,
  c: Context,
  resource: AnyResource,
  name: string,
  action: ActionDefinition,
): Promise<Response> {
  const create = action.type === "create";
  const id = create ? undefined : validated<{ id: string }>(c, "param").id;
  const allowed = await router.access(c, { operation: "action", resource: resource.name, recordId: id, action: name });
  if (resource.tenant !== undefined && allowed.tenant === null) {
    throw new RouterProblem("FORBIDDEN", "This resource is multi-tenant: the authentication names no tenant");
  }
  const eventId = eventIdOf(c.req.header("Idempotency-Key"));
  const expectedPosition = expectedPositionOf(c.req.header("If-Match"));
  if (create && expectedPosition !== undefined) {
    const issue = { path: "If-Match", message: "A create has no record to match", kind: "header" };
    throw new RouterProblem("VALIDATION_FAILED", "Invalid header: If-Match", { source: "query", issues: [issue] });
  }
  const body = await actionBody(await readJson(c.req.raw, router.limits.maxBody), action, takesRecord(action));
  if (body.record !== undefined && expectedPosition === undefined) {
    const issue = { path: "record", message: "A held record needs the If-Match of its position", kind: "missing" };
    throw new RouterProblem("VALIDATION_FAILED", "Invalid body parameters: record", {
      source: "body",
      issues: [issue],
    });
  }
  const ctx: ChangeCallContext = {
    ...(allowed.actor === undefined ? {} : { actor: allowed.actor }),
    ...(eventId === undefined ? {} : { eventId }),
    ...(expectedPosition === undefined ? {} : { expectedPosition }),
    ...(body.record === undefined ? {} : { record: revive(resource.attributes, body.record as JsonValue) as never }),
  };
  const call = (allowed.store.resource(resource) as unknown as Record<string, Call>)[name]!;
  const result = create ? await call(body.input, ctx) : await call(id, body.input, ctx);
  if (result.hookError !== undefined) router.options.onError?.(result.hookError, c);
  return answer(result, allowed, create ? 201 : 200);
}

function actionRoute(router: RouterContext, resource: AnyResource, name: string): RouteDefinition {
  const action = (resource.actions as Record<string, ActionDefinition>)[name]!;
  const create = action.type === "create";
  return {
    method: "POST",
    path: create ? `/${resource.name}/${name}` : `/${resource.name}/:id/${name}`,
    operation: "action",
    summary: `${resource.name}.${name}: ${create ? "create a record" : `${action.type} the record`}`,
    ...(create ? {} : { params: ID_PATH }),
    query: NO_QUERY,
    requestBody: bodySchema(resource, action),
    headers: create ? [IDEMPOTENCY_KEY] : [IDEMPOTENCY_KEY, IF_MATCH],
    status: create ? 201 : 200,
    response: "json",
    handle: async (c) => {
      try {
        return await run(router, c, resource, name, action);
      } catch (error) {
        return failure(router, c, error);
      }
    },
  };
}

/** The routes of the actions the router exposes. */
export const actionRoutes: RouteModule = (router) =>
  exposedActions(router.store, router.options.actions).map(({ resource, action }) =>
    actionRoute(router, resource, action)
  );
