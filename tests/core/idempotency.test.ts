// The event id is the idempotency key of an action: a repeated call writes nothing and returns
// the original outcome, and a batch whose response was lost after its commit is resent safely:
// by the store (lostResponseRetries) on Node and Bun, by the runtime's own fetch on Deno.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ulid } from "ulid";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, ref, sql, type StorageError } from "../../mod.ts";
import { type ExecutorFixture, executorCases } from "../support/executors.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";

function model(schema: string, afterOpen: () => void) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    attributes: v.object({ id: v.string(), owner: v.string(), balance: v.number(), closedAt: v.optional(v.nullable(v.date())) }),
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 }, after: afterOpen }),
      deposit: update({
        input: v.object({ amount: v.number() }),
        set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
      }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      bump: update({ change: (record) => ({ balance: record.balance + 1 }) }),
      close: destroy({ soft: "closedAt" }),
      remove: destroy(),
    }),
  });
  return { log, Account };
}

for (const testCase of executorCases()) {
  describe(`idempotent event ids [${testCase.name}]`, () => {
    let fx: ExecutorFixture;
    let m: ReturnType<typeof model>;
    let store: EventStore;
    let hookRuns = 0;
    const counts = () => Promise.all([countRows(fx.db, `${fx.schema}.events`), countRows(fx.db, `${fx.schema}.accounts`)]);

    before(async () => {
      fx = await testCase.setup();
      m = model(fx.schema, () => void hookRuns++);
      store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
      await store.migrate({ resourceTables: true });
    });
    after(() => fx?.close());

    test("a create repeated with its event id returns the original outcome as a duplicate and writes nothing", async () => {
      const eventId = ulid();
      const first = await store.resource(m.Account).open({ owner: "ada" }, { eventId });
      assert.equal(first.duplicate, false);
      assert.equal(first.event?.id, eventId);
      const before = await counts();
      const runs = hookRuns;
      const second = await store.resource(m.Account).open({ owner: "someone else" }, { eventId });
      assert.equal(second.duplicate, true);
      assert.equal(second.record.id, first.record.id);
      assert.equal(second.record.owner, "ada");
      assert.deepEqual(second.event, first.event);
      assert.deepEqual(await counts(), before);
      assert.equal(hookRuns, runs, "after hooks do not run again for a duplicate");
    });

    test("an atomic update repeated with its event id is applied once", async () => {
      const { record } = await store.resource(m.Account).open({ owner: "bea" });
      const eventId = ulid();
      const first = await store.resource(m.Account).deposit(record.id, { amount: 10 }, { eventId });
      const before = await counts();
      const second = await store.resource(m.Account).deposit(record.id, { amount: 10 }, { eventId });
      assert.equal(first.duplicate, false);
      assert.equal(second.duplicate, true);
      assert.equal(second.event?.position, first.event?.position);
      assert.equal(second.record.balance, 10);
      assert.deepEqual(await counts(), before);
    });

    for (const action of ["remove", "close"] as const) {
      test(`a ${action === "remove" ? "hard" : "soft"} destroy repeated with its event id is a duplicate, not NOT_FOUND`, async () => {
        const { record } = await store.resource(m.Account).open({ owner: `repeat-${action}` });
        const eventId = ulid();
        const first = await store.resource(m.Account)[action](record.id, {}, { eventId });
        const before = await counts();
        const second = await store.resource(m.Account)[action](record.id, {}, { eventId });
        assert.equal(second.duplicate, true);
        assert.deepEqual(second.event, first.event);
        assert.equal(second.record.id, record.id);
        assert.deepEqual(await counts(), before);
      });
    }

    test("a transaction repeated with the same event ids is a duplicate as a whole", async () => {
      const ids = [ulid(), ulid()];
      const plan = () =>
        store.transaction((tx) => {
          const created = tx.resource(m.Account).open({ owner: "cy" }, { eventId: ids[0]! });
          tx.resource(m.Account).deposit(created.recordId, { amount: 4 }, { eventId: ids[1]! });
        });
      const first = await plan();
      const before = await counts();
      const second = await plan();
      assert.deepEqual(second.map((r) => r.duplicate), [true, true]);
      assert.deepEqual(second.map((r) => r.event?.id), ids);
      assert.equal(second[0]?.event?.recordId, first[0]?.event?.recordId);
      assert.deepEqual(await counts(), before);
    });

    test("an event id already used by another action is refused and writes nothing", async () => {
      const { record, event } = await store.resource(m.Account).open({ owner: "dee" });
      const before = await counts();
      await rejectsWith(store.resource(m.Account).rename(record.id, { owner: "x" }, { eventId: event!.id }), "VALIDATION_FAILED");
      assert.deepEqual(await counts(), before);
    });
  });
}

for (const testCase of executorCases(["neon-http"])) {
  describe(`a response lost after the commit [${testCase.name}]`, () => {
    let fx: ExecutorFixture;
    let m: ReturnType<typeof model>;
    let hookRuns = 0;
    const counts = () => Promise.all([countRows(fx.db, `${fx.schema}.events`), countRows(fx.db, `${fx.schema}.accounts`)]);
    /**
     * Drop the response of the next request of this suite's schema whose body carries `marker`
     * (the server is shared with other suites). Returns whether the fault has fired yet.
     */
    const dropNextResponse = (marker: string): () => boolean => {
      let fired = false;
      fx.server!.faults.once("drop-after-commit", {
        match: (body) => {
          const text = JSON.stringify(body);
          fired ||= text.includes(fx.schema) && text.includes(marker);
          return fired;
        },
      });
      return () => fired;
    };

    before(async () => {
      fx = await testCase.setup();
      m = model(fx.schema, () => void hookRuns++);
      await createEventStore({ db: fx.db, log: m.log, resources: [m.Account] }).migrate({ resourceTables: true });
    });
    after(() => fx?.close());

    test("a create whose response is lost is resent and commits exactly one record and one event", async () => {
      const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
      const before = await counts();
      const runs = hookRuns;
      const dropped = dropNextResponse("lost-create");
      const result = await store.resource(m.Account).open({ owner: "lost-create" });
      assert.ok(dropped(), "the response was dropped");
      assert.equal(result.duplicate, false, "the call that committed reports its own outcome");
      assert.equal(result.record.owner, "lost-create");
      assert.deepEqual(await counts(), [before[0] + 1, before[1] + 1]);
      const [stored] = await store.readEvents({ resource: "account", recordId: result.record.id });
      assert.equal(stored?.id, result.event?.id);
      assert.equal(hookRuns, runs + 1, "the after hook ran once");
    });

    test("an atomic update whose response is lost is resent and applied once", async () => {
      const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
      const { record } = await store.resource(m.Account).open({ owner: "lost-update" });
      const before = await counts();
      const dropped = dropNextResponse("AS (UPDATE ");
      const result = await store.resource(m.Account).deposit(record.id, { amount: 25 });
      assert.ok(dropped(), "the response was dropped");
      assert.equal(result.record.balance, 25);
      assert.deepEqual(await counts(), [before[0] + 1, before[1]]);
      const balance = await fx.db.query({ text: `SELECT balance FROM ${fx.schema}.accounts WHERE id = $1`, params: [record.id] });
      assert.equal(balance.rows[0]?.["balance"], 25);
    });

    test("a change-function update whose response is lost is resent, applied once and reported as the call's own outcome", async () => {
      const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
      const { record } = await store.resource(m.Account).open({ owner: "lost-bump" });
      const before = await counts();
      const dropped = dropNextResponse("AS (UPDATE ");
      const result = await store.resource(m.Account).bump(record.id);
      assert.ok(dropped(), "the response was dropped");
      assert.equal(result.duplicate, false);
      assert.equal(result.record.balance, 1);
      assert.deepEqual(await counts(), [before[0] + 1, before[1]]);
    });

    for (const action of ["remove", "close"] as const) {
      test(`a ${action === "remove" ? "hard" : "soft"} destroy whose response is lost is resent and resolves with its own event`, async () => {
        const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account] });
        const { record } = await store.resource(m.Account).open({ owner: `lost-${action}` });
        const before = await counts();
        const dropped = dropNextResponse(action === "remove" ? "AS (DELETE " : "AS (UPDATE ");
        const result = await store.resource(m.Account)[action](record.id);
        assert.ok(dropped(), "the response was dropped");
        assert.equal(result.duplicate, false);
        assert.equal(result.event?.actionType, "destroy");
        assert.equal(result.record.id, record.id);
        assert.deepEqual(await counts(), [before[0] + 1, before[1] - (action === "remove" ? 1 : 0)]);
      });
    }

    test("without resends the call is STORAGE_FAILURE with an unknown outcome; a retry with its event id returns the original", async () => {
      const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account], lostResponseRetries: 0 });
      const before = await counts();
      const eventId = ulid();
      const dropped = dropNextResponse("manual-retry");
      const call = store.resource(m.Account).open({ owner: "manual-retry" }, { eventId });
      if ("Deno" in globalThis) {
        // Deno's fetch itself resends a POST whose keep-alive connection closed without an
        // answer (see tests/drivers/neon-http.test.ts), so the call never sees the loss: its
        // resend finds the event id taken and returns the committed outcome.
        assert.equal((await call).event?.id, eventId);
      } else {
        const error = await rejectsWith<StorageError>(call, "STORAGE_FAILURE");
        assert.equal(error.outcomeUnknown, true);
      }
      assert.ok(dropped(), "the response was dropped");
      assert.deepEqual(await counts(), [before[0] + 1, before[1] + 1], "the lost batch did commit");
      const retried = await store.resource(m.Account).open({ owner: "manual-retry" }, { eventId });
      assert.equal(retried.duplicate, true);
      assert.equal(retried.event?.id, eventId);
      assert.equal(retried.record.owner, "manual-retry");
      const [stored] = await store.readEvents({ resource: "account", recordId: retried.record.id });
      assert.equal(stored?.id, eventId, "the retry names the record the lost batch created");
      assert.deepEqual(await counts(), [before[0] + 1, before[1] + 1]);
    });
  });
}
