// Round trips of the write path through the real neon() driver: every simple action is one
// HTTP request (lock, record write and event insert in one batch); a change-function update
// is two (read, then the conditional write), or one when the caller holds the record and its
// position (`expectedPosition` and `record`); a transaction of N simple actions is one.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, isEdgeEventsError } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { DEPOSIT_INPUT, depositSet, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { countRows } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events`, actors: { user: { column: "user_id", type: "uuid" } } });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    attributes: v.object({
      id: v.string(),
      owner: v.string(),
      balance: v.number(),
      ...TIMESTAMP_ENTRIES,
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      bump: update({ change: (record) => ({ balance: record.balance + 1 }) }),
      close: destroy({ soft: "deletedAt" }),
      remove: destroy(),
      importOpen: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 }, ignored: true }),
      credit: update({ input: DEPOSIT_INPUT, set: depositSet, ignored: true }),
    }),
  });
  return { log, Account };
}

describeEachExecutor("round trips of the write path", { needs: ["http-requests"] }, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;

  /** HTTP requests `call` sends, and its result. */
  const requestsOf = async <T>(call: () => Promise<T>): Promise<[number, T]> => {
    const start = fx.requests()!;
    const result = await call();
    return [fx.requests()! - start, result];
  };
  const open = async (owner: string) => (await store.resource(m.Account).open({ owner })).record;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
    await store.migrate({ resourceTables: true });
    assert.equal(typeof fx.requests(), "number", "the fixture counts HTTP requests");
  });

  test("a create is one HTTP request", async () => {
    const [sent, result] = await requestsOf(() =>
      store.resource(m.Account).open({ owner: "ada" }, { actor: { user: "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21" } })
    );
    assert.equal(sent, 1);
    assert.ok(result.event !== null);
  });

  test("an update that sets attributes from its input is one HTTP request", async () => {
    const { id } = await open("bea");
    const [sent, result] = await requestsOf(() => store.resource(m.Account).rename(id, { owner: "bee" }));
    assert.equal(sent, 1);
    assert.equal(result.record.owner, "bee");
  });

  test("an update with an atomic SQL expression is one HTTP request", async () => {
    const { id } = await open("cy");
    const [sent, result] = await requestsOf(() => store.resource(m.Account).deposit(id, { amount: 5 }));
    assert.equal(sent, 1);
    assert.equal(result.record.balance, 5);
  });

  test("a hard destroy is one HTTP request", async () => {
    const { id } = await open("dee");
    const [sent] = await requestsOf(() => store.resource(m.Account).remove(id));
    assert.equal(sent, 1);
  });

  test("a soft destroy is one HTTP request", async () => {
    const { id } = await open("eve");
    const [sent, result] = await requestsOf(() => store.resource(m.Account).close(id));
    assert.equal(sent, 1);
    assert.ok(result.record.deletedAt instanceof Date);
  });

  test("ignored actions, which record their id for idempotency, are one HTTP request each", async () => {
    const [created, opened] = await requestsOf(() => store.resource(m.Account).importOpen({ owner: "ign" }));
    assert.equal(created, 1);
    assert.equal(opened.event, null);
    const [credited, result] = await requestsOf(() =>
      store.resource(m.Account).credit(opened.record.id, { amount: 5 })
    );
    assert.equal(credited, 1);
    assert.equal(result.record.balance, 5);
    assert.equal(await countRows(fx.db, m.log.idempotencyTable.sql), 2);
  });

  test("a change-function update is two HTTP requests: the read and the conditional write", async () => {
    const { id } = await open("fay");
    const [sent, result] = await requestsOf(() => store.resource(m.Account).bump(id));
    assert.equal(sent, 2);
    assert.equal(result.record.balance, 1);
  });

  test("an update or destroy with an expected position is one HTTP request", async () => {
    const opened = await store.resource(m.Account).open({ owner: "pia" });
    const [renaming, renamed] = await requestsOf(() =>
      store.resource(m.Account).rename(opened.record.id, { owner: "pia2" }, {
        expectedPosition: opened.event!.position,
      })
    );
    assert.equal(renaming, 1);
    const [removing] = await requestsOf(() =>
      store.resource(m.Account).remove(opened.record.id, {}, { expectedPosition: renamed.event!.position })
    );
    assert.equal(removing, 1);
  });

  test("a change-function update with the record and its position held is one HTTP request", async () => {
    const opened = await store.resource(m.Account).open({ owner: "quin" });
    const [sent, result] = await requestsOf(() =>
      store.resource(m.Account).bump(opened.record.id, {}, {
        expectedPosition: opened.event!.position,
        record: opened.record,
      })
    );
    assert.equal(sent, 1);
    assert.equal(result.record.balance, 1);
    // Refused: the write, then one read of where the record is, for the error.
    const refused = await requestsOf(() =>
      store.resource(m.Account).bump(opened.record.id, {}, {
        expectedPosition: opened.event!.position,
        record: opened.record,
      }).catch((error: unknown) => error)
    );
    assert.equal(refused[0], 2);
    assert.ok(isEdgeEventsError(refused[1], "STALE_RECORD"));
  });

  test("a transaction of a held change-function update and a create is one HTTP request", async () => {
    const opened = await store.resource(m.Account).open({ owner: "rex" });
    const [sent] = await requestsOf(() =>
      store.transaction((tx) => {
        tx.resource(m.Account).bump(opened.record.id, {}, {
          expectedPosition: opened.event!.position,
          record: opened.record,
        });
        tx.resource(m.Account).open({ owner: "sal" });
      })
    );
    assert.equal(sent, 1);
  });

  test("a transaction of six simple actions is one HTTP request", async () => {
    const [a, b] = [await open("gus"), await open("hal")];
    const before = await countRows(fx.db, `${fx.schema}.events`);
    const [sent, results] = await requestsOf(() =>
      store.transaction((tx) => {
        const accounts = tx.resource(m.Account);
        const created = accounts.open({ owner: "ivy" });
        accounts.deposit(created.recordId, { amount: 3 });
        accounts.rename(a.id, { owner: "gus2" });
        accounts.deposit(a.id, { amount: 7 });
        accounts.close(b.id);
        accounts.open({ owner: "jo" });
      })
    );
    assert.equal(sent, 1);
    assert.equal(results.length, 6);
    assert.equal(await countRows(fx.db, `${fx.schema}.events`), before + 6);
  });

  test("a transaction with a change-function update is two HTTP requests", async () => {
    const { id } = await open("kim");
    const [sent] = await requestsOf(() =>
      store.transaction((tx) => {
        tx.resource(m.Account).bump(id);
        tx.resource(m.Account).open({ owner: "lou" });
      })
    );
    assert.equal(sent, 2);
  });
});
