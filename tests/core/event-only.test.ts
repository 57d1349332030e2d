// Event-only resources (`table: false`): no table, state folded from the log; each call still
// writes exactly one event, validated, locked and idempotent, in one request.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ulid } from "ulid";
import * as v from "valibot";
import {
  adopt,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type LockOption,
  ref,
  replay,
  savepoint,
  sql,
  type StorageError,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";
import { gatedExecutor, interceptedExecutor } from "../replay/gated-executor.ts";

const NOTE_ATTRIBUTES = v.object({
  id: v.string(),
  title: v.string(),
  count: v.number(),
  createdAt: v.optional(v.date()),
  updatedAt: v.optional(v.date()),
  archivedAt: v.optional(v.nullable(v.date())),
});

function model(schema: string, lock?: LockOption) {
  const log = defineEventLog({ table: `${schema}.events`, ...(lock === undefined ? {} : { lock }) });
  const Note = defineResource({
    name: "note",
    table: false,
    attributes: NOTE_ATTRIBUTES,
    primaryKey: { attribute: "id", generate: "none" },
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ id: v.string(), title: v.string() }), defaults: { count: 0 } }),
      draft: create({ input: v.object({ id: v.string(), title: v.string() }), defaults: { count: 0 } }),
      retitle: update({ input: v.object({ title: v.string() }) }),
      bump: update({ change: (note) => ({ count: note.count + 1 }) }),
      add: update({ input: v.object({ by: v.number() }), set: ({ by }) => ({ count: sql`${ref("count")} + ${by}` }) }),
      archive: destroy({ soft: "archivedAt" }),
      remove: destroy(),
    }),
  });
  const Tally = defineResource({
    name: "tally",
    table: false,
    tenant: "org",
    attributes: v.object({ id: v.string(), org: v.string(), total: v.number() }),
    primaryKey: { attribute: "id", generate: "none" },
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ id: v.string() }), defaults: { total: 0 } }),
      add: update({ input: v.object({ by: v.number() }), change: (t, { by }) => ({ total: t.total + by }) }),
    }),
  });
  const Shelf = defineResource({
    name: "shelf",
    table: `${schema}.shelves`,
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create, update }) => ({
      build: create({ input: v.object({ label: v.string() }) }),
      relabel: update({ input: v.object({ label: v.string() }) }),
    }),
  });
  return { log, Note, Tally, Shelf };
}

const tableCount = (db: Executor, schema: string) =>
  db.query({
    text: `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
    params: [schema],
  }).then((r) => Number(r.rows[0]?.["n"]));

describeEachExecutor("event-only resources", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const events = () => countRows(fx.db, `${fx.schema}.events`);
  const notes = () => store.resource(m.Note);

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Note, m.Tally, m.Shelf],
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
  });

  test("migrate creates the event log and the tables of table resources only", async () => {
    // events, events_replay, events_idempotency, events_projections, events_savepoints and
    // shelves: no table for note or tally.
    assert.equal(await tableCount(fx.db, fx.schema), 6);
  });

  test("create, update and destroy each write one event; results are the folded state", async () => {
    const before = await events();
    const created = await notes().write({ id: "n1", title: "First" });
    assert.equal(created.record.title, "First");
    assert.equal(created.record.count, 0);
    assert.ok(created.record.createdAt instanceof Date);
    assert.equal(created.event?.actionType, "create");
    const retitled = await notes().retitle("n1", { title: "Second" });
    assert.deepEqual({ ...retitled.record, updatedAt: undefined }, {
      ...created.record,
      title: "Second",
      updatedAt: undefined,
    });
    assert.ok((retitled.record.updatedAt as Date) >= (created.record.updatedAt as Date));
    const removed = await notes().remove("n1");
    assert.equal(removed.record.title, "Second", "a hard destroy returns the state it ended");
    assert.equal(removed.event?.actionType, "destroy");
    assert.equal(await events(), before + 3);
  });

  test("a record can be created again after a hard destroy, not after a soft one", async () => {
    await notes().write({ id: "n2", title: "A" });
    await notes().remove("n2");
    const again = await notes().write({ id: "n2", title: "B" });
    assert.equal(again.record.title, "B");
    await notes().archive("n2");
    const before = await events();
    const error = await rejectsWith<StorageError>(notes().write({ id: "n2", title: "C" }), "STORAGE_FAILURE");
    assert.equal(error.sqlState, "23505");
    await rejectsWith(notes().retitle("n2", { title: "D" }), "NOT_FOUND");
    assert.equal(await events(), before);
  });

  test("a create of a live record is refused and writes nothing, whichever create action", async () => {
    await notes().write({ id: "n3", title: "Live" });
    const before = await events();
    const error = await rejectsWith<StorageError>(notes().draft({ id: "n3", title: "Again" }), "STORAGE_FAILURE");
    assert.equal(error.sqlState, "23505");
    assert.equal(await events(), before);
  });

  test("an update or destroy of a missing or destroyed record is NOT_FOUND and writes nothing", async () => {
    await notes().write({ id: "n4", title: "Gone" });
    await notes().remove("n4");
    const before = await events();
    await rejectsWith(notes().retitle("n4", { title: "x" }), "NOT_FOUND");
    await rejectsWith(notes().remove("n4"), "NOT_FOUND");
    await rejectsWith(notes().bump("n4"), "NOT_FOUND");
    await rejectsWith(notes().retitle("never", { title: "x" }), "NOT_FOUND");
    assert.equal(await events(), before);
  });

  test("a change function computes from the folded state", async () => {
    await notes().write({ id: "n5", title: "Count" });
    await notes().bump("n5");
    const bumped = await notes().bump("n5");
    assert.equal(bumped.record.count, 2);
    assert.equal(bumped.record.title, "Count");
    assert.deepEqual(bumped.event?.changes.count, 2);
  });

  test("a change function starts from the newest savepoint and folds only the events after it", async () => {
    await notes().write({ id: "n5s", title: "Saved" });
    await notes().bump("n5s");
    const taken = await savepoint(store, m.Note, "n5s");
    assert.equal(taken.state["count"], 1);
    // Proof that the savepoint is read: a count only it holds is what the change function sees.
    await fx.db.query({
      text: `UPDATE ${fx.schema}.events_savepoints SET state = jsonb_set(state, '{count}', '40') ` +
        `WHERE record_id = $1 AND position = $2`,
      params: ["n5s", taken.position],
    });
    assert.equal((await notes().bump("n5s")).record.count, 41, "from the savepoint");
    assert.equal((await notes().bump("n5s")).record.count, 42, "from the savepoint and the event after it");
    // A retired savepoint (another fold version) is not used, however new it is.
    const newer = await savepoint(store, m.Note, "n5s");
    await fx.db.query({
      text: `UPDATE ${fx.schema}.events_savepoints SET state = jsonb_set(state, '{count}', '100'), ` +
        `fold_version = 'f0-old' WHERE record_id = $1 AND position = $2`,
      params: ["n5s", newer.position],
    });
    assert.equal((await notes().bump("n5s")).record.count, 43);
  });

  test("an sql value is refused before anything is sent: there is no row to compute it from", async () => {
    await notes().write({ id: "n6", title: "Sql" });
    const before = await events();
    await assert.rejects(notes().add("n6", { by: 1 }), TypeError);
    assert.equal(await events(), before);
  });

  test("the same event id twice writes one event and answers the second call as a duplicate", async () => {
    const eventId = ulid();
    const first = await notes().write({ id: "n7", title: "Once" }, { eventId });
    const before = await events();
    const second = await notes().write({ id: "n7", title: "Once" }, { eventId });
    assert.equal(second.duplicate, true);
    assert.equal(second.event?.id, eventId);
    assert.equal(second.record.title, "Once");
    const updateId = ulid();
    await notes().retitle("n7", { title: "Twice" }, { eventId: updateId });
    const repeated = await notes().retitle("n7", { title: "Twice" }, { eventId: updateId });
    assert.equal(repeated.duplicate, true);
    assert.equal(await events(), before + 1);
    assert.equal(first.duplicate, false);
  });

  test("a transaction creates and changes one event-only record in one batch", async () => {
    const [created, changed] = await store.transaction((tx) => [
      tx.resource(m.Note).write({ id: "n8", title: "Tx" }),
      tx.resource(m.Note).retitle("n8", { title: "Tx2" }),
    ]);
    assert.equal(created.record.title, "Tx");
    assert.equal(changed.record.title, "Tx2");
    assert.equal(changed.record.count, 0);
  });

  test("the same record id in two tenants is two records", async () => {
    const a = store.withContext({ tenant: "org-a" }).resource(m.Tally);
    const b = store.withContext({ tenant: "org-b" }).resource(m.Tally);
    await a.start({ id: "t1" });
    await a.add("t1", { by: 5 });
    await rejectsWith(b.add("t1", { by: 1 }), "NOT_FOUND");
    await b.start({ id: "t1" });
    const added = await b.add("t1", { by: 2 });
    assert.deepEqual(added.record, { id: "t1", org: "org-b", total: 2 });
    assert.equal((await a.add("t1", { by: 1 })).record.total, 6);
  });

  test("adoption is refused: there are no rows", () => {
    assert.throws(() => adopt(store, m.Note), TypeError);
  });

  test("replay rebuilds the tables and counts event-only events as applied, writing nothing for them", async () => {
    const shelf = await store.resource(m.Shelf).build({ label: "top" });
    await store.resource(m.Shelf).relabel(shelf.record.id, { label: "middle" });
    const total = await events();
    const result = await replay(store);
    assert.equal(result.applied, total);
    assert.equal(result.skipped, 0);
    const rows = await fx.db.query({ text: `SELECT label FROM ${fx.schema}.shelves`, params: [] });
    assert.deepEqual(rows.rows, [{ label: "middle" }]);
    assert.equal((await notes().bump("n5")).record.count, 3, "event-only state is untouched by replay");
  });
});

describeEachExecutor("event-only round trips", { needs: ["http-requests"] }, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note] });
    await store.migrate();
  });

  test("each simple action is one HTTP request; a change-function update two", async () => {
    const count = async (call: () => Promise<unknown>) => {
      const start = fx.requests()!;
      await call();
      return fx.requests()! - start;
    };
    assert.equal(await count(() => store.resource(m.Note).write({ id: "r1", title: "a" })), 1);
    assert.equal(await count(() => store.resource(m.Note).retitle("r1", { title: "b" })), 1);
    assert.equal(await count(() => store.resource(m.Note).bump("r1")), 2);
    assert.equal(await count(() => store.resource(m.Note).remove("r1")), 1);
  });
});

describeEachExecutor("event-only writers racing", { needs: ["concurrency"] }, (fx) => {
  const isWrite = (statements: readonly { text: string }[]) => statements[0]?.text.includes("begin_write") === true;

  test("a change-function update whose record changed before its write conflicts, retries, and loses nothing", async () => {
    const m = model(fx.schema);
    const writes = { value: 0 };
    const gated = gatedExecutor(fx.db, isWrite);
    const counted = interceptedExecutor(gated.db, (s) => void (isWrite(s) && writes.value++));
    const slow = createEventStore({ db: counted, log: m.log, resources: [m.Note] });
    const fast = createEventStore({ db: fx.db, log: m.log, resources: [m.Note] });
    await fast.migrate();
    await fast.resource(m.Note).write({ id: "race", title: "r" });
    const first = slow.resource(m.Note).bump("race");
    await gated.gate.reached; // read done, write batch held back
    assert.equal((await fast.resource(m.Note).bump("race")).record.count, 1);
    gated.gate.release();
    assert.equal((await first).record.count, 2, "the retry folded the other writer's event");
    assert.equal(writes.value, 2, "the first write batch conflicted and was sent again");
  });

  test("randomized: concurrent change functions and creates under per-action lock keys stay exact", async () => {
    // Different actions take different keys: only the record key keeps one record's writers in line.
    const keys: Record<string, bigint> = { write: 11n, draft: 12n, bump: 13n, retitle: 14n };
    const m = model(fx.schema);
    const store = createEventStore({
      db: fx.db,
      log: defineEventLog({ table: `${fx.schema}.stress_events`, lock: { key: ({ action }) => keys[action] ?? 15n } }),
      resources: [m.Note],
      conflictRetry: { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 20 },
    });
    await store.migrate();
    const notes = store.resource(m.Note);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 3; round++) {
      const id = `s${round}`;
      const creates = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? notes.write : notes.draft)({ id, title: `c${i}` })),
      );
      assert.equal(creates.filter((c) => c.status === "fulfilled").length, 1, "exactly one create of a record wins");
      const calls = Array.from({ length: 8 }, () => random() < 0.6 ? "bump" : "retitle");
      await Promise.all(calls.map((c) => c === "bump" ? notes.bump(id) : notes.retitle(id, { title: "t" })));
      const bumps = calls.filter((c) => c === "bump").length;
      assert.equal((await notes.bump(id)).record.count, bumps + 1, "no bump was lost");
      const n = await fx.db.query({
        text: `SELECT count(*)::int AS n FROM ${fx.schema}.stress_events WHERE record_id = $1`,
        params: [id],
      });
      assert.equal(n.rows[0]?.["n"], 1 + calls.length + 1, "one event per successful call");
    }
  });
});

describe("event-only definitions", () => {
  const attributes = v.object({ id: v.string(), name: v.string() });

  test("ignored actions, actions left out of only, columns and columnTypes are refused", () => {
    assert.throws(
      () =>
        defineResource({
          name: "x",
          table: false,
          attributes,
          actions: ({ create }) => ({ open: create({ ignored: true }) }),
        }),
      { name: "TypeError", message: /x\.open would write no event/ },
    );
    assert.throws(
      () =>
        defineResource({
          name: "x",
          table: false,
          attributes,
          only: ["open"],
          actions: ({ create, update }) => ({ open: create(), rename: update() }),
        }),
      { name: "TypeError", message: /x\.rename would write no event/ },
    );
    assert.throws(
      () =>
        defineResource({
          name: "x",
          table: false,
          attributes,
          columns: { name: "n" },
          actions: ({ create }) => ({ open: create() }),
        }),
      { name: "TypeError", message: /remove columns/ },
    );
  });

  test("a replay route from another resource to an event-only resource is refused at store creation", () => {
    const m = model("s");
    const log = defineEventLog({
      table: "s.events",
      replayOverrides: [{ resource: "shelf", action: "build", versions: [1], routeTo: [["note", "write"]] }],
    });
    assert.throws(
      () => createEventStore({ db: {} as Executor, log, resources: [m.Note, m.Shelf] }),
      { name: "TypeError", message: /has no table/ },
    );
  });

  test("an event-only resource has no table", () => {
    const m = model("s");
    assert.equal(m.Note.table, null);
  });
});
