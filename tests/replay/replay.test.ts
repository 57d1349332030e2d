// Full and bounded replay on every executor: tables rebuilt identically (row by row, to the
// microsecond), hooks silent, no new events, prefixes by event id and by time, tenant
// replay, the clear strategies, the result counts, and round trips that grow with pages.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  ref,
  replay,
  ReplayAlreadyRunningError,
  replayStatus,
  replayStep,
  sql,
} from "../../mod.ts";
import type { ReplayConfig } from "../../src/replay/replay-types.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import {
  ACCOUNT_ENTRIES,
  DEPOSIT_INPUT,
  depositSet,
  prefixedTables,
  projectResource,
  TIMESTAMP_ENTRIES,
} from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";
import { replayStatuses, snapshot, tickingClock } from "./replay-helpers.ts";

interface HookCounts {
  before: number;
  after: number;
}

function model_(schema: string, prefix: string, hooks: HookCounts) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events"), actors: { user: { column: "user_id", type: "text" } } });
  const Role = defineResource({
    name: "role",
    table: t("roles"),
    attributes: v.object({ id: v.string(), userId: v.string(), role: v.string() }),
    actions: ({ create, destroy }) => ({
      grant: create({ input: v.object({ userId: v.string(), role: v.string() }) }),
      revoke: destroy(),
    }),
  });
  const User = defineResource({
    name: "user",
    table: t("users"),
    primaryKey: { attribute: "id", generate: "uuidv7" },
    attributes: v.object({
      id: v.pipe(v.string(), v.uuid()),
      email: v.string(),
      name: v.string(),
      joinedAt: v.optional(v.date()),
    }),
    timestamps: { createdAt: "joinedAt" },
    actions: ({ create, update }) => ({
      register: create({
        input: v.object({ email: v.string(), name: v.string() }),
        before: (attributes) => {
          hooks.before++;
          return { ...attributes, email: (attributes.email ?? "").toLowerCase() };
        },
        after: async (user, { store }) => {
          hooks.after++;
          await store.resource(Role).grant({ userId: user.id, role: "member" });
        },
      }),
      rename: update({ input: v.object({ name: v.string() }), after: () => void hooks.after++ }),
    }),
  });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    attributes: v.object({
      ...ACCOUNT_ENTRIES,
      points: v.optional(v.bigint()),
      tags: v.optional(v.array(v.string())),
      seenAt: v.optional(v.date()),
      ...TIMESTAMP_ENTRIES,
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({
        input: v.object({ owner: v.string(), tags: v.optional(v.array(v.string())) }),
        defaults: { balance: 100, points: 0n },
        change: (input) => ({ label: input.owner.toUpperCase() }),
      }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      award: update({
        input: v.object({ points: v.number() }),
        set: ({ points }) => ({ points: sql`${ref("points")} + ${BigInt(points)}` }),
      }),
      touch: update({ set: () => ({ seenAt: sql`clock_timestamp()` }) }),
      bump: update({
        change: (record) => ({ balance: record.balance * 2, status: record.balance > 150 ? "frozen" : "open" }),
      }),
      close: destroy({ soft: "deletedAt" }),
      remove: destroy(),
    }),
  });
  const Project = projectResource(t("projects"));
  return {
    log,
    Role,
    User,
    Account,
    Project,
    tables: [t("roles"), t("users"), t("accounts"), t("projects")] as const,
    events: t("events"),
  };
}

type Model = ReturnType<typeof model_>;

/** Live traffic over every kind of write; returns the events it wrote, in order. */
async function traffic(store: EventStore, m: Model): Promise<void> {
  const users = store.resource(m.User);
  const accounts = store.resource(m.Account);
  const projects = store.resource(m.Project);
  const ada = await users.register({ email: "Ada@Example.COM", name: "Ada" }, { actor: { user: "u-1" } });
  await users.rename(ada.record.id, { name: "Ada L." });
  await users.register({ email: "bob@example.com", name: "Bob" });
  const a = await accounts.open({ owner: "ann", tags: ["vip", "early"] });
  const b = await accounts.open({ owner: "ben" });
  const c = await accounts.open({ owner: "cat" });
  const d = await accounts.open({ owner: "dan" });
  await accounts.deposit(a.record.id, { amount: 12.5 });
  await accounts.award(a.record.id, { points: 7 });
  await accounts.bump(a.record.id);
  await accounts.touch(a.record.id);
  await accounts.rename(b.record.id, { owner: "benedict" });
  await accounts.deposit(b.record.id, { amount: -30 });
  await accounts.close(c.record.id);
  await accounts.remove(d.record.id);
  await store.transaction((tx) => {
    const e = tx.resource(m.Account).open({ owner: "eve" });
    tx.resource(m.Account).deposit(e.recordId, { amount: 1 });
  });
  const p = await projects.start({ title: "alpha" }, { tenant: "org-a" });
  await projects.start({ title: "beta" }, { tenant: "org-b" });
  await projects.retitle(p.record.id, { title: "alpha 2" }, { tenant: "org-a" });
  const q = await projects.start({ title: "gamma" }, { tenant: "org-a" });
  await projects.drop(q.record.id, {}, { tenant: "org-a" });
}

describeEachExecutor("replay", {}, (fx) => {
  let prefixes = 0;
  const hooks: HookCounts = { before: 0, after: 0 };
  // One model with live traffic, shared by the tests that only need "some history"; each
  // of them leaves the tables as the log describes them.
  let m: Model;
  let store: EventStore;

  const storeOver = (model: Model, replay: ReplayConfig | null): EventStore =>
    createEventStore({
      db: fx.db,
      log: model.log,
      resources: [model.Role, model.User, model.Account, model.Project],
      clock: tickingClock(),
      ...(replay === null ? {} : { replay }),
    });
  const fresh = async (): Promise<{ m: Model; store: EventStore }> => {
    const model = model_(fx.schema, `r${++prefixes}`, hooks);
    const created = storeOver(model, { clear: "tracked-tables" });
    await created.migrate({ resourceTables: true });
    return { m: model, store: created };
  };
  const state = (model: Model = m): Promise<Record<string, string[]>> => snapshot(fx.db, model.tables);
  const statuses = (model: Model = m): Promise<Record<string, number>> =>
    replayStatuses(fx.db, `${model.events}_replay`);

  before(async () => {
    ({ m, store } = await fresh());
    await traffic(store, m);
  });

  test("a full replay rebuilds every table identically, without hooks and without new events", async () => {
    const live = await state();
    const eventsBefore = await snapshot(fx.db, [m.events]);
    assert.equal(live[m.tables[0]!]!.length, 2, "the after hook granted a role per registration");
    const hooksBefore = { ...hooks };
    const runs = (await statuses()).completed ?? 0;

    const result = await replay(store);

    assert.deepEqual(await state(), live);
    assert.deepEqual(hooks, hooksBefore, "no before or after hook ran");
    assert.deepEqual(await snapshot(fx.db, [m.events]), eventsBefore, "the log is untouched");
    const count = eventsBefore[m.events]!.length;
    assert.equal(result.done, true);
    assert.equal(result.dryRun, false);
    assert.equal(result.applied, count);
    assert.equal(result.skipped, 0);
    assert.equal(result.routed, 0);
    assert.deepEqual(result.skippedEvents, []);
    assert.equal(result.lastPosition, BigInt(count));
    assert.equal(result.targetPosition, BigInt(count));
    assert.equal(result.remaining, 0);
    assert.deepEqual(await statuses(), { completed: runs + 1 });
  });

  test("a replay after the tables were damaged by hand restores the live state", async () => {
    const live = await state();
    const [roles, users, accounts] = m.tables;
    await fx.db.batch([
      { text: `DELETE FROM ${roles}`, params: [] },
      { text: `UPDATE ${users} SET name = 'mallory'`, params: [] },
      { text: `INSERT INTO ${accounts} (id, owner, status, balance) VALUES ('stray', 'x', 'open', 1)`, params: [] },
    ]);
    assert.notDeepEqual(await state(), live);
    await replay(store);
    assert.deepEqual(await state(), live);
  });

  test("replay up to an event id gives exactly the state right after that event", async () => {
    const { m, store } = await fresh();
    const accounts = store.resource(m.Account);
    const points: { id: string; state: Record<string, string[]> }[] = [];
    const note = async (result: { event: { id: string } | null }): Promise<void> => {
      points.push({ id: result.event!.id, state: await state(m) });
    };
    const a = await accounts.open({ owner: "ann" });
    await note(a);
    await note(await accounts.deposit(a.record.id, { amount: 5 }));
    const b = await accounts.open({ owner: "ben", tags: ["x"] });
    await note(b);
    await note(await accounts.bump(a.record.id));
    await note(await accounts.award(b.record.id, { points: 3 }));
    await note(await accounts.touch(b.record.id));
    await note(await accounts.close(a.record.id));
    await note(await accounts.rename(b.record.id, { owner: "bert" }));
    await note(await accounts.remove(b.record.id));
    await note(await store.resource(m.Project).start({ title: "p" }, { tenant: "org-a" }));

    for (const [i, point] of points.entries()) {
      const result = await replay(store, { untilEventId: point.id, pageSize: 3 });
      assert.equal(result.applied, i + 1, `events applied up to event ${i + 1}`);
      assert.deepEqual(await state(m), point.state, `state right after event ${i + 1}`);
    }
  });

  test("replay up to a time gives exactly the state right after the last event at or before it", async () => {
    const { m, store } = await fresh();
    const accounts = store.resource(m.Account);
    const points: { at: Date; state: Record<string, string[]> }[] = [];
    const note = async (result: { event: { occurredAt: Date } | null }): Promise<void> => {
      points.push({ at: result.event!.occurredAt, state: await state(m) });
    };
    const a = await accounts.open({ owner: "ann" });
    await note(a);
    await note(await accounts.deposit(a.record.id, { amount: 5 }));
    await note(await accounts.rename(a.record.id, { owner: "anna" }));
    await note(await accounts.bump(a.record.id));
    await note(await accounts.close(a.record.id));

    for (const [i, point] of points.entries()) {
      const exact = await replay(store, { untilTime: point.at });
      assert.equal(exact.applied, i + 1);
      assert.deepEqual(await state(m), point.state, `state at the time of event ${i + 1}`);
      // Half a second later is still before the next event (the clock ticks by one second).
      await replay(store, { untilTime: new Date(point.at.getTime() + 500) });
      assert.deepEqual(await state(m), point.state, `state half a second after event ${i + 1}`);
    }
    const none = await replay(store, { untilTime: new Date(points[0]!.at.getTime() - 1) });
    assert.equal(none.applied, 0);
    assert.deepEqual(Object.values(await state(m)).flat(), [], "before the first event, nothing exists");
  });

  test("an untilEventId that names no event is refused before the fence goes up", async () => {
    const live = await state();
    const runs = await statuses();
    await rejectsWith(replay(store, { untilEventId: "01J00000000000000000000000" }), "VALIDATION_FAILED");
    assert.deepEqual(await statuses(), runs);
    assert.deepEqual(await state(), live);
  });

  test("a tenant replay rebuilds only that tenant's rows and leaves other tenants and other resources alone", async () => {
    await store.resource(m.Project).start({ title: "delta" }, { tenant: "org-b" });
    const live = await state();
    const [, users, accounts, projects] = m.tables;
    await fx.db.batch([
      { text: `UPDATE ${projects} SET title = title || ' (damaged)'`, params: [] },
      { text: `UPDATE ${accounts} SET owner = 'damaged'`, params: [] },
      { text: `DELETE FROM ${users}`, params: [] },
    ]);
    const damaged = await state();

    const result = await replay(store, { tenant: "org-a" });

    const orgAEvents = await countRows(fx.db, `${m.events} WHERE tenant = 'org-a'`);
    assert.equal(result.applied, orgAEvents);
    const now = await state();
    const orgA = (rows: string[]): string[] => rows.filter((row) => row.includes('"org_id": "org-a"'));
    const orgB = (rows: string[]): string[] => rows.filter((row) => row.includes('"org_id": "org-b"'));
    assert.ok(orgA(live[projects]!).length > 0);
    assert.deepEqual(orgA(now[projects]!), orgA(live[projects]!), "org-a is rebuilt");
    assert.deepEqual(orgB(now[projects]!), orgB(damaged[projects]!), "org-b is untouched");
    assert.ok(orgB(now[projects]!).every((row) => row.includes("(damaged)")));
    assert.deepEqual(now[accounts], damaged[accounts], "resources without tenants are untouched");
    assert.deepEqual(now[users], damaged[users]);

    await replay(store);
    assert.deepEqual(await state(), live, "a full replay repairs the rest");
  });

  test("while a tenant replay runs, that tenant's writes are refused and other tenants' writes go through", async () => {
    const step = await replayStep(store, { tenant: "org-a", budgetMs: 1, pageSize: 1 });
    assert.equal(step.done, false);
    const projects = store.resource(m.Project);
    await rejectsWith(projects.start({ title: "refused" }, { tenant: "org-a" }), "REPLAY_IN_PROGRESS");
    const b = await projects.start({ title: "fine" }, { tenant: "org-b" });
    assert.equal(b.record.title, "fine");
    await store.resource(m.Account).open({ owner: "untenanted" });
    const cursor = step.replayId;
    let done = false;
    for (let i = 0; i < 50 && !done; i++) {
      const next = await replayStep(store, { cursor, budgetMs: 1 });
      assert.equal(next.replayId, cursor);
      done = next.done;
    }
    assert.equal(done, true);
    assert.equal((await statuses()).running, undefined);
    await projects.start({ title: "after" }, { tenant: "org-a" });
  });

  test("a replay asked for while another runs fails with REPLAY_ALREADY_RUNNING, starts and clears nothing, and the running one goes on", async () => {
    const { m: model, store: own } = await fresh();
    await traffic(own, model);
    const step = await replayStep(own, { tenant: "org-a", budgetMs: 1, pageSize: 1 });
    assert.equal(step.done, false);
    const half = await state(model);
    const running = await replayStatus(own);
    for (
      const attempt of [
        () => replay(own),
        () => replay(own, { tenant: "org-b" }),
        () => replayStep(own, { budgetMs: 1000 }),
      ]
    ) {
      const error = await rejectsWith(attempt(), "REPLAY_ALREADY_RUNNING");
      assert.ok(error instanceof ReplayAlreadyRunningError);
      assert.equal(error.name, "ReplayAlreadyRunningError");
      assert.equal(isEdgeEventsError(error, "REPLAY_FAILED"), false, "not the code of an event that failed");
      assert.match(error.message, /Another replay is running/);
    }
    assert.deepEqual(await statuses(model), { running: 1 });
    assert.deepEqual(await state(model), half, "nothing was cleared");
    assert.deepEqual(await replayStatus(own), running, "the running replay is untouched");
    const done = await replay(own, { resume: true });
    assert.equal(done.replayId, step.replayId);
    await rejectsWith(replay(own, { resume: true }), "REPLAY_FAILED");
  });

  test("replayStatus() describes the running replay, else the last one started, or one by id, and is null before any", async () => {
    const { m: model, store: own } = await fresh();
    assert.equal(await replayStatus(own), null);
    await traffic(own, model);
    const step = await replayStep(own, { tenant: "org-a", budgetMs: 1, pageSize: 1 });
    const running = await replayStatus(own);
    assert.ok(running !== null);
    const { startedAt, updatedAt, ...rest } = running;
    assert.ok(startedAt instanceof Date && updatedAt instanceof Date);
    assert.ok(updatedAt.getTime() >= startedAt.getTime());
    assert.deepEqual(rest, {
      replayId: step.replayId,
      status: "running",
      tenant: "org-a",
      untilEventId: null,
      untilTime: null,
      onError: "stop",
      pageSize: 1,
      targetPosition: step.targetPosition,
      lastPosition: step.lastPosition,
      applied: step.applied,
      skipped: 0,
      routed: 0,
      eventsInScope: step.applied + step.skipped + step.remaining,
      finishedAt: null,
      error: null,
    });
    assert.equal(typeof running.targetPosition, "bigint");
    const done = await replay(own, { resume: true });
    const completed = await replayStatus(own);
    assert.equal(completed?.status, "completed");
    assert.equal(completed?.replayId, step.replayId);
    assert.equal(completed?.lastPosition, done.lastPosition);
    assert.equal(completed?.applied, done.applied);
    assert.ok(completed?.finishedAt instanceof Date);

    const untilTime = new Date("2024-03-01T09:00:05.123Z");
    const second = await replay(own, { untilTime, onError: "skip", pageSize: 3 });
    const last = await replayStatus(own);
    assert.equal(last?.replayId, second.replayId, "the last one started");
    assert.deepEqual([last?.status, last?.tenant, last?.untilTime, last?.onError, last?.pageSize], [
      "completed",
      null,
      untilTime,
      "skip",
      3,
    ]);
    assert.equal(last?.targetPosition, second.targetPosition);
    assert.deepEqual(await replayStatus(own, { replayId: step.replayId }), completed, "one by id");
    assert.equal(await replayStatus(own, { replayId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }), null);
  });

  test("without a clear strategy, replay throws REPLAY_NOT_CONFIGURED and touches nothing", async () => {
    const unconfigured = storeOver(m, null);
    const live = await state();
    const runs = await statuses();
    const sent = fx.requests();
    const error = await rejectsWith(replay(unconfigured), "REPLAY_NOT_CONFIGURED");
    assert.match(error.message, /clear/);
    await rejectsWith(replayStep(unconfigured, { budgetMs: 1000 }), "REPLAY_NOT_CONFIGURED");
    await rejectsWith(replay(unconfigured, { tenant: "org-a" }), "REPLAY_NOT_CONFIGURED");
    if (sent !== undefined) assert.equal(fx.requests(), sent, "nothing was sent");
    assert.deepEqual(await state(), live);
    assert.deepEqual(await statuses(), runs);
    await unconfigured.resource(m.Account).open({ owner: "still writable" });
  });

  test("a custom clear function is called with the tenant, the executor and the resources, then events are applied", async () => {
    const calls: { tenant: string | null; resources: string[] }[] = [];
    const custom = storeOver(m, {
      clear: async ({ db, tenant, resources }) => {
        calls.push({ tenant, resources: resources.map((r) => r.name) });
        const projects = m.tables[3]!;
        if (tenant === null) await db.batch(m.tables.map((table) => ({ text: `DELETE FROM ${table}`, params: [] })));
        else await db.query({ text: `DELETE FROM ${projects} WHERE org_id = $1`, params: [tenant] });
      },
    });
    const live = await state();
    await fx.db.query({ text: `UPDATE ${m.tables[3]} SET title = 'damaged'`, params: [] });

    await replay(custom, { tenant: "org-a" });
    const orgB = (rows: string[]): string[] => rows.filter((row) => row.includes('"org_id": "org-b"'));
    assert.ok(orgB((await state())[m.tables[3]!]!).every((row) => row.includes('"damaged"')), "org-b was not cleared");
    await replay(custom);
    assert.deepEqual(await state(), live);
    assert.deepEqual(calls, [
      { tenant: "org-a", resources: ["role", "user", "account", "project"] },
      { tenant: null, resources: ["role", "user", "account", "project"] },
    ]);
  });

  test("a dry run reports what a replay would apply and writes nothing", async () => {
    const live = await state();
    const runs = await statuses();
    const count = await countRows(fx.db, m.events);
    const result = await replay(store, { dryRun: true, pageSize: 4 });
    assert.equal(result.dryRun, true);
    assert.equal(result.done, true);
    assert.equal(result.applied, count);
    assert.equal(result.skipped, 0);
    assert.equal(result.pages, Math.ceil(count / 4));
    assert.deepEqual(await state(), live);
    assert.deepEqual(await statuses(), runs);
  });

  test("round trips grow with pages, not with events", async () => {
    const { m, store } = await fresh();
    for (let batch = 0; batch < 10; batch++) {
      await store.transaction((tx) => {
        for (let i = 0; i < 100; i++) tx.resource(m.Account).open({ owner: `owner ${batch}-${i}` });
      });
    }
    const live = await state(m);
    assert.equal(live[m.tables[2]!]!.length, 1000);

    const sentBefore = fx.requests();
    const coarse = await replay(store, { pageSize: 250 });
    const sentCoarse = fx.requests();
    assert.equal(coarse.applied, 1000);
    assert.equal(coarse.pages, 4);
    assert.ok(coarse.roundTrips <= 2 * coarse.pages + 4, `${coarse.roundTrips} round trips for ${coarse.pages} pages`);
    if (sentCoarse !== undefined) {
      assert.equal(sentCoarse - sentBefore!, coarse.roundTrips, "every round trip is one HTTP request");
    }
    assert.deepEqual(await state(m), live);

    const sentFine = fx.requests();
    const fine = await replay(store, { pageSize: 100 });
    const sentAfter = fx.requests();
    assert.equal(fine.pages, 10);
    assert.ok(fine.roundTrips <= 2 * fine.pages + 4);
    assert.equal(
      fine.roundTrips - coarse.roundTrips,
      2 * (fine.pages - coarse.pages),
      "two round trips per page, one read and one write",
    );
    if (sentFine !== undefined) {
      assert.equal(sentAfter! - sentFine, fine.roundTrips, "every round trip is one HTTP request");
    }
    assert.deepEqual(await state(m), live);
  });
});
