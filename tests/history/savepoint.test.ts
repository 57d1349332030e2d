// Savepoints on every executor: a savepoint plus the events after it folds to the same state as
// a fold of every event (and as the live row); a changed fold version retires old savepoints;
// verifySavepoints names a tampered one; typed errors and bad input before anything is sent.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  eventsSinceSavepoint,
  type EventStore,
  ref,
  savepoint,
  sql,
  stateAt,
  timeline,
  verifySavepoints,
} from "../../mod.ts";
import { foldRecord } from "../../src/core/record-fold.ts";
import { foldVersionOf } from "../../src/core/fold-version.ts";
import { encodeState } from "../../src/core/savepoint-state.ts";
import { foldStartOf, newestUsableSavepoint, readFromSavepoint } from "../../src/history/savepoint.ts";
import { recordScope } from "../../src/history/record-scope.ts";
import { rowToEvent, rowToRecord } from "../../src/core/record-mapping.ts";
import { recordEventsSql } from "../../src/sql/savepoint-statements.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { ACCOUNT_ENTRIES, DEPOSIT_INPUT, depositSet, prefixedTables, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { rejectsWith } from "../support/store-helpers.ts";
import { tickingClock } from "../replay/replay-helpers.ts";

function model_(schema: string, prefix: string, foldVersion = "") {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events") });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    foldVersion,
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
      }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      award: update({
        input: v.object({ points: v.number() }),
        set: ({ points }) => ({ points: sql`${ref("points")} + ${BigInt(points)}` }),
      }),
      touch: update({ set: () => ({ seenAt: sql`clock_timestamp()` }) }),
      bump: update({ change: (record) => ({ balance: record.balance * 2 }) }),
      close: destroy({ soft: "deletedAt" }),
      remove: destroy(),
    }),
  });
  const Project = defineResource({
    name: "project",
    table: t("projects"),
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), title: v.string() }),
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ title: v.string() }) }),
      retitle: update({ input: v.object({ title: v.string() }) }),
    }),
  });
  return { log, Account, Project, t };
}

type Model = ReturnType<typeof model_>;

describeEachExecutor("savepoints", {}, (fx) => {
  let prefixes = 0;
  const storeOf = (m: Model): EventStore =>
    createEventStore({ db: fx.db, log: m.log, resources: [m.Account, m.Project], clock: tickingClock() });
  const fresh = async (foldVersion = ""): Promise<{ m: Model; store: EventStore }> => {
    const m = model_(fx.schema, `s${++prefixes}`, foldVersion);
    const store = storeOf(m);
    await store.migrate({ resourceTables: true });
    return { m, store };
  };
  const allEvents = async (store: EventStore, m: Model, id: string) => {
    const scope = recordScope(store, m.Account, id);
    const { rows } = await fx.db.query(recordEventsSql(store.log, scope.filter));
    return { scope, events: rows.map((row) => rowToEvent(store.log, row)) };
  };
  const liveRow = async (m: Model, id: string): Promise<Record<string, unknown>> => {
    const { rows } = await fx.db.query({ text: `SELECT * FROM ${m.t("accounts")} WHERE id = $1`, params: [id] });
    // A NULL column is an attribute the state leaves out.
    return Object.fromEntries(Object.entries(rowToRecord(m.Account, rows[0]!)).filter(([, value]) => value !== null));
  };

  let m: Model;
  let store: EventStore;
  let id: string;
  before(async () => {
    ({ m, store } = await fresh());
    const accounts = store.resource(m.Account);
    ({ record: { id } } = await accounts.open({ owner: "ann", tags: ["vip"] }));
    await accounts.deposit(id, { amount: 12.5 });
    await accounts.award(id, { points: 7 });
    await accounts.touch(id);
  });

  test("a savepoint then more events: the savepoint plus the rest folds to the full fold and the live row", async () => {
    const first = await savepoint(store, m.Account, id);
    assert.equal(first.written, true);
    assert.equal(first.folded, 4);
    const again = await savepoint(store, m.Account, id);
    assert.deepEqual([again.written, again.folded, again.position], [false, 0, first.position]);

    const accounts = store.resource(m.Account);
    await accounts.bump(id);
    await accounts.rename(id, { owner: "anna" });
    await accounts.touch(id);

    const { scope, events } = await allEvents(store, m, id);
    const full = await foldRecord(scope.fold, events);
    const version = await foldVersionOf(scope.fold, m.Account);
    const { start, events: rest } = await readFromSavepoint(store, scope, version);
    assert.equal(start?.position, first.position);
    assert.equal(rest.length, 3, "only the events after the savepoint are read");
    const resumed = await foldRecord(scope.fold, rest, { from: foldStartOf(start!) });
    assert.deepEqual(resumed.state.record, full.state.record);
    assert.deepEqual(resumed.state.timestampTexts, full.state.timestampTexts);
    assert.deepEqual({ ...full.state.record }, await liveRow(m, id), "the fold equals the live row");

    const second = await savepoint(store, m.Account, id);
    assert.equal(second.folded, 3, "the second savepoint folds from the first");
    assert.deepEqual(second.state, { ...full.state.record });
    const newest = await newestUsableSavepoint(store, m.Account, id);
    assert.equal(newest?.position, second.position);
    assert.deepEqual(newest?.state, { ...full.state.record }, "a savepoint revives to exactly the folded state");
    const older = await newestUsableSavepoint(store, m.Account, id, second.position - 1n);
    assert.equal(older?.position, first.position, "at or before a position: the older savepoint");
    assert.equal(await newestUsableSavepoint(store, m.Account, id, first.position - 1n), undefined);
  });

  test("eventsSinceSavepoint: every event before a savepoint, then exactly the events after the newest usable one", async () => {
    const { m: model, store: s } = await fresh("since");
    const accounts = s.resource(model.Account);
    const { record } = await accounts.open({ owner: "cy" });
    await accounts.deposit(record.id, { amount: 1 });
    const before = await eventsSinceSavepoint(s, model.Account, record.id);
    assert.equal(before.savepointPosition, null);
    assert.deepEqual(before.events.map((e) => e.action), ["open", "deposit"]);
    const taken = await savepoint(s, model.Account, record.id);
    assert.deepEqual((await eventsSinceSavepoint(s, model.Account, record.id)).events, []);
    await accounts.rename(record.id, { owner: "cyd" });
    await accounts.touch(record.id);
    const after = await eventsSinceSavepoint(s, model.Account, record.id);
    assert.equal(after.savepointPosition, taken.position);
    assert.deepEqual(after.events.map((e) => e.action), ["rename", "touch"]);
    assert.ok(after.events.every((e) => e.position > taken.position && e.recordId === record.id));
    // A store whose fold version differs does not count the savepoint: every event again.
    const bumpedModel = model_(fx.schema, `s${prefixes}`, "since-2");
    const retired = await eventsSinceSavepoint(storeOf(bumpedModel), bumpedModel.Account, record.id);
    assert.equal(retired.savepointPosition, null);
    assert.equal(retired.events.length, 4);
  });

  test("a changed fold version retires the savepoints of the old one", async () => {
    const { m: model, store: s1 } = await fresh("1");
    const { record } = await s1.resource(model.Account).open({ owner: "ben" });
    await s1.resource(model.Account).deposit(record.id, { amount: 5 });
    const taken = await savepoint(s1, model.Account, record.id);
    assert.ok(await newestUsableSavepoint(s1, model.Account, record.id));

    // The same tables under a resource whose foldVersion was bumped (an upcaster body changed).
    const bumped = model_(fx.schema, `s${prefixes}`, "2");
    const s2 = storeOf(bumped);
    assert.notEqual(
      await foldVersionOf(s2, bumped.Account),
      await foldVersionOf(s1, model.Account),
    );
    assert.equal(await newestUsableSavepoint(s2, bumped.Account, record.id), undefined, "never trusted");
    const report = await verifySavepoints(s2, bumped.Account);
    assert.deepEqual(report.issues.map((i) => [i.recordId, i.position, i.problem]), [
      [record.id, taken.position, "retired"],
    ]);
    assert.equal(report.ok, 0);
    const retaken = await savepoint(s2, bumped.Account, record.id);
    assert.equal(retaken.folded, 2, "folded from the events, not from the retired savepoint");

    // A version bump of an action (a new upcaster) changes the fingerprint too.
    const withAction = defineResource({
      name: "account",
      table: model.t("accounts"),
      attributes: v.object({ ...ACCOUNT_ENTRIES }),
      actions: ({ create }) => ({ open: create({ version: 2, upcast: { 1: (d) => d } }) }),
    });
    const plain = defineResource({
      name: "account",
      table: model.t("accounts"),
      attributes: v.object({ ...ACCOUNT_ENTRIES }),
      actions: ({ create }) => ({ open: create({}) }),
    });
    const env = { log: model.log, resources: new Map() };
    assert.notEqual(await foldVersionOf(env, withAction), await foldVersionOf(env, plain));
  });

  test("verifySavepoints names a tampered savepoint and the attributes that differ", async () => {
    const accounts = store.resource(m.Account);
    const { record } = await accounts.open({ owner: "cat" });
    await accounts.deposit(record.id, { amount: 3 });
    const good = await savepoint(store, m.Account, record.id);
    await accounts.rename(record.id, { owner: "cathy" });
    const later = await savepoint(store, m.Account, record.id);
    assert.deepEqual((await verifySavepoints(store, m.Account, record.id)).issues, []);
    // Positions 9 and 10 here: positions compare as numbers, not as their text.
    assert.equal((await newestUsableSavepoint(store, m.Account, record.id))?.position, later.position);

    await fx.db.query({
      text: `UPDATE ${m.t("events")}_savepoints SET state = jsonb_set(state, '{balance}', '1e6') ` +
        `WHERE record_id = $1 AND position = $2`,
      params: [record.id, later.position],
    });
    const report = await verifySavepoints(store, m.Account, record.id);
    assert.equal(report.checked, 2);
    assert.equal(report.ok, 1);
    assert.deepEqual(report.issues.map((i) => [i.position, i.problem, i.attributes]), [
      [later.position, "differs", ["balance"]],
    ]);
    assert.ok(good.position < later.position);
    const all = await verifySavepoints(store, m.Account);
    assert.ok(all.issues.some((i) => i.recordId === record.id && i.problem === "differs"));
  });

  test("typed errors: no events, a destroyed record, an unfoldable value", async () => {
    const missing = await rejectsWith(savepoint(store, m.Account, "01HZZZZZZZZZZZZZZZZZZZZZZZ"), "NOT_FOUND");
    assert.equal((missing as unknown as { resource: string }).resource, "account");
    const accounts = store.resource(m.Account);
    const { record } = await accounts.open({ owner: "dan" });
    const removed = await accounts.remove(record.id);
    const error = await rejectsWith<{ position: bigint; destroyedAt: Date }>(
      savepoint(store, m.Account, record.id),
      "RECORD_DESTROYED",
    );
    assert.equal(error.position, removed.event!.position);
    assert.ok(error.destroyedAt instanceof Date);
    // A soft destroy leaves a record: its savepoint holds deletedAt.
    const { record: soft } = await accounts.open({ owner: "eve" });
    await accounts.close(soft.id);
    assert.ok((await savepoint(store, m.Account, soft.id)).state["deletedAt"] instanceof Date);
  });

  test("bad input is VALIDATION_FAILED naming the parameter, and nothing is sent", async () => {
    let sent = 0;
    const counting = createEventStore({
      db: {
        kind: fx.db.kind,
        query: () => (sent++, fx.db.query(null as never)),
        batch: () => (sent++, fx.db.batch([])),
      },
      log: m.log,
      resources: [m.Account, m.Project],
    });
    const other = defineResource({
      name: "other",
      table: "others",
      attributes: v.object({ id: v.string() }),
      actions: ({ create }) => ({ make: create({}) }),
    });
    const cases: [Promise<unknown>, string][] = [
      [savepoint(counting, other, "x"), "resource"],
      [savepoint(counting, null as never, "x"), "resource"],
      [savepoint(counting, m.Account, ""), "recordId"],
      [savepoint(counting, m.Account, {} as never), "recordId"],
      [savepoint(counting, m.Account, "a\u0000b"), "recordId"],
      [savepoint(counting, m.Project, "p"), "tenant"],
      [verifySavepoints(counting, m.Account, NaN), "recordId"],
      [newestUsableSavepoint(counting, m.Account, "x", -1n), "atOrBeforePosition"],
      [newestUsableSavepoint(counting, m.Account, "x", 5 as never), "atOrBeforePosition"],
    ];
    for (const [promise, path] of cases) {
      const error = await rejectsWith<{ issues: { path: string }[] }>(promise, "VALIDATION_FAILED");
      assert.equal(error.issues[0]?.path, path);
    }
    assert.equal(sent, 0);
  });

  test("a multi-tenant record's savepoint is confined to the store's tenant", async () => {
    const orgA = store.withContext({ tenant: "org-a" });
    const { record } = await orgA.resource(m.Project).start({ title: "alpha" });
    await orgA.resource(m.Project).retitle(record.id, { title: "alpha 2" });
    const taken = await savepoint(orgA, m.Project, record.id);
    assert.deepEqual(taken.state, { id: record.id, orgId: "org-a", title: "alpha 2" });
    await rejectsWith(savepoint(store.withContext({ tenant: "org-b" }), m.Project, record.id), "NOT_FOUND");
    assert.equal(await newestUsableSavepoint(store.withContext({ tenant: "org-b" }), m.Project, record.id), undefined);
    // A resource without tenant: its events hold none, and are read so whatever the store's tenant.
    const { record: account } = await orgA.resource(m.Account).open({ owner: "tenant-less" });
    assert.equal((await savepoint(orgA, m.Account, account.id)).written, true);
    assert.deepEqual((await verifySavepoints(orgA, m.Account, account.id)).issues, []);
    assert.equal((await newestUsableSavepoint(store, m.Account, account.id))?.state["owner"], "tenant-less");
  });

  test("stateAt from a savepoint equals stateAt from the first event at every position; a retired one is not used", async () => {
    const accounts = store.resource(m.Account);
    const { record } = await accounts.open({ owner: "eve", tags: ["a"] });
    await accounts.deposit(record.id, { amount: 5 });
    await accounts.touch(record.id);
    await accounts.award(record.id, { points: 3 });
    await accounts.rename(record.id, { owner: "eva" });
    await accounts.bump(record.id);
    await accounts.close(record.id);
    const { events } = await allEvents(store, m, record.id);
    const positions = events.map((e) => e.position);
    const at = (p: bigint) => stateAt(store, m.Account, record.id, { position: p });
    const fromStart = await Promise.all(positions.map(at));
    const allPages = async (direction: "forward" | "backward" = "forward") => {
      const pages = [];
      let cursor: string | null | undefined;
      do {
        const page = await timeline(store, m.Account, record.id, {
          limit: 2,
          direction,
          ...(cursor ? { cursor } : {}),
        });
        pages.push(page);
        cursor = page.cursor;
      } while (cursor !== null);
      return pages;
    };
    const pagesFromStart = await allPages();
    const backwardFromStart = await allPages("backward");

    // Savepoints at the third and fifth events, as savepoint() would have stored them there.
    const copy = async (p: bigint) => {
      const full = await foldRecord(recordScope(store, m.Account, record.id).fold, events, { upTo: p });
      const sp = await foldVersionOf(store, m.Account);
      await fx.db.query({
        text: `INSERT INTO ${m.t("events")}_savepoints (resource, record_id, tenant, position, state, fold_version) ` +
          `VALUES ('account', $1, NULL, $2, $3::jsonb, $4)`,
        params: [
          record.id,
          p,
          JSON.stringify(
            encodeState(m.Account, { state: { ...full.state.record }, timestampTexts: full.state.timestampTexts }),
          ),
          sp,
        ],
      });
    };
    await copy(positions[2]!);
    await copy(positions[4]!);
    const fromSavepoints = await Promise.all(positions.map(at));
    assert.deepEqual(fromSavepoints, fromStart);
    assert.deepEqual(await allPages(), pagesFromStart, "timeline pages from a savepoint are the same");
    assert.deepEqual(await allPages("backward"), backwardFromStart, "backward pages too");

    // The savepoint is used: a tampered one shows from its position on, and not before it.
    const tamper = (text: string) =>
      fx.db.query({
        text: `UPDATE ${m.t("events")}_savepoints SET ${text} WHERE record_id = $1 AND position = $2`,
        params: [record.id, positions[4]!],
      });
    await tamper(`state = jsonb_set(state, '{owner}', '"tampered"')`);
    const used = await at(positions[4]!);
    assert.equal(used.status === "exists" && used.record.owner, "tampered");
    assert.equal(used.status === "exists" && used.lastEvent.position, positions[4]);
    assert.deepEqual(await at(positions[3]!), fromStart[3]);
    // A backward page whose oldest entry follows the tampered savepoint starts from it too: the
    // newest two entries (the 7th and 6th events) fold from the savepoint at the 5th.
    const newest = await timeline(store, m.Account, record.id, { limit: 2, direction: "backward" });
    assert.deepEqual(newest.entries.map((e) => e.event.position), [positions[6], positions[5]]);
    assert.equal((newest.entries[1]!.before as { owner: string } | undefined)?.owner, "tampered");
    // The page of the 5th and 4th events needs the state before the 4th: it folds from the third's savepoint.
    const older = await timeline(store, m.Account, record.id, {
      limit: 2,
      direction: "backward",
      cursor: newest.cursor!,
    });
    assert.deepEqual(older.entries.map((e) => e.event.position), [positions[4], positions[3]]);
    assert.deepEqual(older, backwardFromStart[1], "a page older than the tampered savepoint does not use it");
    // Retired (another fold version): never used, the earlier usable one is.
    await tamper(`fold_version = 'f0-old'`);
    assert.deepEqual(await Promise.all(positions.map(at)), fromStart);
  });
});
