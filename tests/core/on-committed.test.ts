// The store's onCommitted subscriber: called once per committed batch that wrote events (calls,
// transactions, event-only resources, an after hook's own calls), with the batch's events in
// position order, before the batch's after hooks; never for ignored actions, failed batches, a
// caller's repeat, or replay; a throw is reported like an after hook's and commits anyway.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type HookFailedError,
  isEdgeEventsError,
  newEventId,
  replay,
  type StoredEvent,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    attributes: v.object({ id: v.string(), text: v.string() }),
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
      // Writes its record and no event.
      touch: update({ input: v.object({ text: v.string() }), ignored: true }),
      // Its after hook writes a second note through the hook's store: a batch of its own.
      echo: update({
        input: v.object({ text: v.string() }),
        after: async (record, { store }) => {
          await store.resource(Note).write({ text: `echo of ${record.id}` });
        },
      }),
      remove: destroy(),
    }),
  });
  const Tag = defineResource({
    name: "tag",
    table: false,
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create, update }) => ({
      add: create({ input: v.object({ id: v.string(), label: v.string() }) }),
      relabel: update({ input: v.object({ label: v.string() }) }),
    }),
  });
  return { log, Note, Tag };
}

describeEachExecutor("onCommitted", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const batches: (readonly StoredEvent[])[] = [];
  const hookErrors: HookFailedError[] = [];
  let failNext = false;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Note, m.Tag],
      replay: { clear: "tracked-tables" },
      onHookError: (error) => hookErrors.push(error),
      onCommitted: (events) => {
        batches.push(events);
        if (failNext) {
          failNext = false;
          throw new Error("broker down");
        }
      },
    });
    await store.migrate({ resourceTables: true });
  });

  /** The batches delivered by `fn`. */
  async function delivered(fn: () => Promise<unknown>): Promise<(readonly StoredEvent[])[]> {
    const from = batches.length;
    await fn();
    return batches.slice(from);
  }

  test("a call is delivered once, with its event, before the call returns", async () => {
    let event: StoredEvent | null = null;
    const seen = await delivered(async () => {
      event = (await store.resource(m.Note).write({ text: "a" })).event;
    });
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0], [event]);
    assert.ok(Object.isFrozen(seen[0]));
  });

  test("a transaction is delivered once, its events in position order", async () => {
    const { record } = await store.resource(m.Note).write({ text: "t" });
    let results: readonly { event: StoredEvent | null }[] = [];
    const seen = await delivered(async () => {
      results = await store.transaction((tx) => [
        tx.resource(m.Note).edit(record.id, { text: "t2" }),
        tx.resource(m.Tag).add({ id: "tag-1", label: "x" }),
        tx.resource(m.Note).write({ text: "u" }),
      ]);
    });
    assert.equal(seen.length, 1);
    const events = seen[0]!;
    assert.deepEqual(events.map((e) => e.id), results.map((r) => r.event!.id));
    const positions = events.map((e) => e.position);
    assert.deepEqual(positions, [...positions].sort((a, b) => (a < b ? -1 : 1)));
    assert.deepEqual(events.map((e) => `${e.resource}.${e.action}`), ["note.edit", "tag.add", "note.write"]);
  });

  test("an event-only resource's writes are delivered", async () => {
    const seen = await delivered(() => store.resource(m.Tag).add({ id: "tag-2", label: "y" }));
    assert.deepEqual(seen.map((events) => events.map((e) => e.action)), [["add"]]);
    const again = await delivered(() => store.resource(m.Tag).relabel("tag-2", { label: "z" }));
    assert.deepEqual(again.map((events) => events.map((e) => e.action)), [["relabel"]]);
  });

  test("a batch that wrote no event (ignored actions) is not delivered; a mixed one delivers its events only", async () => {
    const { record } = await store.resource(m.Note).write({ text: "i" });
    assert.deepEqual(await delivered(() => store.resource(m.Note).touch(record.id, { text: "i2" })), []);
    const mixed = await delivered(() =>
      store.transaction((tx) => {
        tx.resource(m.Note).touch(record.id, { text: "i3" });
        tx.resource(m.Note).edit(record.id, { text: "i4" });
      })
    );
    assert.deepEqual(mixed.map((events) => events.map((e) => e.action)), [["edit"]]);
  });

  test("a failed call or transaction is not delivered", async () => {
    const seen = await delivered(async () => {
      await rejectsWith(store.resource(m.Note).edit("missing", { text: "x" }), "NOT_FOUND");
      await rejectsWith(
        store.transaction((tx) => {
          tx.resource(m.Note).write({ text: "never" });
          tx.resource(m.Note).edit("missing", { text: "x" });
        }),
        "NOT_FOUND",
      );
      await rejectsWith(store.resource(m.Tag).relabel("missing", { label: "x" }), "NOT_FOUND");
    });
    assert.deepEqual(seen, []);
  });

  test("a caller's repeat (duplicate: true) is not delivered again", async () => {
    const eventId = newEventId();
    const first = await delivered(() => store.resource(m.Note).write({ text: "once" }, { eventId }));
    assert.equal(first.length, 1);
    let duplicate: boolean | undefined;
    const second = await delivered(async () => {
      duplicate = (await store.resource(m.Note).write({ text: "once" }, { eventId })).duplicate;
    });
    assert.equal(duplicate, true);
    assert.deepEqual(second, []);
  });

  test("the batch is delivered before its after hooks, and a hook's own calls after it", async () => {
    const { record } = await store.resource(m.Note).write({ text: "e" });
    const seen = await delivered(() => store.resource(m.Note).echo(record.id, { text: "e2" }));
    assert.deepEqual(seen.map((events) => events.map((e) => e.action)), [["echo"], ["write"]]);
    assert.ok(seen[0]![0]!.position < seen[1]![0]!.position);
    assert.equal(seen[1]![0]!.causationId, seen[0]![0]!.id, "the hook's call names the echo as its cause");
  });

  test("a throwing subscriber is reported like a hook error; the batch stays committed", async () => {
    const before = await countRows(fx.db, `${fx.schema}.events`);
    failNext = true;
    const result = await store.resource(m.Note).write({ text: "f" });
    assert.ok(isEdgeEventsError(result.hookError, "HOOK_FAILED"));
    assert.equal(result.hookError.hook, "onCommitted");
    assert.equal(result.hookError.resource, "note");
    assert.equal(result.hookError.action, "write");
    assert.equal((result.hookError.cause as Error).message, "broker down");
    assert.equal(hookErrors.at(-1), result.hookError, "onHookError saw the same error");
    assert.equal(await countRows(fx.db, `${fx.schema}.events`), before + 1);
    // A transaction's results all carry it.
    failNext = true;
    const results = await store.transaction((tx) => [
      tx.resource(m.Note).write({ text: "g" }),
      tx.resource(m.Note).write({ text: "h" }),
    ]);
    assert.ok(results.every((r) => r.hookError?.hook === "onCommitted"));
    // The next batch is delivered as usual.
    const seen = await delivered(() => store.resource(m.Note).write({ text: "k" }));
    assert.equal(seen.length, 1);
  });

  test("replay delivers nothing", async () => {
    await store.resource(m.Note).write({ text: "r" });
    const seen = await delivered(async () => {
      const result = await replay(store);
      assert.ok(result.applied > 0);
    });
    assert.deepEqual(seen, []);
  });
});

test("createEventStore refuses an onCommitted that is not a function", () => {
  const m = model("s");
  const db = { kind: "none", query: () => Promise.reject(new Error()), batch: () => Promise.reject(new Error()) };
  assert.throws(
    () => createEventStore({ db, log: m.log, resources: [m.Note], onCommitted: "x" as never }),
    (error: unknown) => error instanceof TypeError && /onCommitted/.test(error.message),
  );
});
