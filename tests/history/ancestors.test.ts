// Links between events on every executor: a call names a parent event of the same record
// (`parentEventId`), stored as `parent_id` and read back by readEvents, the feed and the wire
// JSON; the database refuses a parent of another record or tenant, or none (VALIDATION_FAILED
// naming parentEventId, nothing written); `ancestors` returns exactly the chain of parents,
// root first, within its depth bound.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import {
  ancestors,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  eventToJson,
  replay,
  type ValidationError,
} from "../../mod.ts";
import { newEventId } from "../../src/core/ids.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { prefixedTables } from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";
import { snapshot } from "../replay/replay-helpers.ts";

function model(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events") });
  const Doc = defineResource({
    name: "doc",
    table: t("docs"),
    attributes: v.object({ id: v.string(), text: v.string() }),
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  const Note = defineResource({
    name: "note",
    table: t("notes"),
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  return { log, Doc, Note, events: t("events"), docs: t("docs"), notes: t("notes") };
}

type Model = ReturnType<typeof model>;

describeEachExecutor("links between events", {}, (fx) => {
  let prefixes = 0;
  const fresh = async (): Promise<{ m: Model; store: EventStore }> => {
    const m = model(fx.schema, `l${++prefixes}`);
    const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Doc, m.Note] });
    await store.migrate({ resourceTables: true });
    return { m, store };
  };

  /** A ← B ← C, and D branching from B. */
  const tree = async (store: EventStore, m: Model) => {
    const docs = store.resource(m.Doc);
    const a = await docs.start({ text: "a" });
    const id = a.record.id;
    const b = await docs.edit(id, { text: "b" }, { parentEventId: a.event!.id });
    const c = await docs.edit(id, { text: "c" }, { parentEventId: b.event!.id });
    const d = await docs.edit(id, { text: "d" }, { parentEventId: b.event!.id });
    return { id, a: a.event!, b: b.event!, c: c.event!, d: d.event! };
  };

  test("ancestors() returns exactly the chain of parents, root first: A, B for a branch from B, never C", async () => {
    const { m, store } = await fresh();
    const { a, b, c, d } = await tree(store, m);
    const ids = async (eventId: string) => (await ancestors(store, eventId)).map((e) => e.id);
    assert.deepEqual(await ids(d.id), [a.id, b.id]);
    assert.deepEqual(await ids(c.id), [a.id, b.id]);
    assert.deepEqual(await ids(b.id), [a.id]);
    assert.deepEqual(await ids(a.id), []);
    const chain = await ancestors(store, d.id);
    assert.equal(chain[0]!.parentId, null, "the root has no parent: the chain is complete");
    assert.equal(chain[1]!.parentId, a.id);
    assert.deepEqual(chain[1]!.data, { text: "b" });
  });

  test("the parent is stored and read back: results, readEvents, the feed, the wire JSON", async () => {
    const { m, store } = await fresh();
    const { a, b, d } = await tree(store, m);
    assert.equal(a.parentId, null);
    assert.equal(d.parentId, b.id);
    const read = await store.readEvents();
    assert.deepEqual(read.map((e) => e.parentId), [null, a.id, b.id, b.id]);
    const feed = await store.readFeed();
    assert.deepEqual(feed.events.map((e) => e.parentId), [null, a.id, b.id, b.id]);
    assert.equal(eventToJson(read[3]!).parentId, b.id);
  });

  test("a parent of another record, or none, is VALIDATION_FAILED naming parentEventId, and nothing is written", async () => {
    const { m, store } = await fresh();
    const { id, b } = await tree(store, m);
    const other = await store.resource(m.Doc).start({ text: "other" });
    const before = await snapshot(fx.db, [m.docs]);
    const events = await countRows(fx.db, m.events);
    for (const parentEventId of [other.event!.id, newEventId()]) {
      const error = await rejectsWith<ValidationError>(
        store.resource(m.Doc).edit(id, { text: "x" }, { parentEventId }),
        "VALIDATION_FAILED",
      );
      assert.equal(error.issues[0]?.path, "parentEventId");
    }
    // The other record's own events cannot link into this one either.
    await rejectsWith(
      store.resource(m.Doc).edit(other.record.id, { text: "x" }, { parentEventId: b.id }),
      "VALIDATION_FAILED",
    );
    // Not a ULID: refused before anything is sent.
    for (const bad of ["nope", "", 42]) {
      const error = await rejectsWith<ValidationError>(
        store.resource(m.Doc).edit(id, { text: "x" }, { parentEventId: bad as never }),
        "VALIDATION_FAILED",
      );
      assert.equal(error.issues[0]?.path, "parentEventId");
    }
    // In a transaction, the whole batch is refused.
    await rejectsWith(
      store.transaction((tx) => {
        tx.resource(m.Doc).edit(id, { text: "y" });
        tx.resource(m.Doc).edit(id, { text: "z" }, { parentEventId: other.event!.id });
      }),
      "VALIDATION_FAILED",
    );
    assert.equal(await countRows(fx.db, m.events), events);
    assert.deepEqual(await snapshot(fx.db, [m.docs]), before);
  });

  test("a parent of another tenant is refused by the database, and ancestors() finds no event of another tenant", async () => {
    const { m, store } = await fresh();
    const acme = store.withContext({ tenant: "acme" });
    const globex = store.withContext({ tenant: "globex" });
    const note = await acme.resource(m.Note).write({ text: "a" });
    const edited = await acme.resource(m.Note).edit(note.record.id, { text: "b" }, {
      parentEventId: note.event!.id,
    });
    const theirs = await globex.resource(m.Note).write({ text: "g" });
    const error = await rejectsWith<ValidationError>(
      acme.resource(m.Note).edit(note.record.id, { text: "c" }, { parentEventId: theirs.event!.id }),
      "VALIDATION_FAILED",
    );
    assert.equal(error.issues[0]?.path, "parentEventId");
    // The trigger compares the tenant too: an event of the same record in another tenant (only
    // possible by hand) is no parent.
    await assert.rejects(
      fx.db.query({
        text:
          `INSERT INTO ${m.events} (id, occurred_at, resource, record_id, action, action_type, tenant, correlation_id, parent_id)
               VALUES ($1, now(), 'note', $2, 'edit', 'update', 'globex', $1, $3)`,
        params: [newEventId(), note.record.id, note.event!.id],
      }),
      (e: unknown) => (e as { sqlState?: string }).sqlState === "EEL01",
    );
    assert.deepEqual((await ancestors(acme, edited.event!.id)).map((e) => e.id), [note.event!.id]);
    await rejectsWith(ancestors(globex, edited.event!.id), "NOT_FOUND");
  });

  test("maxDepth bounds the walk to the nearest parents; bad arguments are VALIDATION_FAILED naming them, unknown events NOT_FOUND", async () => {
    const { m, store } = await fresh();
    const docs = store.resource(m.Doc);
    const first = await docs.start({ text: "0" });
    const chain = [first.event!];
    for (let i = 1; i <= 4; i++) {
      const next = await docs.edit(first.record.id, { text: String(i) }, { parentEventId: chain.at(-1)!.id });
      chain.push(next.event!);
    }
    const nearest = await ancestors(store, chain[4]!.id, { maxDepth: 2 });
    assert.deepEqual(nearest.map((e) => e.id), [chain[2]!.id, chain[3]!.id]);
    assert.equal(nearest[0]!.parentId, chain[1]!.id, "a cut chain starts with an event that has a parent");
    assert.deepEqual((await ancestors(store, chain[4]!.id)).map((e) => e.id), chain.slice(0, 4).map((e) => e.id));
    for (
      const [args, field] of [[["nope", {}], "eventId"], [[chain[4]!.id, { maxDepth: 0 }], "maxDepth"], [[
        chain[4]!.id,
        { maxDepth: 10_001 },
      ], "maxDepth"], [[chain[4]!.id, { maxDepth: 1.5 }], "maxDepth"]] as const
    ) {
      const error = await rejectsWith<ValidationError>(
        ancestors(store, args[0], args[1] as { maxDepth?: number }),
        "VALIDATION_FAILED",
      );
      assert.equal(error.issues[0]?.path, field);
    }
    await rejectsWith(ancestors(store, newEventId()), "NOT_FOUND");
  });

  test("a replay of linked events rebuilds the table and leaves the links as they are", async () => {
    const { m, store } = await fresh();
    await tree(store, m);
    const live = await snapshot(fx.db, [m.docs, m.events]);
    const replayable = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Doc, m.Note],
      replay: { clear: "tracked-tables" },
    });
    await replay(replayable);
    assert.deepEqual(await snapshot(fx.db, [m.docs, m.events]), live);
  });
});
