/**
 * The OpenAPI 3.1 document of a router, generated from its route list: each route's path,
 * query and body schemas are the valibot schemas its validators run, turned into JSON Schema
 * by `@valibot/to-json-schema` (OpenAPI 3.1 schemas are JSON Schema 2020-12). Written here
 * rather than with `hono-openapi`: the routes are data already, so the document is one loop
 * over them, with one small dependency (the one metadata needs anyway) instead of four
 * packages and a describe-route middleware on every handler.
 * @module
 */
import { jsonSchemaOf } from "./metadata.ts";
import type { RouteDefinition } from "./route-module.ts";

const PROBLEM_SCHEMA = {
  type: "object",
  required: ["type", "title", "status", "detail", "code"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
    issues: {
      type: "array",
      items: {
        type: "object",
        required: ["message", "kind"],
        properties: { path: { type: "string" }, message: { type: "string" }, kind: { type: "string" } },
      },
    },
  },
};

const PROBLEM = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };

function parameters(route: RouteDefinition): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [["path", route.params], ["query", route.query]] as const) {
    if (schema === undefined) continue;
    const json = jsonSchemaOf(schema) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const required = where === "path" || (json.required ?? []).includes(name);
      out.push({ name, in: where, required, schema: property });
    }
  }
  if (route.response === "sse") {
    out.push({ name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } });
  }
  if (route.etag === true) {
    out.push({ name: "If-None-Match", in: "header", required: false, schema: { type: "string" } });
  }
  for (const header of route.headers ?? []) {
    out.push({
      name: header.name,
      in: "header",
      required: false,
      description: header.description,
      schema: { type: "string" },
    });
  }
  return out;
}

const ACTION_OK = {
  content: {
    "application/json": {
      schema: { type: "object", required: ["event"], properties: { record: { type: "object" }, event: {} } },
    },
  },
  headers: {
    ETag: { description: "The position of the event written, for the next If-Match", schema: { type: "string" } },
  },
};

function responses(route: RouteDefinition): Record<string, unknown> {
  const ok = route.response === "sse"
    ? { description: "Server-Sent Events: one `events` message per feed page", content: { "text/event-stream": {} } }
    : route.operation === "action"
    ? { description: route.status === 201 ? "Created" : "OK", ...ACTION_OK }
    : { description: "OK", content: { "application/json": { schema: { type: "object" } } } };
  const out: Record<string, unknown> = { [String(route.status ?? 200)]: ok };
  const body = route.body !== undefined || route.requestBody !== undefined;
  if (route.etag === true) out["304"] = { description: "Not modified (If-None-Match)" };
  if (route.operation === "action") out["400"] = { description: "Invalid path, header or JSON", content: PROBLEM };
  out[body ? "422" : "400"] = { description: "Invalid parameters", content: PROBLEM };
  if (body) out["415"] = { description: "The body is not application/json", content: PROBLEM };
  if (route.requestBody !== undefined) out["413"] = { description: "The body is too large", content: PROBLEM };
  out["403"] = { description: "Not allowed", content: PROBLEM };
  out["404"] = { description: "Unknown resource, record or replay", content: PROBLEM };
  if (route.operation === "replay") out["409"] = { description: "A replay conflict", content: PROBLEM };
  if (route.operation === "action") {
    out["409"] = { description: "A conflict: the record changed on every attempt, or was destroyed", content: PROBLEM };
    if (route.headers?.some((h) => h.name === "If-Match")) {
      out["412"] = { description: "If-Match is stale: nothing was written", content: PROBLEM };
    }
  }
  out["503"] = { description: "The database is unavailable, or a replay fences writes", content: PROBLEM };
  return out;
}

/**
 * The OpenAPI 3.1 document of `routes`.
 *
 * @param routes the router's routes
 * @param basePath where the router is mounted (the document's server URL)
 * @returns the document
 */
export function openApiDocument(routes: readonly RouteDefinition[], basePath: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const operation: Record<string, unknown> = {
      operationId: `${route.method.toLowerCase()}${
        path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, ch) => (ch ?? "").toUpperCase())
      }`,
      summary: route.summary,
      tags: [route.operation],
      parameters: parameters(route),
      responses: responses(route),
    };
    const body = route.body === undefined ? route.requestBody : jsonSchemaOf(route.body);
    if (body !== undefined) {
      operation["requestBody"] = { required: true, content: { "application/json": { schema: body } } };
    }
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: { title: "edge-events", version: "1" },
    servers: [{ url: basePath === "" ? "/" : basePath }],
    paths,
    components: { schemas: { Problem: PROBLEM_SCHEMA } },
  };
}
