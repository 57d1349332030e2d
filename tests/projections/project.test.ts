// project(), rebuildProjection(), projectionStatus() and inline projections over every
// executor: batches in feed order, status and lag, rebuild from zero, independent
// projections, tenant scopes, a throwing handler, and an inline read model written in the
// action's own request.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  defineProjection,
  type EventStore,
  isEdgeEventsError,
  project,
  projectionStatus,
  rebuildProjection,
  sql,
} from "../../mod.ts";
import { describeEachExecutor, needing } from "../support/each-executor.ts";
import { prefixedTables, projectResource } from "../support/models.ts";
import { logPastHorizon } from "../support/store-helpers.ts";
import { createEventStore, defineEventLog, ref } from "../../mod.ts";
import {
  createReadModel,
  expectedTotals,
  type ProjectionModel,
  projectionModel,
  readModel,
  storeOf,
  totalsProjection,
  writeEvents,
} from "./projection-model.ts";

describeEachExecutor("projections", {}, (fx) => {
  let m: ProjectionModel;
  let store: EventStore;
  before(async () => {
    m = projectionModel(fx.schema, "pj");
    store = storeOf(fx.db, m);
    await store.migrate({ resourceTables: true });
    await createReadModel(fx.db, m.totals, m.applied);
    await writeEvents(store, m, "a", 3, 7); // 10 events
  });

  test("project() applies every event once, in batches, and a second run finds nothing", async () => {
    const totals = totalsProjection("totals", m.totals, m.applied);
    const first = await project(store, totals, { batchSize: 4 });
    assert.deepEqual([first.events, first.handled, first.batches, first.caughtUp], [10, 10, 3, true]);
    const model = await readModel(fx.db, m.totals, m.applied, "totals");
    assert.deepEqual(model, { applications: 10, distinct: 10, totals: expectedTotals("a", 3, 7) });
    const again = await project(store, totals);
    assert.deepEqual([again.events, again.batches, again.caughtUp], [0, 0, true]);
    const status = await projectionStatus(store, totals);
    assert.equal(status.started, true);
    assert.equal(status.lag, 0n);
    assert.equal(status.events, 10n);
    assert.equal(status.position, first.position);
    // The position and time reached the read model as SQL values of the event.
    const [last] = (await fx.db.query({
      text: `SELECT max(position) AS p FROM ${fx.schema}.pj_events WHERE action = 'deposit'`,
      params: [],
    })).rows;
    const stored = (await fx.db.query({ text: `SELECT max(last_position) AS p FROM ${m.totals}`, params: [] }))
      .rows[0]!;
    assert.equal(stored["p"], last!["p"]);
    // The status cursor continues the store's feed after the checkpoint.
    const page = await store.readFeed({ after: status.cursor });
    assert.deepEqual(page.events, []);
  });

  test("projectionStatus() counts the lag of a projection that has not run, and independent projections progress apart", async () => {
    const a = totalsProjection("ind-a", `${m.totals}`, m.applied);
    const other = defineProjection({
      name: "ind-b",
      handles: { "account.rename": (e) => sql`INSERT INTO ${ref(m.applied)} VALUES (${e.id}, 0, ${"ind-b"})` },
    });
    // The lag counts the events of the resources it handles, from the start of the feed.
    const before = await projectionStatus(store, other);
    assert.deepEqual([before.started, before.position, before.lag], [false, 0n, 10n]);
    await store.resource(m.Account).rename("a0", { owner: "z" });
    assert.equal((await projectionStatus(store, other)).lag, 11n);
    const run = await project(store, other);
    assert.deepEqual([run.events, run.handled], [11, 1]);
    const after = await projectionStatus(store, other);
    assert.deepEqual([after.started, after.lag, after.events], [true, 0n, 11n]);
    // "ind-a" never ran: its lag is every event of its resources, renames included.
    assert.equal((await projectionStatus(store, a)).lag, 11n);
    assert.equal((await readModel(fx.db, m.totals, m.applied, "ind-b")).applications, 1);
  });

  test("rebuildProjection() clears and applies everything again from the start", async () => {
    const totals = totalsProjection("totals", m.totals, m.applied);
    await project(store, totals);
    await fx.db.query({ text: `UPDATE ${m.totals} SET total = -1`, params: [] }); // damage
    const rebuilt = await rebuildProjection(store, totals, { batchSize: 3 });
    assert.equal(rebuilt.events, 11);
    const model = await readModel(fx.db, m.totals, m.applied, "totals");
    assert.deepEqual(model, { applications: 10, distinct: 10, totals: expectedTotals("a", 3, 7) });
    const status = await projectionStatus(store, totals);
    assert.ok(status.rebuiltAt instanceof Date);
    assert.equal(status.events, 11n);
  });

  test("a handler that throws is a PROJECTION_FAILED naming the event, and its batch commits nothing", async () => {
    const events = await store.readEvents({ resource: "account", limit: 100 });
    const bad = events.filter((e) => e.action === "deposit")[4]!; // the 8th event of the log
    const failing = totalsProjection("failing", `${fx.schema}.pj_totals2`, m.applied, { fail: (id) => id === bad.id });
    await fx.db.query({
      text: `CREATE TABLE ${fx.schema}.pj_totals2 (LIKE ${m.totals})`,
      params: [],
    });
    const error = await project(store, failing, { batchSize: 3 }).catch((e: unknown) => e);
    assert.ok(isEdgeEventsError(error, "PROJECTION_FAILED"), String(error));
    assert.equal(error.projection, "failing");
    assert.equal(error.eventId, bad.id);
    assert.equal(error.position, bad.position);
    assert.equal(`${error.resource}.${error.action}`, "account.deposit");
    assert.equal((error.cause as Error).message, "handler refused the event");
    // Two batches (6 events) committed; the third, holding the bad event, did not.
    const status = await projectionStatus(store, failing);
    assert.equal(status.events, 6n);
    assert.equal((await readModel(fx.db, `${fx.schema}.pj_totals2`, m.applied, "failing")).applications, 6);
  });

  test("a tenant store follows its tenant's feed; an allTenants projection follows all, on unscoped stores only", async () => {
    const t = prefixedTables(fx.schema, "pt");
    const log = defineEventLog({ table: t("events"), lock: { scope: "tenant" } });
    const Project = projectResource(t("projects"));
    const base = createEventStore({ db: fx.db, log, resources: [Project] });
    await base.migrate({ resourceTables: true });
    await fx.db.query({ text: `CREATE TABLE ${t("titles")} (id text, org text, title text)`, params: [] });
    const titles = (allTenants: boolean) =>
      defineProjection({
        name: allTenants ? "all-titles" : "titles",
        allTenants,
        handles: {
          "project.start": (e) =>
            sql`INSERT INTO ${ref(t("titles"))} VALUES (${e.recordId}, ${e.tenant}, ${String(e.data["title"])})`,
        },
      });
    const acme = base.withContext({ tenant: "acme" });
    const globex = base.withContext({ tenant: "globex" });
    await acme.resource(Project).start({ title: "a1" });
    await acme.resource(Project).start({ title: "a2" });
    await globex.resource(Project).start({ title: "g1" });
    // Under the tenant scope the feed stops at the cluster's visibility horizon: a transaction
    // of another suite still open on the same Postgres holds these events back (the documented
    // lag). Wait until all of them are below it; then every count below is exact.
    await logPastHorizon(fx.db, t("events"));
    const one = await project(acme, titles(false));
    assert.equal(one.events, 2);
    assert.equal((await projectionStatus(globex, titles(false))).lag, 1n);
    await assert.rejects(project(acme, titles(true)), TypeError);
    const all = await project(base, titles(true));
    assert.equal(all.events, 3, "every tenant, from its own checkpoint");
    // acme's two titles from the tenant projection, and each title once from the all-tenants one.
    const rows = (await fx.db.query({
      text: `SELECT org, count(*)::int AS n FROM ${t("titles")} GROUP BY org ORDER BY org`,
      params: [],
    })).rows;
    assert.deepEqual(rows, [{ org: "acme", n: 4 }, { org: "globex", n: 1 }]);
  });

  test("definitions refuse bad names, keys, handlers and options; statements must be sql fragments", async () => {
    const handles = { "account.open": () => sql`SELECT 1` };
    assert.throws(() => defineProjection({ name: "bad name", handles }), TypeError);
    assert.throws(() => defineProjection({ name: "x", handles: { "open": () => sql`SELECT 1` } }), TypeError);
    assert.throws(() => defineProjection({ name: "x", handles: {} }), TypeError);
    assert.throws(() => defineProjection({ name: "x", handles, inlne: true } as never), TypeError);
    assert.throws(
      () =>
        createEventStore({
          db: fx.db,
          log: m.log,
          resources: [],
          projections: [defineProjection({ name: "x", handles })] as never,
        }),
      TypeError,
    );
    const raw = defineProjection({
      name: "raw",
      handles: { "account.open": () => ({ kind: "sql-fragment", strings: ["DROP TABLE x"], values: [] }) as never },
    });
    const error = await project(store, raw).catch((e: unknown) => e);
    assert.ok(isEdgeEventsError(error, "PROJECTION_FAILED"));
    await assert.rejects(project(store, raw, { batchSize: 0 }), RangeError);
  });
});

describeEachExecutor("inline projections", {}, (fx) => {
  let m: ProjectionModel;
  let store: EventStore;
  const name = "inline-totals";
  before(async () => {
    m = projectionModel(fx.schema, "pi");
    const inline = totalsProjection(name, m.totals, m.applied, { inline: true }) as never;
    store = storeOf(fx.db, m, [inline]);
    await store.migrate({ resourceTables: true });
    await createReadModel(fx.db, m.totals, m.applied);
  });

  test("an inline projection's statements commit in the action's own request", needing(fx, []), async () => {
    await store.resource(m.Account).open({ id: "b0", owner: "o0" });
    const sent = fx.requests();
    const { event } = await store.resource(m.Account).deposit("b0", { amount: 5 });
    if (sent !== undefined) assert.equal(fx.requests(), sent + 1, "one request for the action and its read model");
    const row = (await fx.db.query({
      text: `SELECT deposits, total::text AS total, last_position, last_at FROM ${m.totals}`,
      params: [],
    })).rows[0]!;
    assert.deepEqual([row["deposits"], row["total"], row["last_position"]], [1, "5", event!.position]);
    assert.equal((row["last_at"] as Date).getTime(), event!.occurredAt.getTime());
    assert.equal((await readModel(fx.db, m.totals, m.applied, name)).applications, 2);
  });

  test("a throwing inline handler fails the action before anything is sent", async () => {
    const failing = totalsProjection("inline-fail", m.totals, m.applied, { inline: true, fail: () => true }) as never;
    const strict = storeOf(fx.db, m, [failing]);
    const sent = fx.requests();
    const error = await strict.resource(m.Account).deposit("b0", { amount: 7 }).catch((e: unknown) => e);
    assert.ok(isEdgeEventsError(error, "PROJECTION_FAILED"));
    assert.equal(error.position, undefined);
    if (sent !== undefined) assert.equal(fx.requests(), sent);
    const events = await store.readEvents({ resource: "account", recordId: "b0" });
    assert.equal(events.length, 2, "no event written");
  });

  test("rebuildProjection() rebuilds an inline read model from the log", async () => {
    await fx.db.query({ text: `DELETE FROM ${m.totals}`, params: [] });
    const inline = totalsProjection(name, m.totals, m.applied, { inline: true });
    await rebuildProjection(store, inline);
    assert.deepEqual((await readModel(fx.db, m.totals, m.applied, name)).totals, [{
      id: "b0",
      deposits: 1,
      total: "5",
    }]);
  });
});
