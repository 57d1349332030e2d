// How replay finds the action of an old event on every executor: version routes to ignored
// legacy actions and to several resources, aliases of renamed actions, upcaster chains; and
// what happens when an event cannot be applied: ReplayError naming it, the fence kept,
// resume after the fix, abort, skip-and-report, missing records.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import { abortReplay, createEventStore, defineEventLog, defineResource, type EventStore, replay } from "../../mod.ts";
import type { ReplayError } from "../../src/core/errors.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";
import { insertLegacyEvent, type LegacyEvent, replayStatuses, snapshot, tickingClock } from "./replay-helpers.ts";

/** The app as it is today; `upcast: false` is a deploy that forgot the upcasters of `open`. */
function model(schema: string, prefix: string, options: { upcast: boolean }) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({
    table: t("events"),
    replayOverrides: [
      { resource: "account", action: "openLegacy", versions: [1], routeTo: [["account", "importLegacy"]] },
      {
        resource: "member",
        action: "signup",
        versions: [1],
        routeTo: [["member", "importMember"], ["profile", "importProfile"]],
      },
    ],
  });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    attributes: v.object({ id: v.string(), owner: v.string(), balance: v.number(), createdAt: v.optional(v.date()) }),
    timestamps: { createdAt: "createdAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({
        input: v.object({ owner: v.pipe(v.string(), v.minLength(1)) }),
        defaults: { balance: 0 },
        version: 3,
        ...(options.upcast
          ? {
            upcast: {
              1: (data) => ({ owner: `${String(data["first"])} ${String(data["last"])}` }),
              2: (data) => ({ owner: String(data["owner"]).toUpperCase() }),
            },
          }
          : {}),
      }),
      importLegacy: create({
        input: v.object({ name: v.string(), cents: v.number() }),
        map: (input) => ({ owner: input.name, balance: input.cents / 100 }),
        ignored: true,
      }),
      rename: update({ input: v.object({ owner: v.string() }), aliases: ["changeOwner", "setOwner"] }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      remove: destroy(),
    }),
  });
  const Member = defineResource({
    name: "member",
    table: t("members"),
    attributes: v.object({ id: v.string(), name: v.string() }),
    actions: ({ create }) => ({
      signup: create({ input: v.object({ name: v.string() }), version: 2 }),
      importMember: create({ input: v.object({ name: v.string(), bio: v.string() }), accept: ["name"], ignored: true }),
    }),
  });
  const Profile = defineResource({
    name: "profile",
    table: t("profiles"),
    attributes: v.object({ id: v.string(), bio: v.string() }),
    actions: ({ create }) => ({
      importProfile: create({
        input: v.object({ name: v.string(), bio: v.string() }),
        map: (input) => ({ bio: input.bio }),
        ignored: true,
      }),
    }),
  });
  return {
    log,
    Account,
    Member,
    Profile,
    events: t("events"),
    tables: [t("accounts"), t("members"), t("profiles")] as const,
  };
}

type Model = ReturnType<typeof model>;

describeEachExecutor("replay routing and failures", {}, (fx) => {
  let prefixes = 0;

  const storeOf = (m: Model): EventStore =>
    createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account, m.Member, m.Profile],
      clock: tickingClock(),
      replay: { clear: "tracked-tables", pageSize: 10 },
    });
  /** A fresh log and tables; `upcast` chooses the deploy. */
  const fresh = async (upcast = true): Promise<{ m: Model; store: EventStore; prefix: string }> => {
    const prefix = `g${++prefixes}`;
    const m = model(fx.schema, prefix, { upcast });
    const store = storeOf(m);
    await store.migrate({ resourceTables: true });
    return { m, store, prefix };
  };
  const legacy = (m: Model, event: LegacyEvent): Promise<string> => insertLegacyEvent(fx.db, m.events, event);
  const rows = async (table: string): Promise<Record<string, unknown>[]> =>
    (await fx.db.query({ text: `SELECT * FROM ${table} ORDER BY id`, params: [] })).rows;
  const positionOf = async (m: Model, id: string): Promise<bigint> =>
    BigInt(
      (await fx.db.query({ text: `SELECT position FROM ${m.events} WHERE id = $1`, params: [id] }))
        .rows[0]!["position"] as bigint,
    );

  test("an old version is routed to an ignored legacy action, which writes the row and no event", async () => {
    const { m, store } = await fresh();
    await store.resource(m.Account).open({ owner: "today" });
    await legacy(m, {
      resource: "account",
      recordId: "legacy-1",
      action: "openLegacy",
      actionType: "create",
      version: 1,
      data: { name: "Old Timer", cents: 1250 },
    });
    const events = await countRows(fx.db, m.events);

    const result = await replay(store);

    assert.equal(result.applied, 2);
    assert.equal(result.routed, 1);
    const legacyRow = (await rows(m.tables[0])).find((row) => row["id"] === "legacy-1");
    assert.deepEqual({ owner: legacyRow?.["owner"], balance: legacyRow?.["balance"] }, {
      owner: "Old Timer",
      balance: 12.5,
    });
    assert.equal(await countRows(fx.db, m.events), events, "the ignored action wrote no event");
  });

  test("an event routed to two resources produces a row in each, and only the routed versions are routed", async () => {
    const { m, store } = await fresh();
    await legacy(m, {
      resource: "member",
      recordId: "m-1",
      action: "signup",
      actionType: "create",
      version: 1,
      data: { name: "Grace", bio: "compilers" },
    });
    const today = await store.resource(m.Member).signup({ name: "Linus" });

    const result = await replay(store);

    assert.equal(result.applied, 2);
    assert.equal(result.routed, 1, "a routed event counts once, whatever its targets");
    assert.deepEqual(
      await rows(m.tables[1]),
      [
        { id: today.record.id, name: "Linus" },
        { id: "m-1", name: "Grace" },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    assert.deepEqual(
      await rows(m.tables[2]),
      [{ id: "m-1", bio: "compilers" }],
      "the v2 event is not routed to profile",
    );
  });

  test("an alias lets a renamed action find the events stored under its old names", async () => {
    const { m, store } = await fresh();
    const opened = await store.resource(m.Account).open({ owner: "ann" });
    await legacy(m, {
      resource: "account",
      recordId: opened.record.id,
      action: "changeOwner",
      actionType: "update",
      version: 1,
      data: { owner: "anna" },
    });
    await legacy(m, {
      resource: "account",
      recordId: opened.record.id,
      action: "setOwner",
      actionType: "update",
      version: 1,
      data: { owner: "annabel" },
    });
    const result = await replay(store);
    assert.equal(result.applied, 3);
    assert.equal(result.routed, 0);
    assert.equal((await rows(m.tables[0]))[0]?.["owner"], "annabel");
  });

  test("upcasters turn v1 and v2 data into today's input, in order, before validation", async () => {
    const { m, store } = await fresh();
    await legacy(m, {
      resource: "account",
      recordId: "v1",
      action: "open",
      actionType: "create",
      version: 1,
      data: { first: "ada", last: "lovelace" },
      changes: { balance: 0 },
    });
    await legacy(m, {
      resource: "account",
      recordId: "v2",
      action: "open",
      actionType: "create",
      version: 2,
      data: { owner: "grace" },
      changes: { balance: 5 },
    });
    await store.resource(m.Account).open({ owner: "today" });
    const result = await replay(store);
    assert.equal(result.applied, 3);
    const owners = Object.fromEntries((await rows(m.tables[0])).map((row) => [row["id"], row["owner"]]));
    assert.equal(owners["v1"], "ADA LOVELACE", "v1 went through upcast[1], then upcast[2]");
    assert.equal(owners["v2"], "GRACE", "v2 went through upcast[2] only");
    assert.ok(Object.values(owners).includes("today"), "current events are not upcast");
  });

  test("data that fails validation stops the replay with a ReplayError naming the event; the fence stays up until a resume with the fix", async () => {
    const broken = await fresh(false);
    const { m } = broken;
    const accounts = broken.store.resource(m.Account);
    const first = await accounts.open({ owner: "first" });
    await accounts.deposit(first.record.id, { amount: 3 });
    const bad = await legacy(m, {
      resource: "account",
      recordId: "old",
      action: "open",
      actionType: "create",
      version: 1,
      data: { first: "SECRET-first", last: "SECRET-last" },
      changes: { balance: 0 },
    });
    const later = await accounts.open({ owner: "later" });
    const badPosition = await positionOf(m, bad);

    const error = await rejectsWith<ReplayError>(replay(broken.store), "REPLAY_FAILED");
    assert.equal(error.eventId, bad);
    assert.equal(error.position, badPosition);
    assert.match(error.message, new RegExp(`position ${badPosition}\\b`));
    assert.doesNotMatch(error.message, /SECRET/, "no payload value in the message");

    assert.deepEqual(await replayStatuses(fx.db, `${m.events}_replay`), { running: 1 });
    const noted = await fx.db.query({
      text: `SELECT replay_id, error, last_position FROM ${m.events}_replay`,
      params: [],
    });
    assert.match(String(noted.rows[0]!["error"]), /could not be applied/);
    assert.equal(
      noted.rows[0]!["last_position"],
      badPosition - 1n,
      "every event before it is applied and checkpointed",
    );
    assert.deepEqual((await rows(m.tables[0])).map((row) => row["owner"]), ["first"]);
    await rejectsWith(accounts.open({ owner: "refused" }), "REPLAY_IN_PROGRESS");
    await rejectsWith(accounts.deposit(first.record.id, { amount: 1 }), "REPLAY_IN_PROGRESS");
    await rejectsWith(replay(broken.store), "REPLAY_ALREADY_RUNNING");
    const again = await rejectsWith<ReplayError>(replay(broken.store, { resume: true }), "REPLAY_FAILED");
    assert.equal(again.eventId, bad, "resuming without the fix stops at the same event");

    const redeployed = model(fx.schema, broken.prefix, { upcast: true });
    const fixed = storeOf(redeployed);
    const result = await replay(fixed, { resume: true });
    assert.equal(result.done, true);
    assert.equal(result.replayId, noted.rows[0]!["replay_id"], "the same replay finished");
    assert.equal(result.applied, 4, "applied counts the whole replay, across calls");
    const owners = Object.fromEntries((await rows(m.tables[0])).map((row) => [row["id"], row["owner"]]));
    assert.deepEqual(owners, {
      [first.record.id]: "first",
      old: "SECRET-FIRST SECRET-LAST",
      [later.record.id]: "later",
    });
    await fixed.resource(redeployed.Account).open({ owner: "writable again" });
  });

  test("abortReplay() lifts the fence of a stopped replay and leaves the tables as they are", async () => {
    const { m, store } = await fresh(false);
    await store.resource(m.Account).open({ owner: "kept" });
    await legacy(m, {
      resource: "account",
      recordId: "old",
      action: "open",
      actionType: "create",
      version: 1,
      data: { first: "a", last: "b" },
    });
    await store.resource(m.Account).open({ owner: "not reached" });
    await rejectsWith(replay(store), "REPLAY_FAILED");
    const stopped = await snapshot(fx.db, m.tables);

    assert.equal(await abortReplay(store), true);
    assert.equal(await abortReplay(store), false, "nothing left to abort");
    assert.deepEqual(await replayStatuses(fx.db, `${m.events}_replay`), { aborted: 1 });
    assert.deepEqual(await snapshot(fx.db, m.tables), stopped);
    await rejectsWith(replay(store, { resume: true }), "REPLAY_FAILED");
    await store.resource(m.Account).open({ owner: "writable again" });
  });

  test('onError: "skip" applies everything else and reports each skipped event with its position, id and reason', async () => {
    const { m, store } = await fresh(false);
    const accounts = store.resource(m.Account);
    const a = await accounts.open({ owner: "a" });
    const invalid = await legacy(m, {
      resource: "account",
      recordId: "old",
      action: "open",
      actionType: "create",
      version: 1,
      data: { first: "x", last: "y" },
    });
    await accounts.deposit(a.record.id, { amount: 10 });
    const missing = await legacy(m, {
      resource: "account",
      recordId: "nobody",
      action: "rename",
      actionType: "update",
      version: 1,
      data: { owner: "ghost" },
    });
    const unknown = await legacy(m, {
      resource: "account",
      recordId: a.record.id,
      action: "teleport",
      actionType: "update",
      version: 1,
    });
    const untracked = await legacy(m, {
      resource: "spaceship",
      recordId: "s-1",
      action: "launch",
      actionType: "create",
      version: 1,
    });
    const gone = await legacy(m, {
      resource: "account",
      recordId: "nobody",
      action: "remove",
      actionType: "destroy",
      version: 1,
    });
    await accounts.rename(a.record.id, { owner: "aa" });
    const expected = [invalid, missing, unknown, untracked, gone];

    const dry = await replay(store, { dryRun: true, onError: "skip" });
    assert.deepEqual(dry.skippedEvents.map((s) => s.eventId), expected, "a dry run predicts the same skips");

    const result = await replay(store, { onError: "skip" });
    assert.equal(result.done, true);
    assert.equal(result.skipped, 5);
    assert.equal(result.applied, 3);
    assert.deepEqual(result.skippedEvents.map((s) => s.eventId), expected);
    for (const skipped of result.skippedEvents) {
      assert.equal(skipped.position, await positionOf(m, skipped.eventId));
      assert.ok(skipped.reason.length > 0);
    }
    assert.match(result.skippedEvents[1]!.reason, /does not exist/);
    assert.match(result.skippedEvents[2]!.reason, /teleport/);
    assert.match(result.skippedEvents[3]!.reason, /spaceship/);
    assert.match(result.skippedEvents[4]!.reason, /does not exist/);
    assert.deepEqual((await rows(m.tables[0])).map((row) => [row["owner"], row["balance"]]), [["aa", 10]]);
  });

  test("an update of a record that does not exist stops the replay at that event, in the middle of a page", async () => {
    const { m, store } = await fresh();
    const accounts = store.resource(m.Account);
    const a = await accounts.open({ owner: "a" });
    await accounts.deposit(a.record.id, { amount: 1 });
    const missing = await legacy(m, {
      resource: "account",
      recordId: "nobody",
      action: "deposit",
      actionType: "update",
      version: 1,
      data: { amount: 5 },
      changes: { balance: 5 },
    });
    await accounts.deposit(a.record.id, { amount: 2 });
    const missingPosition = await positionOf(m, missing);

    const error = await rejectsWith<ReplayError>(replay(store, { pageSize: 10 }), "REPLAY_FAILED");
    assert.equal(error.eventId, missing);
    assert.equal(error.position, missingPosition);
    assert.match(error.message, /does not exist/);
    assert.deepEqual(
      (await rows(m.tables[0])).map((row) => row["balance"]),
      [1],
      "the events before it in its page are applied, not those after",
    );

    const skipped = await replay(store, { resume: true, onError: "skip" });
    assert.equal(skipped.done, true);
    assert.deepEqual(skipped.skippedEvents.map((s) => s.eventId), [missing]);
    assert.deepEqual((await rows(m.tables[0])).map((row) => row["balance"]), [3]);
  });

  test("a destroy of a record that does not exist is an error too, not a warning", async () => {
    const { m, store } = await fresh();
    const a = await store.resource(m.Account).open({ owner: "a" });
    await store.resource(m.Account).remove(a.record.id);
    const twice = await legacy(m, {
      resource: "account",
      recordId: a.record.id,
      action: "remove",
      actionType: "destroy",
      version: 1,
    });
    const error = await rejectsWith<ReplayError>(replay(store), "REPLAY_FAILED");
    assert.equal(error.eventId, twice);
    assert.equal(await abortReplay(store), true);
  });
});
