// The read side of one record on every executor: history pages (both directions, cursors that
// tile the history exactly), stateAt (exists, not created, created later, soft and hard
// destroys, by time, event id and position), diff, timeline, previousEvents; events routed
// from other resources and away from this one; updates superseded by a later adoption;
// tenant confinement; bad input refused before anything is sent.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  adopt,
  createEventStore,
  defineEventLog,
  defineResource,
  diff,
  type EventStore,
  type Executor,
  history,
  previousEvents,
  stateAt,
  type StoredEvent,
  timeline,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { ACCOUNT_ENTRIES, DEPOSIT_INPUT, depositSet, projectResource, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { rejectsWith } from "../support/store-helpers.ts";
import { insertLegacyEvent, tickingClock } from "../replay/replay-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({
    table: `${schema}.events`,
    replayOverrides: [
      {
        resource: "member",
        action: "signup",
        versions: [1],
        routeTo: [["member", "importMember"], ["profile", "importProfile"]],
      },
      // The old app kept the bio on the member; it lives on the profile now.
      { resource: "member", action: "bio", versions: [1], routeTo: [["profile", "setBio"]] },
    ],
  });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    attributes: v.object({ ...ACCOUNT_ENTRIES, ...TIMESTAMP_ENTRIES }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      close: destroy({ soft: "deletedAt" }),
      remove: destroy(),
    }),
  });
  const Member = defineResource({
    name: "member",
    table: `${schema}.members`,
    attributes: v.object({ id: v.string(), name: v.string() }),
    actions: ({ create }) => ({
      signup: create({ input: v.object({ name: v.string() }), version: 2 }),
      importMember: create({ input: v.object({ name: v.string(), bio: v.string() }), accept: ["name"], ignored: true }),
    }),
  });
  const Profile = defineResource({
    name: "profile",
    table: `${schema}.profiles`,
    attributes: v.object({ id: v.string(), bio: v.string() }),
    actions: ({ create, update }) => ({
      importProfile: create({
        input: v.object({ name: v.string(), bio: v.string() }),
        map: (input) => ({ bio: input.bio }),
        ignored: true,
      }),
      setBio: update({ input: v.object({ bio: v.string() }) }),
    }),
  });
  const Project = projectResource(`${schema}.projects`);
  return { log, Account, Member, Profile, Project, events: `${schema}.events`, accounts: `${schema}.accounts` };
}

/** An executor that counts what is sent through it. */
function counting(db: Executor): { db: Executor; sent: () => number } {
  let sent = 0;
  return {
    sent: () => sent,
    db: {
      kind: db.kind,
      query: (s) => (sent++, db.query(s)),
      batch: (s, o) => (sent++, db.batch(s, o)),
    },
  };
}

const positions = (events: readonly StoredEvent[]) => events.map((e) => e.position);

describeEachExecutor("history, stateAt, diff, timeline, previousEvents", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  let wire: ReturnType<typeof counting>;
  /** The account `a`: open, rename, deposit x3, close (soft); `b`: open, remove (hard). */
  let a: string;
  let b: string;
  const aEvents: StoredEvent[] = [];
  const aRecords: Record<string, unknown>[] = [];
  let bOpen: StoredEvent;
  let bRemove: StoredEvent;
  let project: { id: string; events: StoredEvent[] };

  before(async () => {
    m = model(fx.schema);
    wire = counting(fx.db);
    store = createEventStore({
      db: wire.db,
      log: m.log,
      resources: [m.Account, m.Member, m.Profile, m.Project],
      clock: tickingClock(new Date("2025-06-01T00:00:00.000Z")),
    });
    await store.migrate({ resourceTables: true });
    const accounts = store.resource(m.Account);
    const push = (r: { record: Record<string, unknown>; event: StoredEvent | null }) => {
      aEvents.push(r.event!);
      aRecords.push(r.record);
    };
    const opened = await accounts.open({ owner: "ada" });
    a = opened.record.id;
    push(opened);
    const other = await accounts.open({ owner: "bob" });
    b = other.record.id;
    bOpen = other.event!;
    push(await accounts.rename(a, { owner: "ada l." }));
    for (const amount of [5, 10, 20]) push(await accounts.deposit(a, { amount }));
    bRemove = (await accounts.remove(b)).event!;
    push(await accounts.close(a));
    const started = await store.resource(m.Project).start({ title: "t1" }, { tenant: "org-a" });
    const retitled = await store.resource(m.Project).retitle(started.record.id, { title: "t2" }, { tenant: "org-a" });
    project = { id: started.record.id, events: [started.event!, retitled.event!] };
  });

  test("history pages forwards and backwards tile the record's events exactly, and the last cursor is null", async () => {
    const all = (await history(store, m.Account, a, { limit: 1000 })).events;
    assert.deepEqual(positions(all), positions(aEvents));
    for (const limit of [1, 2, 3, 6, 7]) {
      for (const direction of ["forward", "backward"] as const) {
        const seen: StoredEvent[] = [];
        let page = await history(store, m.Account, a, { limit, direction });
        seen.push(...page.events);
        while (page.cursor !== null) {
          assert.equal(page.events.length, limit);
          page = await history(store, m.Account, a, { cursor: page.cursor, limit });
          seen.push(...page.events);
        }
        const expected = direction === "forward" ? aEvents : [...aEvents].reverse();
        assert.deepEqual(positions(seen), positions(expected), `${direction} by ${limit}`);
      }
    }
    assert.deepEqual(await history(store, "account", "no-such-record"), { events: [], cursor: null });
    assert.deepEqual((await history(store, "account", a)).events, all, "by name as by definition");
  });

  test("stateAt after each event equals the record the action returned; before creation it is not created, created later", async () => {
    for (const [i, event] of aEvents.slice(0, -1).entries()) {
      for (const point of [{ eventId: event.id }, { position: event.position }, { at: event.occurredAt }]) {
        const state = await stateAt(store, m.Account, a, point);
        assert.equal(state.status, "exists", Object.keys(point).join());
        if (state.status !== "exists") continue;
        assert.deepEqual(state.record, aRecords[i]);
        assert.equal(state.lastEvent.id, event.id);
      }
    }
    const before = await stateAt(store, m.Account, a, { at: new Date("2000-01-01T00:00:00Z") });
    assert.deepEqual(before, { status: "not-created", createdLater: true, lastEvent: undefined });
    assert.deepEqual(await stateAt(store, m.Account, a, { position: 0n }), before);
    assert.deepEqual(await stateAt(store, m.Account, "nobody", { at: new Date() }), {
      status: "not-created",
      createdLater: false,
      lastEvent: undefined,
    });
    // A point between events: the state after the last event at or before it.
    const between = await stateAt(store, m.Account, a, { at: new Date(aEvents[2]!.occurredAt.getTime() + 500) });
    assert.equal(between.status === "exists" && between.record["balance"], 5);
    // An event of another record is a point of the log too.
    const atB = await stateAt(store, m.Account, a, { eventId: bRemove.id });
    assert.equal(atB.status === "exists" && atB.record["balance"], 35);
  });

  test("stateAt tells a soft destroy (with the record) from a hard destroy (when, by which event)", async () => {
    const close = aEvents[aEvents.length - 1]!;
    const soft = await stateAt(store, m.Account, a, { at: new Date("2100-01-01T00:00:00Z") });
    assert.equal(soft.status, "destroyed");
    assert.ok(soft.status === "destroyed" && soft.soft);
    assert.deepEqual(soft.record, aRecords[aRecords.length - 1]);
    assert.equal(soft.destroyedBy.id, close.id);
    assert.ok(soft.record.deletedAt instanceof Date);

    const hard = await stateAt(store, m.Account, b, { position: bRemove.position });
    assert.ok(hard.status === "destroyed" && !hard.soft);
    assert.equal(hard.destroyedBy.id, bRemove.id);
    assert.equal(hard.lastEvent.id, bRemove.id);
    assert.equal(hard.destroyedBy.occurredAt.getTime(), bRemove.occurredAt.getTime());
    const alive = await stateAt(store, m.Account, b, { eventId: bOpen.id });
    assert.equal(alive.status, "exists");
  });

  test("diff names only the changed attributes, with undefined where there is no row", async () => {
    const [open, rename, d5] = aEvents;
    assert.deepEqual(await diff(store, m.Account, a, { eventId: rename!.id }, { eventId: d5!.id }), {
      balance: { before: 0, after: 5 },
      updatedAt: { before: rename!.occurredAt, after: d5!.occurredAt },
    });
    assert.deepEqual(await diff(store, m.Account, a, { eventId: d5!.id }, { eventId: rename!.id }), {
      balance: { before: 5, after: 0 },
      updatedAt: { before: d5!.occurredAt, after: rename!.occurredAt },
    });
    assert.deepEqual(await diff(store, m.Account, a, { eventId: open!.id }, { position: open!.position }), {});
    const created = await diff(store, m.Account, a, { position: 0n }, { eventId: open!.id });
    assert.deepEqual(Object.keys(created).sort(), Object.keys(aRecords[0]!).sort());
    assert.ok(Object.values(created).every((change) => change?.before === undefined));
    const removed = await diff(store, m.Account, b, { eventId: bOpen.id }, { eventId: bRemove.id });
    assert.deepEqual(removed.owner, { before: "bob", after: undefined });
  });

  test("timeline pages carry each event with the record before and after it, and tile like history", async () => {
    for (const direction of ["forward", "backward"] as const) {
      const entries = [];
      let page = await timeline(store, m.Account, a, { limit: 4, direction });
      entries.push(...page.entries);
      while (page.cursor !== null) {
        page = await timeline(store, m.Account, a, { cursor: page.cursor });
        entries.push(...page.entries);
      }
      const ordered = direction === "forward" ? entries : [...entries].reverse();
      assert.deepEqual(ordered.map((e) => e.event.position), positions(aEvents));
      ordered.forEach((entry, i) => {
        assert.deepEqual(entry.after, aRecords[i]);
        assert.deepEqual(entry.before, i === 0 ? undefined : aRecords[i - 1]);
        assert.equal(entry.superseded, false);
      });
    }
    const removed = (await timeline(store, m.Account, b)).entries;
    assert.deepEqual(removed.map((e) => [e.before?.owner, e.after?.owner]), [[undefined, "bob"], ["bob", undefined]]);
  });

  test("previousEvents: the record's earlier events, newest first, at most limit", async () => {
    const last = aEvents[aEvents.length - 1]!;
    const earlier = await previousEvents(store, last.id);
    assert.deepEqual(positions(earlier), positions(aEvents.slice(0, -1)).reverse());
    assert.deepEqual(positions(await previousEvents(store, last.id, { limit: 2 })), positions(earlier.slice(0, 2)));
    assert.deepEqual(await previousEvents(store, aEvents[0]!.id), []);
    await rejectsWith(previousEvents(store, "01J00000000000000000000000"), "NOT_FOUND");
  });

  test("events routed from another resource belong to the target's history and state; events routed away do not", async () => {
    const signup = await insertLegacyEvent(fx.db, m.events, {
      resource: "member",
      recordId: "m1",
      action: "signup",
      actionType: "create",
      version: 1,
      data: { name: "Ada", bio: "analyst" },
    });
    const bio = await insertLegacyEvent(fx.db, m.events, {
      resource: "member",
      recordId: "m1",
      action: "bio",
      actionType: "update",
      version: 1,
      data: { bio: "poet" },
    });
    const current = await store.resource(m.Profile).setBio("m1", { bio: "engineer" }).catch(() => undefined);
    assert.equal(current, undefined, "the profile row was never written live");
    assert.deepEqual((await history(store, m.Profile, "m1")).events.map((e) => e.id), [signup, bio]);
    assert.deepEqual((await history(store, m.Member, "m1")).events.map((e) => e.id), [signup]);
    const profile = await stateAt(store, m.Profile, "m1", { eventId: bio });
    assert.deepEqual(profile.status === "exists" && profile.record, { id: "m1", bio: "poet" });
    const member = await stateAt(store, m.Member, "m1", { eventId: bio });
    assert.deepEqual(member.status === "exists" && member.record, { id: "m1", name: "Ada" });
    assert.deepEqual(await diff(store, m.Profile, "m1", { eventId: signup }, { eventId: bio }), {
      bio: { before: "analyst", after: "poet" },
    });
  });

  test("changes before a later adoption are superseded: not created until the adoption, as replay skips them", async () => {
    await fx.db.query({
      text: `INSERT INTO ${m.accounts} (id, owner, status, balance) VALUES ('h1', 'Hopper', 'open', 7)`,
      params: [],
    });
    const early = await insertLegacyEvent(fx.db, m.events, {
      resource: "account",
      recordId: "h1",
      action: "rename",
      actionType: "update",
      version: 1,
      data: { owner: "Hopper" },
    });
    await adopt(store, m.Account);
    const before = await stateAt(store, m.Account, "h1", { eventId: early });
    assert.equal(before.status, "not-created");
    assert.ok(before.status === "not-created" && before.createdLater && before.lastEvent?.id === early);
    const after = await stateAt(store, m.Account, "h1", { position: (1n << 63n) - 1n });
    assert.ok(after.status === "exists");
    assert.deepEqual([after.record.owner, after.record.balance], ["Hopper", 7]);
    const entries = (await timeline(store, m.Account, "h1")).entries;
    assert.deepEqual(entries.map((e) => [e.event.action, e.superseded, e.after?.owner]), [
      ["rename", true, undefined],
      ["adopt", false, "Hopper"],
    ]);
  });

  test("one tenant rule: a resource without tenant is read from events without one, whatever the store's tenant", async () => {
    const orgA = store.withContext({ tenant: "org-a" });
    const all = (await history(orgA, m.Account, a, { limit: 1000 })).events;
    assert.deepEqual(positions(all), positions(aEvents), "the write path records no tenant for it: all are seen");
    const last = aEvents[aEvents.length - 1]!;
    assert.deepEqual(
      await stateAt(orgA, m.Account, a, { eventId: last.id }),
      await stateAt(store, m.Account, a, { eventId: last.id }),
    );
    assert.deepEqual(await timeline(orgA, m.Account, a), await timeline(store, m.Account, a));
    assert.deepEqual(
      await diff(orgA, m.Account, a, { position: 1n }, { eventId: last.id }),
      await diff(store, m.Account, a, { position: 1n }, { eventId: last.id }),
    );
    assert.deepEqual(await previousEvents(orgA, last.id), await previousEvents(store, last.id));
  });

  test("a store sees only its tenant: another tenant's record and event ids reveal nothing", async () => {
    const orgA = store.withContext({ tenant: "org-a" });
    const orgB = store.withContext({ tenant: "org-b" });
    const [started, retitled] = project.events;
    assert.deepEqual(positions((await history(orgA, m.Project, project.id)).events), positions(project.events));
    const own = await stateAt(orgA, m.Project, project.id, { eventId: retitled!.id });
    assert.equal(own.status === "exists" && own.record.title, "t2");

    assert.deepEqual(await history(orgB, m.Project, project.id), { events: [], cursor: null });
    // A multi-tenant resource is read in the store's tenant: a store without one is refused.
    const noTenant = await rejectsWith<{ issues: { path: string }[] }>(
      history(store, m.Project, project.id),
      "VALIDATION_FAILED",
    );
    assert.equal(noTenant.issues[0]?.path, "tenant");
    assert.deepEqual(await stateAt(orgB, m.Project, project.id, { at: new Date("2100-01-01") }), {
      status: "not-created",
      createdLater: false,
      lastEvent: undefined,
    });
    assert.deepEqual((await timeline(orgB, m.Project, project.id)).entries, []);
    for (const id of [started!.id, retitled!.id]) {
      await rejectsWith(stateAt(orgB, m.Project, project.id, { eventId: id }), "NOT_FOUND");
      await rejectsWith(diff(orgB, m.Project, project.id, { eventId: id }, { position: 1n }), "NOT_FOUND");
      await rejectsWith(previousEvents(orgB, id), "NOT_FOUND");
      await rejectsWith(stateAt(store, m.Project, project.id, { eventId: id }), "VALIDATION_FAILED");
      await rejectsWith(previousEvents(store, id), "NOT_FOUND");
    }
    // A cursor of org-a's read does not continue in org-b.
    const page = await history(orgA, m.Project, project.id, { limit: 1 });
    assert.ok(page.cursor !== null);
    await rejectsWith(history(orgB, m.Project, project.id, { cursor: page.cursor }), "VALIDATION_FAILED");
  });

  test("bad input is VALIDATION_FAILED naming the parameter, and nothing is sent", async () => {
    const page = await history(store, m.Account, a, { limit: 1 });
    const cursor = page.cursor!;
    const tampered = cursor.slice(0, -2) + (cursor.endsWith("A") ? "BB" : "AA");
    const timelineCursor = (await timeline(store, m.Account, a, { limit: 1 })).cursor!;
    const cases: [string, () => Promise<unknown>][] = [
      ["resource", () => history(store, "nope", a)],
      ["recordId", () => history(store, m.Account, "")],
      ["recordId", () => stateAt(store, m.Account, "a\u0000b", { position: 1n })],
      ["recordId", () => history(store, m.Account, 1.5)],
      ["cursor", () => history(store, m.Account, a, { cursor: "p1.garbage" })],
      ["cursor", () => history(store, m.Account, a, { cursor: tampered })],
      ["cursor", () => history(store, m.Account, b, { cursor })],
      ["cursor", () => history(store, m.Account, a, { cursor: timelineCursor })],
      ["cursor", () => timeline(store, m.Account, a, { cursor })],
      ["direction", () => history(store, m.Account, a, { cursor, direction: "backward" })],
      ["direction", () => history(store, m.Account, a, { direction: "sideways" as "forward" })],
      ["limit", () => history(store, m.Account, a, { limit: 0 })],
      ["limit", () => history(store, m.Account, a, { limit: 1001 })],
      ["limit", () => timeline(store, m.Account, a, { limit: 2.5 })],
      ["limit", () => previousEvents(store, aEvents[1]!.id, { limit: 5000 })],
      ["at", () => stateAt(store, m.Account, a, { at: new Date("nope") })],
      ["at", () => stateAt(store, m.Account, a, { at: new Date(-8.64e15) })],
      ["at", () => stateAt(store, m.Account, a, { at: "2025-01-01" as unknown as Date })],
      ["eventId", () => stateAt(store, m.Account, a, { eventId: "not-a-ulid" })],
      ["eventId", () => previousEvents(store, "' OR 1=1 --")],
      ["position", () => stateAt(store, m.Account, a, { position: -1n })],
      ["position", () => stateAt(store, m.Account, a, { position: 1 << 30 } as unknown as { position: bigint })],
      ["point", () => stateAt(store, m.Account, a, {} as { position: bigint })],
      ["point", () => stateAt(store, m.Account, a, { position: 1n, eventId: aEvents[0]!.id } as { position: bigint })],
      ["from.eventId", () => diff(store, m.Account, a, { eventId: "x" }, { position: 1n })],
      ["to.at", () => diff(store, m.Account, a, { position: 1n }, { at: new Date(Number.NaN) })],
    ];
    for (const [path, call] of cases) {
      const sent = wire.sent();
      const error = await rejectsWith(call(), "VALIDATION_FAILED");
      assert.equal((error as unknown as { issues: { path: string }[] }).issues[0]!.path, path, `${path}: ${error}`);
      assert.equal(wire.sent(), sent, `${path}: nothing sent`);
    }
    const Stranger = projectResource(`${fx.schema}.strangers`);
    await assert.rejects(history(store, Stranger, "x"), TypeError);
  });
});
