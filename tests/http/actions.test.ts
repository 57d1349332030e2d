// Actions over HTTP on every executor: default deny and the explicit grant, 404 for unknown and
// unexposed actions and resources, the body ({ input, record? }) validated by the action's own
// schema (422 naming input.<field>), the tenant and actor from the authentication only,
// Idempotency-Key repeats, If-Match (fresh 200 with the new ETag, stale 412 writing nothing),
// the held record of a change-function update revived from JSON, hostile input (SQL
// metacharacters, 413, 415, 400), the OpenAPI document; and over neon() and the local server,
// a held-record update is one HTTP request.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Hono } from "hono";
import * as v from "valibot";
import {
  abortReplay,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  newEventId,
  replayStep,
} from "../../mod.ts";
import { type AccessRequest, eventsRouter, type EventsRouterOptions } from "../../src/http/mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { depositSet, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { countRows } from "../support/store-helpers.ts";
import { type Answer, assertProblem, call, issuePaths } from "./router-fixture.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events`, actors: { user: { column: "user_id", type: "text" } } });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    tenant: "org",
    attributes: v.object({
      id: v.string(),
      org: v.string(),
      owner: v.string(),
      balance: v.pipe(v.number(), v.minValue(0, "Insufficient funds")),
      credit: v.bigint(),
      ...TIMESTAMP_ENTRIES,
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({
        input: v.object({ owner: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) }),
        defaults: { balance: 0, credit: 0n },
      }),
      deposit: update({ input: v.object({ amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }), set: depositSet }),
      withdraw: update({
        input: v.object({ amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
        change: (account, { amount }) => ({ balance: account.balance - amount }),
      }),
      raise: update({ change: (account) => ({ credit: account.credit + 1000n }) }),
      close: destroy({ soft: "deletedAt" }),
      freeze: update({ change: () => ({ owner: "frozen" }) }),
    }),
  });
  return { log, Account };
}

const EXPOSED = { account: ["open", "deposit", "withdraw", "raise", "close"] };

/** Who a test acts as: `x-user`, `x-org`; `x-no-act` asks for a grant without `action`. */
function as(user: string | undefined, org?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(user === undefined ? {} : { "x-user": user }),
    ...(org === undefined ? {} : { "x-org": org }),
    ...extra,
  };
}

function appOf(store: EventStore, extra: Partial<EventsRouterOptions> = {}) {
  const asked: AccessRequest[] = [];
  const errors: unknown[] = [];
  const app = new Hono().route(
    "/events",
    eventsRouter(store, {
      tenant: (c) => c.req.header("x-org") ?? null,
      actions: EXPOSED,
      authorize: (c, request) => {
        asked.push(request);
        const user = c.req.header("x-user");
        if (user === undefined) return false;
        if (request.operation !== "action") return { fields: "all" };
        if (c.req.header("x-no-act") === "1") return { fields: "all" };
        return { action: true, actor: { user }, fields: "all" };
      },
      onError: (error) => errors.push(error),
      ...extra,
    }),
  );
  return { app, asked, errors };
}

function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) };
}

interface ActionAnswer {
  readonly record?: Record<string, unknown>;
  readonly event: { id: string; position: string; recordId: string; actor?: unknown; tenant: string | null };
}

const body = (answer: Answer) => answer.body as ActionAnswer;

describeEachExecutor("actions over HTTP", {}, (fx) => {
  let store: EventStore;
  let m: ReturnType<typeof model>;
  let app: Hono;
  let asked: AccessRequest[];
  let errors: unknown[];
  const events = () => countRows(fx.db, `${fx.schema}.events`);

  const open = async (owner: string, org = "acme", headers: Record<string, string> = {}) => {
    const answer = await call(
      app,
      "/events/account/open",
      postJson({ input: { owner } }, { ...as("ada", org), ...headers }),
    );
    assert.equal(answer.status, 201, answer.text);
    return answer;
  };

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account], replay: { clear: "tracked-tables" } });
    await store.migrate({ resourceTables: true });
    ({ app, asked, errors } = appOf(store));
  });

  describe("who may act", () => {
    test("without authorize, or without an actions option, no action is served", async () => {
      const bare = new Hono().route("/events", eventsRouter(store, { actions: EXPOSED }));
      assertProblem(await call(bare, "/events/account/open", postJson({ input: { owner: "x" } })), 403, "FORBIDDEN");
      const none = new Hono().route(
        "/events",
        eventsRouter(store, { tenant: () => "acme", authorize: () => ({ action: true }) }),
      );
      assertProblem(await call(none, "/events/account/open", postJson({ input: { owner: "x" } })), 404, "NOT_FOUND");
      assert.equal(await events(), 0);
    });

    test("a blanket () => true, or a grant without action: true, never allows an action", async () => {
      const open = new Hono().route(
        "/events",
        eventsRouter(store, { tenant: () => "acme", actions: EXPOSED, authorize: () => true }),
      );
      assertProblem(await call(open, "/events/account/open", postJson({ input: { owner: "x" } })), 403, "FORBIDDEN");
      const answer = await call(
        app,
        "/events/account/open",
        postJson({ input: { owner: "x" } }, as("ada", "acme", { "x-no-act": "1" })),
      );
      assertProblem(answer, 403, "FORBIDDEN");
      assertProblem(await call(app, "/events/account/open", postJson({ input: { owner: "x" } })), 403, "FORBIDDEN");
      assert.equal(await events(), 0);
    });

    test("the actions option is checked when the router is made; a predicate exposes what it accepts", async () => {
      assert.throws(() => eventsRouter(store, { actions: { nothing: ["open"] } }), /unknown resource "nothing"/);
      assert.throws(() => eventsRouter(store, { actions: { account: ["nothing"] } }), /unknown action "nothing"/);
      const Replay = defineResource({
        name: "replay",
        table: `${fx.schema}.replays`,
        attributes: v.object({ id: v.string() }),
        actions: ({ create }) => ({ continue: create() }),
      });
      const Spaced = defineResource({
        name: "my account",
        table: `${fx.schema}.spaced`,
        attributes: v.object({ id: v.string() }),
        actions: ({ create }) => ({ open: create() }),
      });
      const odd = createEventStore({ db: fx.db, log: m.log, resources: [Replay, Spaced] });
      assert.throws(() => eventsRouter(odd, { actions: { replay: ["continue"] } }), /POST \/replay\/continue/);
      assert.throws(
        () => eventsRouter(odd, { actions: () => true }),
        /The resource name "my account" cannot be served over HTTP/,
      );
      assert.throws(() => eventsRouter(odd, { actions: { "my account": ["open"] } }), /"my account" cannot be served/);
      const byPredicate = appOf(store, { actions: (_resource, action) => action === "open" }).app;
      assert.equal(
        (await call(byPredicate, "/events/account/open", postJson({ input: { owner: "p" } }, as("ada", "acme"))))
          .status,
        201,
      );
      const id = body(await open("q")).event.recordId;
      const deposit = await call(
        byPredicate,
        `/events/account/${id}/deposit`,
        postJson({ input: { amount: 1 } }, as("ada", "acme")),
      );
      assertProblem(deposit, 404, "NOT_FOUND");
    });

    test("authorize is asked with operation action, the resource, the record, the action and the tenant", async () => {
      const opened = body(await open("ann"));
      assert.deepEqual(asked.at(-1), {
        operation: "action",
        replayStep: null,
        resource: "account",
        recordId: null,
        action: "open",
        tenant: "acme",
      });
      await call(
        app,
        `/events/account/${opened.event.recordId}/deposit`,
        postJson({ input: { amount: 5 } }, as("ada", "acme")),
      );
      assert.deepEqual(asked.at(-1), {
        operation: "action",
        replayStep: null,
        resource: "account",
        recordId: opened.event.recordId,
        action: "deposit",
        tenant: "acme",
      });
    });

    test("unknown resources and actions, and actions not exposed, are 404 and write nothing", async () => {
      const { event } = body(await open("bo"));
      const before = await events();
      const paths = [
        "/events/nothing/open",
        "/events/account/nothing",
        `/events/account/${event.recordId}/nothing`,
        `/events/account/${event.recordId}/freeze`, // defined, not exposed
        `/events/account/${event.recordId}/open`, // a create, not an update
        "/events/account/deposit", // an update, not a create
      ];
      for (const path of paths) assertProblem(await call(app, path, postJson({}, as("ada", "acme"))), 404, "NOT_FOUND");
      assert.equal(await events(), before);
    });

    test("the actor and tenant come from the authentication: a body tenant or actor is 422, another tenant's record 404", async () => {
      const { event, record } = body(await open("cy"));
      assert.equal(record!["org"], "acme");
      assert.deepEqual(event.actor, { type: "user", id: "ada" });
      const before = await events();
      for (const extra of [{ tenant: "globex" }, { actor: { user: "mallory" } }, { org: "globex" }]) {
        const answer = await call(
          app,
          "/events/account/open",
          postJson({ input: { owner: "x" }, ...extra }, as("ada", "acme")),
        );
        assertProblem(answer, 422, "VALIDATION_FAILED");
        assert.deepEqual(issuePaths(answer), Object.keys(extra));
      }
      // An input key naming the tenant attribute is dropped by the input schema; the row is still acme's.
      const smuggled = body(
        await call(app, "/events/account/open", postJson({ input: { owner: "x", org: "globex" } }, as("ada", "acme"))),
      );
      assert.equal(smuggled.record!["org"], "acme");
      assert.equal(smuggled.event.tenant, "acme");
      const other = await call(
        app,
        `/events/account/${event.recordId}/deposit`,
        postJson({ input: { amount: 1 } }, as("eve", "globex")),
      );
      assertProblem(other, 404, "NOT_FOUND");
      const query = await call(
        app,
        `/events/account/${event.recordId}/deposit?tenant=acme`,
        postJson({ input: { amount: 1 } }, as("eve", "globex")),
      );
      assertProblem(query, 400, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(query), ["tenant"]);
      assert.equal(await events(), before + 1);
      const anonymous = await call(app, "/events/account/open", postJson({ input: { owner: "x" } }, as("ada")));
      assertProblem(anonymous, 403, "FORBIDDEN"); // a multi-tenant resource and no tenant from the authentication
    });

    test("an actor the log does not declare is a 500 for the server's log, not the client's 422", async () => {
      const bad = appOf(store, { authorize: () => ({ action: true, actor: { robot: "r2" } }) });
      const answer = await call(
        bad.app,
        "/events/account/open",
        postJson({ input: { owner: "x" } }, as("ada", "acme")),
      );
      assertProblem(answer, 500, "INTERNAL_ERROR");
      assert.equal(bad.errors.length, 1);
    });
  });

  describe("what an action answers", () => {
    test("a create is 201 with the record, the event (position as a string) and the ETag of its position", async () => {
      const answer = await open("dee");
      const { record, event } = body(answer);
      assert.equal(answer.headers.get("ETag"), `"${event.position}"`);
      assert.match(event.position, /^[0-9]+$/);
      assert.equal(record!["owner"], "dee");
      assert.equal(record!["credit"], "0");
      assert.equal(record!["id"], event.recordId);
      assert.equal(answer.headers.get("Cache-Control"), "no-store");
    });

    test("a caller that does not see records gets the event without the record or its payloads", async () => {
      const plain = appOf(store, { authorize: (c) => c.req.header("x-user") !== undefined && { action: true } });
      const answer = await call(
        plain.app,
        "/events/account/open",
        postJson({ input: { owner: "eli" } }, as("ada", "acme")),
      );
      assert.equal(answer.status, 201);
      assert.deepEqual(Object.keys(answer.body as object), ["event"]);
      assert.equal("data" in body(answer).event, false);
      assert.equal(body(answer).event.actor, undefined);
    });

    test("the body is validated by the action's own schema: 422 naming input.<field>, nothing written", async () => {
      const { event } = body(await open("fay"));
      const before = await events();
      const cases: [string, unknown, string[]][] = [
        ["/events/account/open", { input: { owner: "" } }, ["input.owner"]],
        ["/events/account/open", { input: {} }, ["input.owner"]],
        ["/events/account/open", {}, ["input.owner"]],
        ["/events/account/open", { input: "owner" }, ["input"]],
        ["/events/account/open", [], ["(body)"]],
        [`/events/account/${event.recordId}/deposit`, { input: { amount: 1.5 } }, ["input.amount"]],
        [`/events/account/${event.recordId}/deposit`, { amount: 5 }, ["amount"]],
        [`/events/account/${event.recordId}/deposit`, { input: { amount: 5 }, record: {} }, ["record"]],
      ];
      for (const [path, sent, paths] of cases) {
        const answer = await call(app, path, postJson(sent, as("ada", "acme")));
        assertProblem(answer, 422, "VALIDATION_FAILED");
        assert.deepEqual(issuePaths(answer).map((p) => p ?? "(body)"), paths, path);
      }
      const overdrawn = await call(
        app,
        `/events/account/${event.recordId}/withdraw`,
        postJson({ input: { amount: 5 } }, as("ada", "acme")),
      );
      assertProblem(overdrawn, 422, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(overdrawn), ["balance"]);
      assert.equal(await events(), before);
    });

    test("updates and destroys are 200 with the new ETag; a destroyed record is then 404", async () => {
      const { event } = body(await open("gus"));
      const deposited = await call(
        app,
        `/events/account/${event.recordId}/deposit`,
        postJson({ input: { amount: 7 } }, as("ada", "acme")),
      );
      assert.equal(deposited.status, 200);
      assert.equal(body(deposited).record!["balance"], 7);
      assert.equal(deposited.headers.get("ETag"), `"${body(deposited).event.position}"`);
      const closed = await call(app, `/events/account/${event.recordId}/close`, postJson({}, as("ada", "acme")));
      assert.equal(closed.status, 200);
      assert.equal(typeof body(closed).record!["deletedAt"], "string");
      assertProblem(
        await call(
          app,
          `/events/account/${event.recordId}/deposit`,
          postJson({ input: { amount: 1 } }, as("ada", "acme")),
        ),
        404,
        "NOT_FOUND",
      );
    });
  });

  describe("Idempotency-Key and If-Match", () => {
    test("a repeated Idempotency-Key answers the first outcome with the same status and writes one event", async () => {
      const key = newEventId();
      const first = await open("hal", "acme", { "Idempotency-Key": key });
      const before = await events();
      const again = await open("hal", "acme", { "Idempotency-Key": `"${key}"` });
      assert.equal(again.status, 201);
      assert.equal(body(again).event.id, key);
      assert.deepEqual(body(again).event, body(first).event);
      assert.equal(again.headers.get("ETag"), first.headers.get("ETag"));
      assert.equal(again.headers.get("Idempotent-Replayed"), "true");
      assert.equal(first.headers.get("Idempotent-Replayed"), null);
      assert.equal(await events(), before);
      const id = body(first).event.recordId;
      const dep = newEventId();
      const d1 = await call(
        app,
        `/events/account/${id}/deposit`,
        postJson(
          { input: { amount: 3 } },
          as("ada", "acme", { "Idempotency-Key": dep, "If-Match": first.headers.get("ETag")! }),
        ),
      );
      const d2 = await call(
        app,
        `/events/account/${id}/deposit`,
        postJson(
          { input: { amount: 3 } },
          as("ada", "acme", { "Idempotency-Key": dep, "If-Match": first.headers.get("ETag")! }),
        ),
      );
      assert.equal(d1.status, 200);
      assert.equal(d2.status, 200, "a retried If-Match request with its key gets its result, not a 412");
      assert.deepEqual(body(d2).event, body(d1).event);
      assert.equal(body(d2).record!["balance"], 3);
      assert.equal(await events(), before + 1);
    });

    test("an Idempotency-Key that is no ULID is 400 naming it; one used by another request is 422", async () => {
      for (const key of ["abc", "01arz3ndektsv4rrffq69g5fav", "' OR 1=1 --", ""]) {
        const answer = await call(
          app,
          "/events/account/open",
          postJson({ input: { owner: "x" } }, as("ada", "acme", { "Idempotency-Key": key })),
        );
        assertProblem(answer, 400, "VALIDATION_FAILED");
        assert.deepEqual(issuePaths(answer), ["Idempotency-Key"]);
      }
      const key = newEventId();
      await open("ivy", "acme", { "Idempotency-Key": key });
      const before = await events();
      const reused = await call(
        app,
        "/events/account/open",
        postJson({ input: { owner: "other" } }, as("ada", "acme", { "Idempotency-Key": key })),
      );
      assertProblem(reused, 422, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(reused), ["Idempotency-Key"]);
      assert.equal(await events(), before);
    });

    test("If-Match fresh: 200 with the new ETag; stale: 412 STALE_RECORD and nothing written", async () => {
      const opened = await open("jo");
      const id = body(opened).event.recordId;
      const etag = opened.headers.get("ETag")!;
      const fresh = await call(
        app,
        `/events/account/${id}/deposit`,
        postJson({ input: { amount: 2 } }, as("ada", "acme", { "If-Match": etag })),
      );
      assert.equal(fresh.status, 200, fresh.text);
      const next = fresh.headers.get("ETag")!;
      assert.notEqual(next, etag);
      assert.equal(next, `"${body(fresh).event.position}"`);
      const before = await events();
      const stale = await call(
        app,
        `/events/account/${id}/deposit`,
        postJson({ input: { amount: 2 } }, as("ada", "acme", { "If-Match": etag })),
      );
      assertProblem(stale, 412, "STALE_RECORD");
      const staleClose = await call(
        app,
        `/events/account/${id}/close`,
        postJson({}, as("ada", "acme", { "If-Match": etag })),
      );
      assertProblem(staleClose, 412, "STALE_RECORD");
      assert.equal(await events(), before);
      const star = await call(
        app,
        `/events/account/${id}/deposit`,
        postJson({ input: { amount: 1 } }, as("ada", "acme", { "If-Match": "*" })),
      );
      assert.equal(star.status, 200);
    });

    test("If-Match that is no single strong position is 400 naming it; on a create too", async () => {
      const opened = await open("kim");
      const id = body(opened).event.recordId;
      const position = body(opened).event.position;
      const before = await events();
      for (
        const header of [
          position,
          `W/"${position}"`,
          `"${position}", "1"`,
          '"-1"',
          '"99999999999999999999"',
          '"1 OR 1=1"',
          '""',
        ]
      ) {
        const answer = await call(
          app,
          `/events/account/${id}/deposit`,
          postJson({ input: { amount: 1 } }, as("ada", "acme", { "If-Match": header })),
        );
        assertProblem(answer, 400, "VALIDATION_FAILED");
        assert.deepEqual(issuePaths(answer), ["If-Match"], header);
      }
      const create = await call(
        app,
        "/events/account/open",
        postJson({ input: { owner: "x" } }, as("ada", "acme", { "If-Match": `"${position}"` })),
      );
      assertProblem(create, 400, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(create), ["If-Match"]);
      assert.equal(await events(), before);
    });

    test("a change-function update takes the record held at If-Match, revived from JSON (dates, bigints)", async () => {
      const opened = await open("lu");
      const id = body(opened).event.recordId;
      const deposited = await call(
        app,
        `/events/account/${id}/deposit`,
        postJson({ input: { amount: 10 } }, as("ada", "acme")),
      );
      const held = body(deposited).record!;
      assert.equal(typeof held["updatedAt"], "string");
      const withdrawn = await call(
        app,
        `/events/account/${id}/withdraw`,
        postJson(
          { input: { amount: 4 }, record: held },
          as("ada", "acme", { "If-Match": deposited.headers.get("ETag")! }),
        ),
      );
      assert.equal(withdrawn.status, 200, withdrawn.text);
      assert.equal(body(withdrawn).record!["balance"], 6);
      const raised = await call(
        app,
        `/events/account/${id}/raise`,
        postJson({ record: body(withdrawn).record }, as("ada", "acme", { "If-Match": withdrawn.headers.get("ETag")! })),
      );
      assert.equal(raised.status, 200, raised.text);
      assert.equal(body(raised).record!["credit"], "1000");
    });

    test("a held record that is not the stored one is 412 and writes nothing; without If-Match it is 422", async () => {
      const opened = await open("mo");
      const id = body(opened).event.recordId;
      const etag = opened.headers.get("ETag")!;
      const forged = { ...body(opened).record!, balance: 1_000_000 };
      const before = await events();
      const answer = await call(
        app,
        `/events/account/${id}/withdraw`,
        postJson({ input: { amount: 5 }, record: forged }, as("ada", "acme", { "If-Match": etag })),
      );
      assertProblem(answer, 412, "STALE_RECORD");
      const invalid = { ...body(opened).record!, balance: "lots" };
      const bad = await call(
        app,
        `/events/account/${id}/withdraw`,
        postJson({ input: { amount: 5 }, record: invalid }, as("ada", "acme", { "If-Match": etag })),
      );
      assertProblem(bad, 422, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(bad), ["record.balance"]);
      const noMatch = await call(
        app,
        `/events/account/${id}/withdraw`,
        postJson({ input: { amount: 5 }, record: body(opened).record }, as("ada", "acme")),
      );
      assertProblem(noMatch, 422, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(noMatch), ["record"]);
      assert.equal(await events(), before);
    });
  });

  describe("hostile input", () => {
    test("SQL metacharacters in the path, input and headers are values or 4xx, never SQL", async () => {
      const hostile = "x'); DROP TABLE accounts; --";
      const created = await open(hostile);
      assert.equal(body(created).record!["owner"], hostile);
      const paths = [
        `/events/account/${encodeURIComponent("' OR 1=1 --")}/deposit`,
        `/events/account/${encodeURIComponent(hostile)}/deposit`,
      ];
      for (const path of paths) {
        assertProblem(await call(app, path, postJson({ input: { amount: 1 } }, as("ada", "acme"))), 404, "NOT_FOUND");
      }
      assert.equal(await countRows(fx.db, `${fx.schema}.accounts`) > 0, true);
    });

    test("a body over the limit is 413; not JSON is 415 or 400; text NUL in input is 422", async () => {
      const before = await events();
      const big = JSON.stringify({ input: { owner: "x".repeat(2_000_000) } });
      const huge = await call(app, "/events/account/open", {
        method: "POST",
        headers: { "Content-Type": "application/json", ...as("ada", "acme") },
        body: big,
      });
      assertProblem(huge, 413, "CONTENT_TOO_LARGE");
      const small = appOf(store, { limits: { maxBodyBytes: 1024 } });
      const over = await call(
        small.app,
        "/events/account/open",
        postJson({ input: { owner: "x".repeat(1100) } }, as("ada", "acme")),
      );
      assertProblem(over, 413, "CONTENT_TOO_LARGE");
      const form = await call(app, "/events/account/open", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", ...as("ada", "acme") },
        body: "owner=x",
      });
      assertProblem(form, 415, "UNSUPPORTED_MEDIA_TYPE");
      const none = await call(app, "/events/account/open", { method: "POST", headers: as("ada", "acme"), body: "{}" });
      assertProblem(none, 415, "UNSUPPORTED_MEDIA_TYPE");
      for (const text of ["{", "", '{"input": {"owner": "x"}} trailing']) {
        const answer = await call(app, "/events/account/open", {
          method: "POST",
          headers: { "Content-Type": "application/json", ...as("ada", "acme") },
          body: text,
        });
        assertProblem(answer, 400, "VALIDATION_FAILED");
      }
      const badUtf8 = await call(app, "/events/account/open", {
        method: "POST",
        headers: { "Content-Type": "application/json", ...as("ada", "acme") },
        body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      });
      assertProblem(badUtf8, 400, "VALIDATION_FAILED");
      const nul = await call(
        app,
        "/events/account/open",
        postJson({ input: { owner: "a\u0000b" } }, as("ada", "acme")),
      );
      assertProblem(nul, 422, "VALIDATION_FAILED");
      assert.equal(await events(), before);
    });
  });

  test("the OpenAPI document lists each exposed action with its input schema, headers and statuses", async () => {
    const doc = (await call(app, "/events/openapi.json", { headers: as("ada", "acme") })).body as {
      // deno-lint-ignore no-explicit-any
      paths: Record<string, Record<string, any>>;
    };
    const open = doc.paths["/account/open"]!["post"];
    assert.deepEqual(open.requestBody.content["application/json"].schema.properties.input.required, ["owner"]);
    assert.equal(open.requestBody.content["application/json"].schema.additionalProperties, false);
    assert.ok(open.responses["201"]);
    assert.deepEqual(open.parameters.map((p: { name: string }) => p.name), ["Idempotency-Key"]);
    const withdraw = doc.paths["/account/{id}/withdraw"]!["post"];
    assert.ok(withdraw.requestBody.content["application/json"].schema.properties.record);
    assert.deepEqual(withdraw.parameters.map((p: { name: string }) => p.name), ["id", "Idempotency-Key", "If-Match"]);
    for (const status of ["200", "400", "403", "404", "409", "412", "413", "415", "422", "503"]) {
      assert.ok(withdraw.responses[status], status);
    }
    assert.equal(
      doc.paths["/account/{id}/deposit"]!["post"].requestBody.content["application/json"].schema.properties.record,
      undefined,
    );
    assert.equal(doc.paths["/account/{id}/freeze"], undefined);
    assert.deepEqual(errors, []);
  });

  // Last: the replay clears the tables and is left aborted.
  test("while a replay fences writes an action is 503 with Retry-After, and nothing is written", async () => {
    await open("ned");
    await open("ola");
    const running = await replayStep(store, { budgetMs: 1, pageSize: 1 });
    assert.equal(running.done, false);
    const before = await events();
    const fenced = appOf(store, { replay: { retryAfterSeconds: 7 } });
    const answer = await call(
      fenced.app,
      "/events/account/open",
      postJson({ input: { owner: "x" } }, as("ada", "acme")),
    );
    assertProblem(answer, 503, "REPLAY_IN_PROGRESS");
    assert.equal(answer.headers.get("Retry-After"), "7");
    assert.equal(await events(), before);
    assert.equal(await abortReplay(store), true);
  });
});

describeEachExecutor("actions over HTTP: round trips", { needs: ["http-requests"] }, (fx) => {
  test("a change-function update whose client holds the record is one HTTP request at the server", async () => {
    const m = model(fx.schema);
    const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
    await store.migrate({ resourceTables: true });
    const { app } = appOf(store);
    const opened = await call(app, "/events/account/open", postJson({ input: { owner: "ro" } }, as("ada", "acme")));
    const id = body(opened).event.recordId;
    const deposited = await call(
      app,
      `/events/account/${id}/deposit`,
      postJson({ input: { amount: 9 } }, as("ada", "acme")),
    );
    const start = fx.requests()!;
    const withdrawn = await call(
      app,
      `/events/account/${id}/withdraw`,
      postJson(
        { input: { amount: 4 }, record: body(deposited).record },
        as("ada", "acme", { "If-Match": deposited.headers.get("ETag")! }),
      ),
    );
    assert.equal(fx.requests()! - start, 1);
    assert.equal(withdrawn.status, 200, withdrawn.text);
    assert.equal(body(withdrawn).record!["balance"], 5);
    const again = fx.requests()!;
    await call(app, `/events/account/${id}/withdraw`, postJson({ input: { amount: 1 } }, as("ada", "acme")));
    assert.equal(fx.requests()! - again, 2, "without the held record: the read, then the write");
  });
});
