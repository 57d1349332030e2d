/**
 * `GET /metadata`: what the store tracks, for clients and tools: resources and their actions
 * (type, version, ignored, aliases, input as JSON Schema from the same valibot schema the write
 * path validates with), actor types, the replay routes of old event versions, and the safe part
 * of the log's configuration (the lock scope, the page sizes, the public fields). Table and
 * column names, lock keys and clocks stay out: they describe the database, not the API.
 * @module
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type { ActionDefinition } from "../core/action.ts";
import type { EventLog } from "../core/event-log.ts";
import type { AnyResource } from "../core/resource.ts";
import type { AnySchema } from "../core/validation.ts";
import type { RouterContext } from "./route-module.ts";
import { PROTECTED_FIELDS } from "./router-types.ts";

/** A valibot schema as JSON Schema (draft 2020-12); what JSON Schema cannot say is left out. */
export function jsonSchemaOf(schema: AnySchema): Record<string, unknown> {
  return toJsonSchema(schema as never, { target: "draft-2020-12", errorMode: "ignore", typeMode: "input" }) as Record<
    string,
    unknown
  >;
}

function lockScope(log: EventLog): "global" | "tenant" | "custom" {
  return "scope" in log.lock ? log.lock.scope : "custom";
}

function resourceMetadata(resource: AnyResource) {
  return {
    name: resource.name,
    multiTenant: resource.tenant !== undefined,
    eventOnly: resource.table === null,
    primaryKey: resource.primaryKey.attribute,
    attributes: jsonSchemaOf(resource.attributes),
    actions: Object.entries(resource.actions as Record<string, ActionDefinition>).map(([name, action]) => ({
      name,
      type: action.type,
      version: action.version,
      ignored: action.ignored,
      aliases: action.aliases,
      input: jsonSchemaOf(action.input),
    })),
  };
}

/**
 * The metadata document of a router.
 *
 * @param router the router's store, options and limits
 * @returns a JSON-safe document
 */
export function metadataOf(router: RouterContext): Record<string, unknown> {
  const { log } = router.store;
  const publicFields = router.options.publicFields;
  return {
    resources: [...router.store.resources.values()].map(resourceMetadata),
    actors: Object.entries(log.actors).map(([type, actor]) => ({ type, idType: actor.type })),
    replayRoutes: log.replayOverrides.map((o) => ({
      resource: o.resource,
      action: o.action,
      versions: o.versions,
      routeTo: o.routeTo.map(([resource, action]) => ({ resource, action })),
    })),
    log: {
      lockScope: lockScope(log),
      maxPageSize: router.limits.max,
      defaultPageSize: router.limits.default,
      maxFeedPageSize: router.limits.maxFeed,
      protectedFields: PROTECTED_FIELDS,
      publicFields: publicFields === "all" ? PROTECTED_FIELDS : publicFields ?? [],
    },
  };
}
