// The expectedPosition precondition of updates and destroys, on every executor: a write happens
// only while the record's last event is where the caller expects it, else STALE_RECORD and nothing
// is written; a change-function update with the record held is computed from it, verified in the
// write; bad preconditions are VALIDATION_FAILED before anything is sent; tenants, transactions,
// idempotent repeats and event-only resources.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  newEventId,
  type StaleRecordError,
  type ValidationError,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { DEPOSIT_INPUT, depositSet, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    attributes: v.object({
      id: v.string(),
      owner: v.string(),
      balance: v.number(),
      tags: v.optional(v.array(v.string())),
      limits: v.optional(v.object({ daily: v.number() })),
      ...TIMESTAMP_ENTRIES,
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({
        input: v.object({ owner: v.string() }),
        defaults: { balance: 0, tags: ["new"], limits: { daily: 100 } },
      }),
      importOpen: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 }, ignored: true }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      double: update({ change: (account) => ({ balance: account.balance * 2 }) }),
      close: destroy({ soft: "deletedAt" }),
      remove: destroy(),
    }),
  });
  const Project = defineResource({
    name: "project",
    table: `${schema}.projects`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), title: v.string(), edits: v.number() }),
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ title: v.string() }), defaults: { edits: 0 } }),
      retitle: update({ input: v.object({ title: v.string() }) }),
      touch: update({ change: (project) => ({ edits: project.edits + 1 }) }),
    }),
  });
  const Note = defineResource({
    name: "note",
    table: false,
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), title: v.string(), count: v.number() }),
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ id: v.string(), title: v.string() }), defaults: { count: 0 } }),
      retitle: update({ input: v.object({ title: v.string() }) }),
      bump: update({ change: (note) => ({ count: note.count + 1 }) }),
      remove: destroy(),
    }),
  });
  return { log, Account, Project, Note };
}

describeEachExecutor("expectedPosition", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const events = (): Promise<number> => countRows(fx.db, `${fx.schema}.events`);
  const accountRow = async (id: string) =>
    (await fx.db.query({ text: `SELECT * FROM ${fx.schema}.accounts WHERE id = $1`, params: [id] })).rows[0];
  const open = (owner: string) => store.resource(m.Account).open({ owner });

  /** Run `call`, which must fail with `code`, and prove it wrote nothing: no event, the row as it was. */
  const refused = async <E>(call: () => Promise<unknown>, code: "STALE_RECORD" | "NOT_FOUND", id?: string) => {
    const [count, row] = [await events(), id === undefined ? undefined : await accountRow(id)];
    const error = await rejectsWith<E>(call(), code);
    assert.equal(await events(), count, "no event was written");
    if (id !== undefined) assert.deepEqual(await accountRow(id), row, "the row is as it was");
    return error;
  };

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account, m.Project, m.Note] });
    await store.migrate({ resourceTables: true });
  });

  describe("updates and destroys without a change function", () => {
    test("an update at the expected position writes, and its event's position is the one to expect next", async () => {
      const opened = await open("ada");
      const renamed = await store.resource(m.Account).rename(opened.record.id, { owner: "ada2" }, {
        expectedPosition: opened.event!.position,
      });
      assert.equal(renamed.record.owner, "ada2");
      assert.ok(renamed.event!.position > opened.event!.position);
      const deposited = await store.resource(m.Account).deposit(opened.record.id, { amount: 5 }, {
        expectedPosition: renamed.event!.position,
      });
      assert.equal(deposited.record.balance, 5);
    });

    test("an update at an older position is STALE_RECORD with both positions, and writes nothing", async () => {
      const opened = await open("bea");
      const renamed = await store.resource(m.Account).rename(opened.record.id, { owner: "bee" });
      const error = await refused<StaleRecordError>(
        () =>
          store.resource(m.Account).rename(opened.record.id, { owner: "lost" }, {
            expectedPosition: opened.event!.position,
          }),
        "STALE_RECORD",
        opened.record.id,
      );
      assert.equal(error.name, "StaleRecordError");
      assert.equal(error.resource, "account");
      assert.equal(error.recordId, opened.record.id);
      assert.equal(error.expectedPosition, opened.event!.position);
      assert.equal(error.actualPosition, renamed.event!.position);
      for (const secret of [opened.record.id, String(opened.event!.position), "lost", "bee"]) {
        assert.ok(!error.message.includes(secret), "the message holds no ids, positions or values");
      }
    });

    test("atomic, soft and hard destroys honour the expected position too", async () => {
      const accounts = store.resource(m.Account);
      const opened = await open("cy");
      const deposited = await accounts.deposit(opened.record.id, { amount: 1 });
      await refused(
        () => accounts.deposit(opened.record.id, { amount: 1 }, { expectedPosition: opened.event!.position }),
        "STALE_RECORD",
        opened.record.id,
      );
      await refused(
        () => accounts.close(opened.record.id, {}, { expectedPosition: opened.event!.position }),
        "STALE_RECORD",
        opened.record.id,
      );
      await refused(
        () => accounts.remove(opened.record.id, {}, { expectedPosition: opened.event!.position }),
        "STALE_RECORD",
        opened.record.id,
      );
      const closed = await accounts.close(opened.record.id, {}, { expectedPosition: deposited.event!.position });
      assert.ok(closed.record.deletedAt instanceof Date);

      const other = await open("cy2");
      const removed = await accounts.remove(other.record.id, {}, { expectedPosition: other.event!.position });
      assert.equal(removed.event!.actionType, "destroy");
      assert.equal(await accountRow(other.record.id), undefined);
    });

    test("a record destroyed since is STALE_RECORD at the destroy; an unknown record is NOT_FOUND", async () => {
      const accounts = store.resource(m.Account);
      const opened = await open("dee");
      const removed = await accounts.remove(opened.record.id);
      const error = await refused<StaleRecordError>(
        () => accounts.rename(opened.record.id, { owner: "x" }, { expectedPosition: opened.event!.position }),
        "STALE_RECORD",
      );
      assert.equal(error.actualPosition, removed.event!.position);
      // Expecting the destroy itself: the position holds, and there is no record.
      await refused(
        () => accounts.rename(opened.record.id, { owner: "x" }, { expectedPosition: removed.event!.position }),
        "NOT_FOUND",
      );
      await refused(() => accounts.rename("no-such-id", { owner: "x" }, { expectedPosition: 1n }), "NOT_FOUND");
    });

    test("0n expects a record without events (an ignored create)", async () => {
      const accounts = store.resource(m.Account);
      const imported = await accounts.importOpen({ owner: "eve" });
      assert.equal(imported.event, null);
      const renamed = await accounts.rename(imported.record.id, { owner: "eve2" }, { expectedPosition: 0n });
      const error = await refused<StaleRecordError>(
        () => accounts.rename(imported.record.id, { owner: "lost" }, { expectedPosition: 0n }),
        "STALE_RECORD",
        imported.record.id,
      );
      assert.equal(error.actualPosition, renamed.event!.position);
    });
  });

  describe("change-function updates with the record held", () => {
    test("the held record replaces the read: the change is computed from it", async () => {
      const accounts = store.resource(m.Account);
      const opened = await open("fay");
      const deposited = await accounts.deposit(opened.record.id, { amount: 3 });
      const doubled = await accounts.double(opened.record.id, {}, {
        expectedPosition: deposited.event!.position,
        record: deposited.record,
      });
      assert.equal(doubled.record.balance, 6);
      assert.deepEqual(doubled.event!.changes["balance"], 6);
      const again = await accounts.double(opened.record.id, {}, {
        expectedPosition: doubled.event!.position,
        record: doubled.record,
      });
      assert.equal(again.record.balance, 12);
    });

    test("a held record from an older position is STALE_RECORD, and the change is not retried", async () => {
      const accounts = store.resource(m.Account);
      const opened = await open("gus");
      const deposited = await accounts.deposit(opened.record.id, { amount: 3 });
      const error = await refused<StaleRecordError>(
        () =>
          accounts.double(opened.record.id, {}, { expectedPosition: opened.event!.position, record: opened.record }),
        "STALE_RECORD",
        opened.record.id,
      );
      assert.equal(error.actualPosition, deposited.event!.position);
    });

    test("a held record that is not the stored one is STALE_RECORD at the expected position, nothing written", async () => {
      const accounts = store.resource(m.Account);
      const opened = await open("hal");
      const deposited = await accounts.deposit(opened.record.id, { amount: 3 });
      const at = { expectedPosition: deposited.event!.position };
      const forgeries: Record<string, unknown>[] = [
        { ...deposited.record, balance: 1_000_000 },
        { ...deposited.record, owner: "mallory" },
        { ...deposited.record, tags: ["new", "vip"] },
        { ...deposited.record, limits: { daily: 1e9 } },
        { ...deposited.record, updatedAt: new Date(deposited.record.updatedAt!.getTime() + 1) },
        { ...deposited.record, deletedAt: new Date() },
        { ...deposited.record, id: "other" },
        // An attribute left out must be NULL in the row: tags are not.
        (({ tags: _, ...rest }) => rest)(deposited.record),
      ];
      for (const record of forgeries) {
        const error = await refused<StaleRecordError>(
          () => accounts.double(opened.record.id, {}, { ...at, record: record as typeof deposited.record }),
          "STALE_RECORD",
          opened.record.id,
        );
        assert.equal(error.actualPosition, error.expectedPosition);
      }
      // The genuine record goes through; JSON attributes compare as jsonb, whatever their key order.
      const { limits, ...rest } = deposited.record;
      const reordered = { limits: { ...limits! }, ...rest };
      const doubled = await accounts.double(opened.record.id, {}, { ...at, record: reordered });
      assert.equal(doubled.record.balance, 6);
    });

    test("with the position but no record, the update reads, and a moved record is STALE_RECORD", async () => {
      const accounts = store.resource(m.Account);
      const opened = await open("ivy");
      const doubled = await accounts.double(opened.record.id, {}, { expectedPosition: opened.event!.position });
      assert.equal(doubled.record.balance, 0);
      await refused(
        () => accounts.double(opened.record.id, {}, { expectedPosition: opened.event!.position }),
        "STALE_RECORD",
        opened.record.id,
      );
    });
  });

  describe("validation: nothing is sent", () => {
    test("a non-bigint, negative or too large expectedPosition is VALIDATION_FAILED naming it", async () => {
      const opened = await open("jo");
      const count = await events();
      const sent = fx.requests();
      for (const bad of [1, "1", -1n, 2n ** 63n, null, { position: 1n }]) {
        const error = await rejectsWith<ValidationError>(
          store.resource(m.Account).rename(opened.record.id, { owner: "x" }, { expectedPosition: bad as bigint }),
          "VALIDATION_FAILED",
        );
        assert.equal(error.issues[0]?.path, "expectedPosition", String(bad));
      }
      assert.equal(fx.requests(), sent, "nothing was sent");
      assert.equal(await events(), count);
    });

    test("a record without expectedPosition, or not a record of the resource, is VALIDATION_FAILED naming it", async () => {
      const opened = await open("kim");
      const count = await events();
      const accounts = store.resource(m.Account);
      const alone = await rejectsWith<ValidationError>(
        accounts.double(opened.record.id, {}, { record: opened.record }),
        "VALIDATION_FAILED",
      );
      assert.equal(alone.issues[0]?.path, "record");
      const typed = await rejectsWith<ValidationError>(
        accounts.double(opened.record.id, {}, {
          expectedPosition: opened.event!.position,
          record: { ...opened.record, balance: "lots" as unknown as number },
        }),
        "VALIDATION_FAILED",
      );
      assert.equal(typed.issues[0]?.path, "record.balance");
      assert.ok(!typed.message.includes("lots"));
      const notObject = await rejectsWith<ValidationError>(
        accounts.double(opened.record.id, {}, { expectedPosition: 1n, record: "x" as never }),
        "VALIDATION_FAILED",
      );
      assert.equal(notObject.issues[0]?.path, "record");
      assert.equal(await events(), count);
    });

    test("a create with expectedPosition is VALIDATION_FAILED; withContext refuses a precondition", async () => {
      const open = store.resource(m.Account).open as (input: unknown, ctx: unknown) => Promise<unknown>;
      const error = await rejectsWith<ValidationError>(
        open({ owner: "x" }, { expectedPosition: 1n }),
        "VALIDATION_FAILED",
      );
      assert.equal(error.issues[0]?.path, "expectedPosition");
      assert.throws(() => store.withContext({ expectedPosition: 1n } as never), TypeError);
      assert.throws(() => store.withContext({ record: {} } as never), TypeError);
    });
  });

  describe("tenants, transactions, idempotency", () => {
    test("under a tenant; another tenant's record is NOT_FOUND, its position never told", async () => {
      const projects = store.resource(m.Project);
      const started = await projects.start({ title: "Apollo" }, { tenant: "acme" });
      const retitled = await projects.retitle(started.record.id, { title: "Apollo 2" }, {
        tenant: "acme",
        expectedPosition: started.event!.position,
      });
      const touched = await projects.touch(started.record.id, {}, {
        tenant: "acme",
        expectedPosition: retitled.event!.position,
        record: retitled.record,
      });
      assert.equal(touched.record.edits, 1);
      for (const expectedPosition of [touched.event!.position, started.event!.position]) {
        await refused(
          () => projects.retitle(started.record.id, { title: "stolen" }, { tenant: "globex", expectedPosition }),
          "NOT_FOUND",
        );
        await refused(
          () =>
            projects.touch(started.record.id, {}, {
              tenant: "globex",
              expectedPosition,
              record: { ...touched.record, orgId: "globex" },
            }),
          "NOT_FOUND",
        );
      }
    });

    test("a transaction writes nothing when one expectation fails, and names that record", async () => {
      const [a, b] = [await open("lou"), await open("max")];
      const moved = await store.resource(m.Account).deposit(b.record.id, { amount: 1 });
      const count = await events();
      const error = await rejectsWith<StaleRecordError>(
        store.transaction((tx) => {
          const accounts = tx.resource(m.Account);
          accounts.deposit(a.record.id, { amount: 1 }, { expectedPosition: a.event!.position });
          accounts.double(b.record.id, {}, { expectedPosition: b.event!.position, record: b.record });
        }),
        "STALE_RECORD",
      );
      assert.equal(error.recordId, b.record.id);
      assert.equal(error.actualPosition, moved.event!.position);
      assert.equal(await events(), count);
      assert.equal((await accountRow(a.record.id))?.["balance"], 0);
      const [deposited, doubled] = await store.transaction((tx) => {
        const accounts = tx.resource(m.Account);
        return [
          accounts.deposit(a.record.id, { amount: 1 }, { expectedPosition: a.event!.position }),
          accounts.double(b.record.id, {}, { expectedPosition: moved.event!.position, record: moved.record }),
        ];
      });
      assert.equal(deposited.record.balance, 1);
      assert.equal(doubled.record.balance, 2);
    });

    test("a call repeated with its event id returns its first outcome, although its event moved the record", async () => {
      const accounts = store.resource(m.Account);
      const opened = await open("ned");
      const eventId = newEventId();
      const ctx = { eventId, expectedPosition: opened.event!.position, record: opened.record };
      const first = await accounts.double(opened.record.id, {}, ctx);
      const plain = await accounts.rename(opened.record.id, { owner: "ned2" }, {
        eventId: newEventId(),
        expectedPosition: first.event!.position,
      });
      const count = await events();
      const repeated = await accounts.double(opened.record.id, {}, ctx);
      assert.equal(repeated.duplicate, true);
      assert.deepEqual(repeated.event, first.event);
      assert.equal(await events(), count);
      // The same id with another call is still refused as a reused id, not as stale.
      const reused = await rejectsWith<ValidationError>(
        accounts.rename(opened.record.id, { owner: "other" }, { ...ctx, expectedPosition: plain.event!.position }),
        "VALIDATION_FAILED",
      );
      assert.equal(reused.issues[0]?.path, "eventId");
      // A new id at the stale position is stale.
      await refused(
        () => accounts.double(opened.record.id, {}, { ...ctx, eventId: newEventId() }),
        "STALE_RECORD",
        opened.record.id,
      );
    });
  });

  describe("event-only resources", () => {
    test("updates and destroys check the last event; a change function reads (a held record is not used)", async () => {
      const notes = store.resource(m.Note);
      const written = await notes.write({ id: "n1", title: "draft" });
      const retitled = await notes.retitle("n1", { title: "final" }, { expectedPosition: written.event!.position });
      assert.equal(retitled.record.title, "final");
      await refused(
        () => notes.retitle("n1", { title: "lost" }, { expectedPosition: written.event!.position }),
        "STALE_RECORD",
      );
      const bumped = await notes.bump("n1", {}, {
        expectedPosition: retitled.event!.position,
        record: { ...retitled.record, count: 41 },
      });
      assert.equal(bumped.record.count, 1, "computed from the events, not from the record passed");
      const error = await refused<StaleRecordError>(
        () => notes.bump("n1", {}, { expectedPosition: retitled.event!.position }),
        "STALE_RECORD",
      );
      assert.equal(error.actualPosition, bumped.event!.position);
      await refused(() => notes.remove("n1", {}, { expectedPosition: written.event!.position }), "STALE_RECORD");
      const removed = await notes.remove("n1", {}, { expectedPosition: bumped.event!.position });
      await refused(
        () => notes.retitle("n1", { title: "x" }, { expectedPosition: removed.event!.position }),
        "NOT_FOUND",
      );
      await refused(() => notes.retitle("n2", { title: "x" }, { expectedPosition: 0n }), "NOT_FOUND");
    });
  });
});
