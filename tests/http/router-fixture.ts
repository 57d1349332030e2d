/**
 * The model and helpers of the router suites: notes of two tenants (acme, globex) and tags
 * without a tenant, a store per fixture, `call()` over `app.request()` and the callers the
 * tests act as (a header names the user; the tenant comes from it, never from the query).
 * @module
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import * as v from "valibot";
import {
  type AnyResource,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventLog,
  type EventStore,
  type Executor,
} from "../../mod.ts";
import { type AccessRequest, eventsRouter, type EventsRouterOptions } from "../../src/http/mod.ts";

/** The definitions of the suites' model. */
export interface RouterModel {
  readonly log: EventLog;
  readonly Note: AnyResource;
  readonly Tag: AnyResource;
}

/** What the suites do to notes, as one caller of one tenant. */
export interface NoteWriter {
  /** A new note; its id. */
  write(text: string, secret?: string): Promise<string>;
  edit(id: string, text: string): Promise<void>;
  remove(id: string): Promise<void>;
}

/** The notes of `tenant`, written by `user`, on a store of the model. */
export function notesOf(store: EventStore, tenant: string, user: string): NoteWriter {
  const Note = store.resources.get("note") as ReturnType<typeof noteResource>;
  const notes = store.withContext({ tenant, actor: { user } }).resource(Note);
  return {
    write: async (text, secret) => (await notes.write(secret === undefined ? { text } : { text, secret })).record.id,
    edit: async (id, text) => void await notes.edit(id, { text }),
    remove: async (id) => void await notes.remove(id),
  };
}

function noteResource(schema: string) {
  return defineResource({
    name: "note",
    table: `${schema}.notes`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string(), secret: v.optional(v.string()) }),
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ text: v.pipe(v.string(), v.minLength(1)), secret: v.optional(v.string()) }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
      remove: destroy(),
    }),
  });
}

function tagResource(schema: string) {
  return defineResource({
    name: "tag",
    table: `${schema}.tags`,
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create }) => ({ add: create({ input: v.object({ label: v.string() }) }) }),
  });
}

/** The log, a multi-tenant `note` and a `tag` without a tenant, in `schema`. */
export function routerModel(schema: string): RouterModel {
  const log = defineEventLog({ table: `${schema}.events`, actors: { user: { column: "user_id", type: "text" } } });
  return { log, Note: noteResource(schema), Tag: tagResource(schema) };
}

/** A migrated store of the model over `db`. */
export async function routerStore(db: Executor, schema: string): Promise<{ store: EventStore } & RouterModel> {
  const model = routerModel(schema);
  const store = createEventStore({
    db,
    log: model.log,
    resources: [model.Note, model.Tag],
    replay: { clear: "tracked-tables", pageSize: 2 },
  });
  await store.migrate({ resourceTables: true });
  return { store, ...model };
}

/** Who a test acts as: `x-user` names the user, `x-org` its tenant, `x-admin` grants everything. */
export interface Caller {
  readonly user?: string;
  readonly org?: string;
  readonly admin?: boolean;
}

/** The headers of a caller. */
export function as(caller: Caller): Record<string, string> {
  const headers: Record<string, string> = {};
  if (caller.user !== undefined) headers["x-user"] = caller.user;
  if (caller.org !== undefined) headers["x-org"] = caller.org;
  if (caller.admin === true) headers["x-admin"] = "1";
  return headers;
}

/**
 * The app of the suites: the router at `/events`, tenant from `x-org`, reads for any user,
 * payloads and replay for admins. Every authorize request is recorded in `asked`.
 */
export function appOf(
  store: EventStore,
  extra: Partial<EventsRouterOptions> = {},
): { app: Hono; asked: AccessRequest[] } {
  const asked: AccessRequest[] = [];
  const app = new Hono();
  app.route(
    "/events",
    eventsRouter(store, {
      tenant: (c) => c.req.header("x-org") ?? null,
      authorize: (c, request) => {
        asked.push(request);
        if (c.req.header("x-user") === undefined) return false;
        const admin = c.req.header("x-admin") === "1";
        if (request.operation === "replay") return { replay: admin };
        return admin ? { fields: "all" } : true;
      },
      stream: { pollIntervalMs: 5, heartbeatMs: 60_000 },
      ...extra,
    }),
  );
  return { app, asked };
}

/** A response read whole. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** `app.request()`, the body read as JSON when it is JSON. */
export async function call(app: Hono, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await app.request(path, init);
  const text = await response.text();
  const type = response.headers.get("Content-Type") ?? "";
  const body = /json/.test(type) && text !== "" ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, body, text };
}

/** A POST with a JSON body. */
export function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/** The keys every problem has, and `issues` for validation. */
export function assertProblem(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.headers.get("Content-Type"), "application/problem+json");
  const body = answer.body as Record<string, unknown>;
  const keys = code === "VALIDATION_FAILED" && body["issues"] !== undefined
    ? ["code", "detail", "issues", "status", "title", "type"]
    : ["code", "detail", "status", "title", "type"];
  assert.deepEqual(Object.keys(body).sort(), keys);
  assert.equal(body["type"], "about:blank");
  assert.equal(body["status"], status);
  assert.equal(body["code"], code);
}

/** The `path`s of a validation problem's issues. */
export function issuePaths(answer: Answer): unknown[] {
  return ((answer.body as { issues?: { path?: string }[] }).issues ?? []).map((i) => i.path);
}
