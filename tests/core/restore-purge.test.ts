// restore() and purge(): a restore is an update that clears a soft destroy (its own event; only
// on a record soft-destroyed through that attribute, else RECORD_NOT_DESTROYED, nothing
// written); a purge is a destroy that deletes the row whether the record is live or
// soft-destroyed. Both replay (a purge survives a replay, a raw DELETE does not) and fold
// (stateAt), on tables and on event-only resources.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, replay, stateAt } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    attributes: v.object({
      id: v.string(),
      owner: v.string(),
      updatedAt: v.optional(v.date()),
      deletedAt: v.nullish(v.date()),
    }),
    timestamps: { updatedAt: "updatedAt" },
    actions: ({ create, update, destroy, restore, purge }) => ({
      open: create({ input: v.object({ owner: v.string() }) }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      close: destroy({ soft: "deletedAt" }),
      reopen: restore({ soft: "deletedAt", input: v.object({ reason: v.optional(v.string()) }) }),
      erase: purge(),
      remove: destroy(),
    }),
  });
  // The soft attribute's schema refuses null: a restore still clears it.
  const Tag = defineResource({
    name: "tag",
    table: false,
    attributes: v.object({ id: v.string(), label: v.string(), archivedAt: v.optional(v.date()) }),
    actions: ({ create, update, destroy, restore, purge }) => ({
      add: create({ input: v.object({ id: v.string(), label: v.string() }) }),
      relabel: update({ input: v.object({ label: v.string() }) }),
      archive: destroy({ soft: "archivedAt" }),
      unarchive: restore({ soft: "archivedAt" }),
      erase: purge(),
    }),
  });
  return { log, Account, Tag };
}

describeEachExecutor("restore() and purge()", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const events = (): Promise<number> => countRows(fx.db, `${fx.schema}.events`);
  const row = async (id: string) =>
    (await fx.db.query({ text: `SELECT * FROM ${fx.schema}.accounts WHERE id = $1`, params: [id] })).rows[0];

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account, m.Tag],
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
  });

  test("a restore clears the soft destroy with an update event of its own; the record is live again", async () => {
    const accounts = store.resource(m.Account);
    const { record } = await accounts.open({ owner: "ada" });
    await accounts.close(record.id);
    const restored = await accounts.reopen(record.id, { reason: "mistake" });
    assert.equal(restored.record.deletedAt, null);
    assert.equal(restored.event?.actionType, "update");
    assert.equal(restored.event?.action, "reopen");
    assert.deepEqual(restored.event?.data, { reason: "mistake" });
    assert.equal(restored.event?.changes["deletedAt"], null);
    assert.equal((await row(record.id))?.["deleted_at"], null);
    await accounts.rename(record.id, { owner: "ada lovelace" }); // live: updates reach it again
    const state = await stateAt(store, m.Account, record.id, { eventId: restored.event!.id });
    assert.equal(state.status, "exists");
  });

  test("a restore of a live record is RECORD_NOT_DESTROYED, of a missing one NOT_FOUND; nothing is written", async () => {
    const accounts = store.resource(m.Account);
    const { record } = await accounts.open({ owner: "bob" });
    const before = await events();
    const error = await rejectsWith<{ resource: string; recordId: string }>(
      accounts.reopen(record.id),
      "RECORD_NOT_DESTROYED",
    );
    assert.equal(error.resource, "account");
    assert.equal(error.recordId, record.id);
    await rejectsWith(accounts.reopen("missing"), "NOT_FOUND");
    await rejectsWith(
      store.transaction((tx) => {
        tx.resource(m.Account).rename(record.id, { owner: "x" });
        tx.resource(m.Account).reopen(record.id);
      }),
      "RECORD_NOT_DESTROYED",
    );
    assert.equal(await events(), before);
    assert.equal((await row(record.id))?.["owner"], "bob");
  });

  test("a purge deletes a soft-destroyed row or a live one with a destroy event; a hard destroy still ignores soft-destroyed rows", async () => {
    const accounts = store.resource(m.Account);
    const soft = (await accounts.open({ owner: "carl" })).record;
    await accounts.close(soft.id);
    await rejectsWith(accounts.remove(soft.id), "NOT_FOUND");
    const purged = await accounts.erase(soft.id);
    assert.equal(purged.event?.actionType, "destroy");
    assert.equal(purged.record.id, soft.id, "the row as it was when deleted");
    assert.equal(await row(soft.id), undefined);
    const live = (await accounts.open({ owner: "dora" })).record;
    await accounts.erase(live.id);
    assert.equal(await row(live.id), undefined);
    const before = await events();
    await rejectsWith(accounts.erase(live.id), "NOT_FOUND");
    await rejectsWith(accounts.reopen(soft.id), "NOT_FOUND");
    assert.equal(await events(), before);
    const state = await stateAt(store, m.Account, soft.id, { eventId: purged.event!.id });
    assert.equal(state.status, "destroyed");
    assert.equal(state.status === "destroyed" && state.soft, false);
  });

  test("a soft destroy and a restore in one transaction", async () => {
    const { record } = await store.resource(m.Account).open({ owner: "eve" });
    const results = await store.transaction((tx) => [
      tx.resource(m.Account).close(record.id),
      tx.resource(m.Account).reopen(record.id),
      tx.resource(m.Account).rename(record.id, { owner: "eve 2" }),
    ]);
    assert.deepEqual(results.map((r) => r.event?.action), ["close", "reopen", "rename"]);
    assert.equal((await row(record.id))?.["deleted_at"], null);
  });

  test("event-only: restore after a soft destroy, RECORD_NOT_DESTROYED on a live record, purge then create again", async () => {
    const tags = store.resource(m.Tag);
    await tags.add({ id: "t1", label: "a" });
    await rejectsWith(tags.unarchive("t1"), "RECORD_NOT_DESTROYED");
    await tags.archive("t1");
    await rejectsWith(tags.relabel("t1", { label: "b" }), "NOT_FOUND");
    const restored = await tags.unarchive("t1");
    assert.equal(restored.record.archivedAt, null);
    assert.equal((await tags.relabel("t1", { label: "b" })).record.label, "b");
    await tags.archive("t1");
    const purged = await tags.erase("t1");
    assert.equal(purged.event?.actionType, "destroy");
    await rejectsWith(tags.unarchive("t1"), "NOT_FOUND");
    await rejectsWith(tags.erase("t1"), "NOT_FOUND");
    assert.equal((await tags.add({ id: "t1", label: "again" })).record.label, "again");
    await tags.erase("t1"); // a live record is purged too
    await rejectsWith(tags.unarchive("missing"), "NOT_FOUND");
  });

  test("a purge through the library survives a replay; a raw DELETE does not; restores replay", async () => {
    const accounts = store.resource(m.Account);
    const purged = (await accounts.open({ owner: "gone" })).record;
    await accounts.close(purged.id);
    await accounts.erase(purged.id);
    const raw = (await accounts.open({ owner: "raw" })).record;
    await accounts.close(raw.id);
    await fx.db.query({ text: `DELETE FROM ${fx.schema}.accounts WHERE id = $1`, params: [raw.id] });
    const back = (await accounts.open({ owner: "back" })).record;
    await accounts.close(back.id);
    await accounts.reopen(back.id);
    await accounts.rename(back.id, { owner: "back again" });
    const live = await fx.db.query({ text: `SELECT * FROM ${fx.schema}.accounts ORDER BY id`, params: [] });
    await replay(store);
    const replayed = await fx.db.query({ text: `SELECT * FROM ${fx.schema}.accounts ORDER BY id`, params: [] });
    assert.equal(await row(purged.id), undefined, "the purge survived");
    assert.ok(await row(raw.id), "the raw DELETE was undone: the log says the record is soft-destroyed");
    assert.deepEqual(replayed.rows.filter((r) => r["id"] !== raw.id), live.rows);
  });
});

describe("restore() and purge() definitions", () => {
  type Builders = Record<"restore" | "purge" | "destroy", (options?: unknown) => unknown>;
  const attributes = v.object({ id: v.string(), deletedAt: v.nullish(v.date()) });
  const refused = (actions: (b: Builders) => Record<string, unknown>, pattern: RegExp): void => {
    assert.throws(
      () => defineResource({ name: "x", table: "xs", attributes, actions: actions as never }),
      (error: unknown) => error instanceof TypeError && pattern.test(error.message),
    );
  };

  test("a restore needs soft, naming an attribute a soft destroy of the resource sets", () => {
    refused((b) => ({ back: b.restore({}) }), /restore\(\) needs soft/);
    refused((b) => ({ back: b.restore({ soft: "deletedAt" }) }), /restores deletedAt, which no soft destroy of x sets/);
    refused(
      (b) => ({ gone: b.destroy({ soft: "deletedAt" }), back: b.restore({ soft: "deletedAt", set: () => ({}) }) }),
      /restore\(\) has no option "set"/,
    );
  });

  test("a purge takes the common options only", () => {
    refused((b) => ({ gone: b.purge({ soft: "deletedAt" }) }), /purge\(\) has no option "soft"/);
    refused((b) => ({ gone: b.destroy({ purge: true }) }), /destroy\(\) has no option "purge"/);
  });
});
