// Events are immutable: on PGlite and Postgres (neon-http), UPDATE, DELETE and TRUNCATE of
// the event table fail with SQLSTATE EEI01 (alone or inside a batch, which then commits
// nothing), and the events stay exactly as they were.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  type StorageError,
} from "../../mod.ts";
import type { Row } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { eventRows } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    attributes: v.object({ id: v.string(), body: v.string() }),
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ body: v.string() }) }),
      edit: update({ input: v.object({ body: v.string() }) }),
      remove: destroy(),
    }),
  });
  return { log, Note };
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isEdgeEventsError(error, "STORAGE_FAILURE"), String(error));
    return error as StorageError;
  }
  assert.fail("expected the statement to fail");
}

describeEachExecutor("events are immutable", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  let before_: Row[];
  const events = (): string => `${fx.schema}.events`;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note] });
    await store.migrate({ resourceTables: true });
    const { record } = await store.resource(m.Note).write({ body: "first" });
    await store.resource(m.Note).edit(record.id, { body: "second" });
    before_ = await eventRows(fx.db, events());
    assert.equal(before_.length, 2);
  });

  const attempts: [string, () => string][] = [
    ["UPDATE of one column", () => `UPDATE ${events()} SET metadata = '{"tampered":true}'`],
    ["UPDATE of the data of one event", () => `UPDATE ${events()} SET data = '{}' WHERE action = 'write'`],
    ["DELETE of every event", () => `DELETE FROM ${events()}`],
    ["DELETE of one event", () => `DELETE FROM ${events()} WHERE action = 'edit'`],
    ["TRUNCATE", () => `TRUNCATE ${events()}`],
    ["TRUNCATE ... CASCADE", () => `TRUNCATE ${events()} CASCADE`],
  ];

  for (const [name, text] of attempts) {
    test(`${name} fails with EEI01 and the events stay`, async () => {
      const error = await failure(fx.db.query({ text: text(), params: [] }));
      assert.equal(error.sqlState, "EEI01");
      assert.equal(error.outcomeUnknown, false);
      assert.deepEqual(await eventRows(fx.db, events()), before_);
    });
  }

  test("a batch that tampers with an event after a legitimate write commits neither", async () => {
    const notes = await fx.db.query({ text: `SELECT count(*)::int AS n FROM ${fx.schema}.notes`, params: [] });
    const error = await failure(fx.db.batch([
      { text: `INSERT INTO ${fx.schema}.notes (id, body) VALUES ('n2', 'x')`, params: [] },
      { text: `DELETE FROM ${events()} WHERE action = 'write'`, params: [] },
    ]));
    assert.equal(error.sqlState, "EEI01");
    assert.deepEqual(await eventRows(fx.db, events()), before_);
    assert.deepEqual(
      (await fx.db.query({ text: `SELECT count(*)::int AS n FROM ${fx.schema}.notes`, params: [] })).rows,
      notes.rows,
    );
  });

  test("destroying a record appends an event; it never deletes the record's earlier events", async () => {
    const id = String(before_[0]?.["record_id"]);
    await store.resource(m.Note).remove(id);
    const after = await eventRows(fx.db, events());
    assert.deepEqual(after.slice(0, 2), before_);
    assert.deepEqual(after.map((e) => e["action"]), ["write", "edit", "remove"]);
  });

  test("an UPDATE or DELETE that matches no event is allowed: the trigger guards rows", async () => {
    await fx.db.query({ text: `UPDATE ${events()} SET metadata = '{}' WHERE false`, params: [] });
    await fx.db.query({ text: `DELETE FROM ${events()} WHERE id = 'none'`, params: [] });
  });
});
