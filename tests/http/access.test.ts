// Who may read what through the router, on every executor: default deny (no authorize:
// metadata only), authorize's refusals, replay refused under a blanket `() => true`, tenant
// isolation whatever the query says (hostile tenant parameters, another tenant's record ids,
// cursors of another tenant), and the protected fields (payloads, actor, records) hidden
// unless publicFields or the grant shows them.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Hono } from "hono";
import type { EventStore } from "../../mod.ts";
import { eventsRouter } from "../../src/http/mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { appOf, as, assertProblem, call, issuePaths, notesOf, post, routerStore } from "./router-fixture.ts";

const ACME = { user: "u1", org: "acme" };
const GLOBEX = { user: "u2", org: "globex" };

describeEachExecutor("eventsRouter access", {}, (fx) => {
  let store: EventStore;
  let acmeNote: string;
  let globexNote: string;

  before(async () => {
    store = (await routerStore(fx.db, fx.schema)).store;
    const acme = notesOf(store, "acme", "u1");
    acmeNote = await acme.write("acme plan", "s1");
    await acme.edit(acmeNote, "acme plan v2");
    globexNote = await notesOf(store, "globex", "u2").write("globex plan", "s2");
  });

  test("without authorize only /metadata and /openapi.json are served; every other route is 403", async () => {
    const app = new Hono().route("/events", eventsRouter(store));
    assert.equal((await call(app, "/events/metadata")).status, 200);
    assert.equal((await call(app, "/events/openapi.json")).status, 200);
    for (const path of [`/events/note/${acmeNote}/history`, "/events/audit", "/events/feed", "/events/replay"]) {
      assertProblem(await call(app, path), 403, "FORBIDDEN");
    }
    assertProblem(await call(app, "/events/replay", post({})), 403, "FORBIDDEN");
    assertProblem(await call(app, "/events/replay/abort", post({})), 403, "FORBIDDEN");
  });

  test("authorize refusing (false, a thrown error, an unknown answer) is 403, 500 without the message, 403", async () => {
    const deny = new Hono().route("/events", eventsRouter(store, { tenant: () => "acme", authorize: () => false }));
    assertProblem(await call(deny, `/events/note/${acmeNote}/history`), 403, "FORBIDDEN");
    const errors: unknown[] = [];
    const throwing = new Hono().route(
      "/events",
      eventsRouter(store, {
        authorize: () => {
          throw new Error("token db password=hunter2");
        },
        onError: (error) => errors.push(error),
      }),
    );
    const answer = await call(throwing, "/events/audit");
    assertProblem(answer, 500, "INTERNAL_ERROR");
    assert.doesNotMatch(answer.text, /hunter2|token/);
    assert.equal(errors.length, 1);
    const odd = new Hono().route(
      "/events",
      eventsRouter(store, { tenant: () => "acme", authorize: () => "yes" as unknown as boolean }),
    );
    assertProblem(await call(odd, "/events/audit"), 403, "FORBIDDEN");
  });

  test("authorize is asked with the operation, resource, record and the tenant of the authentication", async () => {
    const { app, asked } = appOf(store);
    await call(app, `/events/note/${acmeNote}/history`, { headers: as(ACME) });
    assert.deepEqual(asked.at(-1), {
      operation: "history",
      replayStep: null,
      resource: "note",
      recordId: acmeNote,
      action: null,
      tenant: "acme",
    });
  });

  test("a blanket () => true allows reads but never replay: replay needs { replay: true }", async () => {
    const open = new Hono().route("/events", eventsRouter(store, { tenant: () => "acme", authorize: () => true }));
    assert.equal((await call(open, "/events/audit")).status, 200);
    assertProblem(await call(open, "/events/replay"), 403, "FORBIDDEN");
    assertProblem(await call(open, "/events/replay", post({ dryRun: true })), 403, "FORBIDDEN");
    assertProblem(await call(open, "/events/replay/continue", post({ cursor: "x" })), 403, "FORBIDDEN");
    assertProblem(await call(open, "/events/replay/abort", post({})), 403, "FORBIDDEN");
    const { app } = appOf(store);
    assertProblem(await call(app, "/events/replay", post({ dryRun: true }, as(ACME))), 403, "FORBIDDEN");
  });

  test("a tenant parameter is refused (400, path tenant) on every read, never trusted", async () => {
    const { app } = appOf(store);
    for (
      const path of [
        `/events/note/${globexNote}/history?tenant=globex`,
        "/events/audit?tenant=globex",
        "/events/summary?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&tenant=globex",
        "/events/feed?tenant=globex",
        "/events/feed/stream?tenant=globex",
        `/events/note/${globexNote}/state?position=99&tenant=globex`,
      ]
    ) {
      const answer = await call(app, path, { headers: as(ACME) });
      assertProblem(answer, 400, "VALIDATION_FAILED");
      assert.deepEqual(issuePaths(answer), ["tenant"]);
    }
    const replay = await call(
      app,
      "/events/replay",
      post({ tenant: "globex", dryRun: true }, as({ ...ACME, admin: true })),
    );
    assertProblem(replay, 422, "VALIDATION_FAILED");
  });

  test("a tenant never sees another tenant's events: records are 404, audit and feed hold only its own", async () => {
    const { app } = appOf(store);
    for (const op of ["history", "timeline", "state?position=999999", "diff?fromPosition=0&toPosition=999999"]) {
      assertProblem(await call(app, `/events/note/${globexNote}/${op}`, { headers: as(ACME) }), 404, "NOT_FOUND");
    }
    const audit = await call(app, "/events/audit", { headers: as(ACME) });
    const tenants = (audit.body as { events: { tenant: string }[] }).events.map((e) => e.tenant);
    assert.deepEqual(tenants, ["acme", "acme"]);
    const feed = await call(app, "/events/feed", { headers: as(GLOBEX) });
    assert.deepEqual((feed.body as { events: { tenant: string }[] }).events.map((e) => e.tenant), ["globex"]);
    // A cursor of acme's audit is refused on globex's (it is bound to its tenant).
    const page = await call(app, "/events/audit?limit=1", { headers: as(ACME) });
    const cursor = (page.body as { cursor: string }).cursor;
    const stolen = await call(app, `/events/audit?limit=1&cursor=${encodeURIComponent(cursor)}`, {
      headers: as(GLOBEX),
    });
    assertProblem(stolen, 400, "VALIDATION_FAILED");
    assert.deepEqual(issuePaths(stolen), ["cursor"]);
  });

  test("without a resolved tenant (resolver answers undefined) the request is 403", async () => {
    const app = new Hono().route("/events", eventsRouter(store, { tenant: () => undefined, authorize: () => true }));
    assertProblem(await call(app, "/events/audit"), 403, "FORBIDDEN");
  });

  describe("protected fields", () => {
    test("by default events carry no data, changes, metadata or actor, and states no record", async () => {
      const { app } = appOf(store);
      const history = await call(app, `/events/note/${acmeNote}/history`, { headers: as(ACME) });
      const [event] = (history.body as { events: Record<string, unknown>[] }).events;
      assert.deepEqual(Object.keys(event!).sort(), [
        "action",
        "actionType",
        "causationId",
        "correlationId",
        "id",
        "occurredAt",
        "parentId",
        "position",
        "recordId",
        "resource",
        "tenant",
        "version",
      ]);
      assert.doesNotMatch(history.text, /acme plan|s1|u1/);
      const state = await call(app, `/events/note/${acmeNote}/state?position=999999`, { headers: as(ACME) });
      assert.equal((state.body as { status: string }).status, "exists");
      assert.equal("record" in (state.body as object), false);
      const diff = await call(app, `/events/note/${acmeNote}/diff?fromPosition=0&toPosition=999999`, {
        headers: as(ACME),
      });
      assert.doesNotMatch(diff.text, /acme plan|s1/);
      const timeline = await call(app, `/events/note/${acmeNote}/timeline`, { headers: as(ACME) });
      assert.doesNotMatch(timeline.text, /acme plan|s1|u1/);
      const summary = await call(
        app,
        "/events/summary?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
        { headers: as(ACME) },
      );
      assert.deepEqual((summary.body as { byActor: unknown }).byActor, [{ actor: { type: "user" }, count: 2 }]);
      assertProblem(
        await call(app, "/events/audit?actorType=user&actorId=u1", { headers: as(ACME) }),
        403,
        "FORBIDDEN",
      );
    });

    test("a grant with fields: 'all' sees them; publicFields shows some to every allowed caller", async () => {
      const { app } = appOf(store);
      const admin = await call(app, `/events/note/${acmeNote}/history`, { headers: as({ ...ACME, admin: true }) });
      const [event] = (admin.body as { events: Record<string, unknown>[] }).events;
      assert.deepEqual(event!["data"], { text: "acme plan", secret: "s1" });
      assert.deepEqual(event!["actor"], { type: "user", id: "u1" });
      const { app: partial } = appOf(store, { publicFields: ["actor"] });
      const seen = await call(partial, `/events/note/${acmeNote}/history`, { headers: as(ACME) });
      const [first] = (seen.body as { events: Record<string, unknown>[] }).events;
      assert.deepEqual(first!["actor"], { type: "user", id: "u1" });
      assert.equal("data" in first!, false);
    });
  });
});
