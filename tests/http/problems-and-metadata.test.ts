// The router's answers that need no database: the code-to-status table, problem+json shapes
// (exact keys; no SQL, parameter or message of an unknown error), 503 with Retry-After while a
// replay fences writes, the metadata document (resources, actions with JSON Schema inputs,
// actor types, replay routes, no table names) and the OpenAPI 3.1 document generated from the
// same schemas, and the router's own option checks.
// The JSON documents are walked by key, as a client would:
// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Hono } from "hono";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type Executor,
  ReplayInProgressError,
  StorageError,
  ValidationError,
} from "../../mod.ts";
import { eventsRouter, problemOf, statusOf } from "../../src/http/mod.ts";
import { problemResponse } from "../../src/http/problem.ts";
import { assertProblem, call } from "./router-fixture.ts";

const failing: Executor = {
  kind: "failing",
  query: () =>
    Promise.reject(new StorageError('relation "secret_schema.events" SELECT $1 failed', { sqlState: "42P01" })),
  batch: () => Promise.reject(new StorageError("batch failed")),
};

function store(db: Executor = failing) {
  const log = defineEventLog({
    table: "private_schema.events",
    actors: { user: { column: "user_id", type: "uuid" } },
    replayOverrides: [{ resource: "todo", action: "make", versions: [1], routeTo: [["todo", "add"]] }],
  });
  const Todo = defineResource({
    name: "todo",
    table: "private_schema.todos",
    attributes: v.object({ id: v.string(), title: v.string(), done: v.boolean() }),
    actions: ({ create, update }) => ({
      add: create({
        input: v.object({ title: v.pipe(v.string(), v.minLength(1)) }),
        defaults: { done: false },
        version: 2,
      }),
      complete: update({ set: () => ({ done: true }) }),
      make: create({ input: v.object({ name: v.string() }), ignored: true }),
    }),
  });
  return createEventStore({ db, log, resources: [Todo] });
}

describe("problem+json", () => {
  test("the table: 400/422, 403, 404, 409, 501, 503, 500", () => {
    assert.equal(statusOf("VALIDATION_FAILED"), 400);
    assert.equal(statusOf("VALIDATION_FAILED", "body"), 422);
    assert.equal(statusOf("FORBIDDEN"), 403);
    assert.equal(statusOf("NOT_FOUND"), 404);
    for (const code of ["CONFLICT", "REPLAY_ALREADY_RUNNING", "REPLAY_CONFLICT", "REPLAY_FAILED"] as const) {
      assert.equal(statusOf(code), 409);
    }
    assert.equal(statusOf("REPLAY_IN_PROGRESS"), 503);
    assert.equal(statusOf("REPLAY_NOT_CONFIGURED"), 501);
    assert.equal(statusOf("INTERNAL_ERROR"), 500);
  });

  test("a validation problem carries its issues (path, message, kind) and nothing else", () => {
    const error = new ValidationError("Invalid input", [{
      path: "title",
      message: "Invalid length",
      kind: "min_length",
    }]);
    assert.deepEqual(problemOf(error, "body"), {
      type: "about:blank",
      title: "Unprocessable Content",
      status: 422,
      detail: "Invalid input",
      code: "VALIDATION_FAILED",
      issues: [{ path: "title", message: "Invalid length", kind: "min_length" }],
    });
  });

  test("REPLAY_IN_PROGRESS is 503 with Retry-After; unknown errors are a generic 500 without their message", () => {
    const fenced = problemResponse(problemOf(new ReplayInProgressError()), 7);
    assert.equal(fenced.status, 503);
    assert.equal(fenced.headers.get("Retry-After"), "7");
    assert.equal(fenced.headers.get("Content-Type"), "application/problem+json");
    const unknown = problemOf(new Error("connection postgres://user:pw@host failed at SELECT 1"));
    assert.deepEqual(unknown, {
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      detail: "An unexpected error occurred",
      code: "INTERNAL_ERROR",
    });
  });

  test("a storage failure is a 503 that names no SQL, table or parameter; onError sees the error", async () => {
    const errors: unknown[] = [];
    const app = new Hono().route(
      "/events",
      eventsRouter(store(), { authorize: () => true, onError: (e) => errors.push(e) }),
    );
    const answer = await call(app, "/events/audit");
    assertProblem(answer, 503, "STORAGE_FAILURE");
    assert.doesNotMatch(answer.text, /secret_schema|SELECT|\$1|42P01/);
    assert.equal(errors.length, 1);
  });
});

describe("metadata and OpenAPI", () => {
  const app = new Hono().route("/events", eventsRouter(store()));

  test("/metadata lists resources, actions with JSON Schema inputs, actor types, replay routes; no table names", async () => {
    const answer = await call(app, "/events/metadata");
    assert.equal(answer.status, 200);
    const body = answer.body as {
      resources: {
        name: string;
        actions: { name: string; type: string; version: number; ignored: boolean; input: any }[];
      }[];
      actors: unknown;
      replayRoutes: unknown;
      log: { lockScope: string };
    };
    const [todo] = body.resources;
    assert.equal(todo?.name, "todo");
    const add = todo!.actions.find((a) => a.name === "add")!;
    assert.deepEqual([add.type, add.version, add.ignored], ["create", 2, false]);
    assert.equal(add.input.type, "object");
    assert.deepEqual(add.input.properties.title, { type: "string", minLength: 1 });
    assert.equal(todo!.actions.find((a) => a.name === "make")?.ignored, true);
    assert.deepEqual(body.actors, [{ type: "user", idType: "uuid" }]);
    assert.deepEqual(body.replayRoutes, [
      { resource: "todo", action: "make", versions: [1], routeTo: [{ resource: "todo", action: "add" }] },
    ]);
    assert.equal(body.log.lockScope, "global");
    assert.doesNotMatch(answer.text, /private_schema|user_id/);
  });

  test("/openapi.json is OpenAPI 3.1 with every route, its parameters from the valibot schemas", async () => {
    const answer = await call(app, "/events/openapi.json");
    const doc = answer.body as { openapi: string; servers: { url: string }[]; paths: Record<string, any> };
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(doc.servers, [{ url: "/events" }]);
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      "/audit",
      "/feed",
      "/feed/stream",
      "/metadata",
      "/openapi.json",
      "/replay",
      "/replay/abort",
      "/replay/continue",
      "/summary",
      "/verify",
      "/{resource}/{id}/diff",
      "/{resource}/{id}/history",
      "/{resource}/{id}/state",
      "/{resource}/{id}/timeline",
    ]);
    const history = doc.paths["/{resource}/{id}/history"].get;
    const names = history.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    assert.deepEqual(names, [
      "path:resource",
      "path:id",
      "query:cursor",
      "query:limit",
      "query:direction",
      "header:If-None-Match",
    ]);
    const summary = doc.paths["/summary"].get.parameters;
    assert.deepEqual(summary.filter((p: { required: boolean }) => p.required).map((p: { name: string }) => p.name), [
      "from",
      "to",
    ]);
    assert.ok(doc.paths["/replay"].post.requestBody.content["application/json"].schema.properties.untilEventId);
    assert.ok(doc.paths["/replay"].post.responses["422"]);
  });
});

describe("options", () => {
  test("limits out of range, unknown public fields and a tenant resolver over a tenant store are refused at creation", () => {
    assert.throws(() => eventsRouter(store(), { limits: { maxPageSize: 5000 } }), RangeError);
    assert.throws(() => eventsRouter(store(), { limits: { maxPageSize: 10, defaultPageSize: 20 } }), RangeError);
    assert.throws(() => eventsRouter(store(), { publicFields: ["password" as never] }), TypeError);
    assert.throws(() => eventsRouter(store().withContext({ tenant: "acme" }), { tenant: () => "acme" }), TypeError);
  });
});
