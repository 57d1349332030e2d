/**
 * Who may do what: the caller's tenant from the tenant resolver (never from the request), then
 * `authorize`. Default deny: without `authorize` only `metadata` is served. `replay` needs a
 * grant with `replay: true`, `action` one with `action: true`, `verify` one with `verify: true`; `true` alone (a blanket
 * `() => true`) allows neither.
 * @module
 */
import type { Context } from "hono";
import { canonicalTenant } from "../core/canonical-id.ts";
import { storeTenant } from "../core/read-log.ts";
import type { EventStore } from "../core/store-types.ts";
import { validationError } from "../core/validation.ts";
import { RouterProblem } from "./problem.ts";
import type { AccessAsk, Allowed } from "./route-module.ts";
import type { AccessDecision, AccessGrant, AccessRequest, EventsRouterOptions } from "./router-types.ts";
import { visibleFields } from "./visible-fields.ts";

function refused(detail: string): RouterProblem {
  return new RouterProblem("FORBIDDEN", detail);
}

/** The grant a decision stands for, or undefined when it refuses. Anything but `true` or an object refuses. */
function grantOf(decision: AccessDecision): AccessGrant | undefined {
  if (decision === true) return {};
  if (typeof decision === "object" && decision !== null) return decision;
  return undefined;
}

async function resolveTenant(
  c: Context,
  store: EventStore,
  options: EventsRouterOptions,
): Promise<{ store: EventStore; tenant: string | null }> {
  if (options.tenant === undefined) return { store, tenant: storeTenant(store.context) };
  const tenant = await options.tenant(c);
  if (tenant === undefined) throw refused("No tenant could be taken from the authentication");
  if (tenant === null) return { store, tenant: null };
  const canonical = canonicalTenant(tenant);
  return { store: store.withContext({ tenant: canonical }), tenant: String(canonical) };
}

/**
 * The access check of a router.
 *
 * @param store the router's store (without a tenant when a tenant resolver is set)
 * @param options the router's options
 * @returns the check: resolves what the request may see, or throws a `FORBIDDEN` problem
 * @throws {TypeError} a tenant resolver with a store that already has a tenant
 */
export function createAccess(
  store: EventStore,
  options: EventsRouterOptions,
): (c: Context, ask: AccessAsk) => Promise<Allowed> {
  if (options.tenant !== undefined && store.context.tenant !== undefined && store.context.tenant !== null) {
    throw new TypeError("With a tenant resolver, give eventsRouter a store without a tenant");
  }
  visibleFields(options.publicFields, undefined); // a misspelt public field fails here, not per request
  return async (c, ask) => {
    const scoped = await resolveTenant(c, store, options);
    const replay = ask.operation === "replay";
    if (replay && ask.replayTenant !== undefined && options.tenant !== undefined) {
      throw validationError("tenant comes from the authentication, never from the request", "tenant", "scope");
    }
    const request: AccessRequest = Object.freeze({
      operation: ask.operation,
      replayStep: ask.replayStep ?? null,
      resource: ask.resource ?? null,
      recordId: ask.recordId ?? null,
      action: ask.action ?? null,
      tenant: replay && options.tenant === undefined ? ask.replayTenant ?? null : scoped.tenant,
    });
    if (options.authorize === undefined) {
      if (ask.operation !== "metadata") {
        throw refused("This router has no authorize option: it serves metadata only");
      }
      return { ...scoped, visible: visibleFields(options.publicFields, undefined) };
    }
    const grant = grantOf(await options.authorize(c as never, request));
    if (grant === undefined) throw refused("Not allowed");
    if (replay && grant.replay !== true) {
      throw refused("Replay needs a grant with replay: true from authorize");
    }
    const visible = visibleFields(options.publicFields, grant.fields);
    if (ask.operation === "verify" && grant.verify !== true) {
      throw refused("Verification needs a grant with verify: true from authorize");
    }
    if (ask.operation !== "action") return { ...scoped, visible };
    if (grant.action !== true) throw refused("Actions need a grant with action: true from authorize");
    return grant.actor === undefined ? { ...scoped, visible } : { ...scoped, visible, actor: grant.actor };
  };
}
