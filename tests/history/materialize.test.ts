// materialize() on every executor: a lost row comes back byte-identical to the live one
// (microseconds and all), a damaged row is replaced with overwrite, each typed error, bad input
// before anything is sent, and a write between materialize's read and its batch is a CONFLICT
// that writes nothing.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, materialize, ref, sql } from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { ACCOUNT_ENTRIES, DEPOSIT_INPUT, depositSet, prefixedTables, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";
import { gatedExecutor } from "../replay/gated-executor.ts";
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
      // A database-computed value with microseconds on every executor (PGlite's clock has milliseconds).
      mark: update({ set: () => ({ seenAt: sql`${"2024-03-01 09:00:00.123456+00"}::timestamptz` }) }),
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

describeEachExecutor("materialize()", {}, (fx) => {
  let m: Model;
  let store: EventStore;
  let ann: string;
  const storeOver = (db: Executor): EventStore =>
    createEventStore({
      db,
      log: m.log,
      resources: [m.Account, m.Project],
      clock: tickingClock(),
      replay: { clear: "tracked-tables" },
    });
  const rowText = async (id: string): Promise<string | undefined> => {
    const { rows } = await fx.db.query({
      text: `SELECT to_jsonb(t)::text AS row FROM ${m.t("accounts")} AS t WHERE id = $1`,
      params: [id],
    });
    return rows[0] === undefined ? undefined : String(rows[0]["row"]);
  };
  const deleteRow = (id: string) => fx.db.query({ text: `DELETE FROM ${m.t("accounts")} WHERE id = $1`, params: [id] });
  const eventCount = () => countRows(fx.db, m.t("events"));

  before(async () => {
    m = model_(fx.schema, "m1");
    store = storeOver(fx.db);
    await store.migrate({ resourceTables: true });
    const accounts = store.resource(m.Account);
    ({ record: { id: ann } } = await accounts.open({ owner: "ann", tags: ["vip", "early"] }));
    await accounts.deposit(ann, { amount: 12.5 });
    await accounts.award(ann, { points: 7 });
    await accounts.touch(ann);
    await accounts.mark(ann); // microseconds only the pinned text holds
    await accounts.bump(ann);
    await accounts.close(ann);
  });

  test("after the row is deleted, materialize restores it byte-identical to the live row, writing no event", async () => {
    const live = await rowText(ann);
    assert.ok(live !== undefined && /\.\d{6}/.test(live), "the live row holds microseconds");
    const events = await eventCount();
    await deleteRow(ann);
    const result = await materialize(store, m.Account, ann);
    assert.equal(await rowText(ann), live);
    assert.equal(result.replaced, false);
    assert.equal(result.record["owner"], "ann");
    assert.ok(result.record["deletedAt"] instanceof Date, "a soft-destroyed record keeps its row");
    assert.equal(await eventCount(), events, "no event written");
    await rejectsWith(materialize(store, m.Account, ann), "ROW_EXISTS");
    assert.equal(await rowText(ann), live);
  });

  test("overwrite replaces a damaged row with the one its events describe", async () => {
    const live = await rowText(ann);
    await fx.db.query({
      text: `UPDATE ${m.t("accounts")} SET balance = -1, owner = 'mallory', tags = NULL WHERE id = $1`,
      params: [ann],
    });
    assert.notEqual(await rowText(ann), live);
    const result = await materialize(store, m.Account, ann, { overwrite: true });
    assert.equal(result.replaced, true);
    assert.equal(await rowText(ann), live);
  });

  test("typed errors: no events, a history that ends in a destroy, a replay in progress", async () => {
    const events = await eventCount();
    const missing = await rejectsWith(materialize(store, m.Account, "01HZZZZZZZZZZZZZZZZZZZZZZZ"), "NOT_FOUND");
    assert.equal((missing as unknown as { resource: string }).resource, "account");
    const { record } = await store.resource(m.Account).open({ owner: "dan" });
    const removed = await store.resource(m.Account).remove(record.id);
    const destroyed = await rejectsWith<{ position: bigint }>(
      materialize(store, m.Account, record.id, { overwrite: true }),
      "RECORD_DESTROYED",
    );
    assert.equal(destroyed.position, removed.event!.position);
    assert.equal(await eventCount(), events + 2);
  });

  test("bad input is VALIDATION_FAILED naming the parameter, and nothing is sent", async () => {
    let sent = 0;
    const counting = storeOver({
      kind: fx.db.kind,
      query: () => (sent++, Promise.reject(new Error("sent"))),
      batch: () => (sent++, Promise.reject(new Error("sent"))),
    });
    const cases: [Promise<unknown>, string][] = [
      [materialize(counting, { name: "account" } as never, ann), "resource"],
      [materialize(counting, m.Account, ""), "recordId"],
      [materialize(counting, m.Account, [] as never), "recordId"],
      [materialize(counting, m.Account, "\ud800"), "recordId"],
      [materialize(counting, m.Project, "p"), "tenant"],
      [materialize(counting, m.Account, ann, { overwrite: "yes" as never }), "overwrite"],
      [materialize(counting, m.Account, ann, 5 as never), "options"],
    ];
    for (const [promise, path] of cases) {
      const error = await rejectsWith<{ issues: { path: string }[] }>(promise, "VALIDATION_FAILED");
      assert.equal(error.issues[0]?.path, path);
    }
    assert.equal(sent, 0);
  });

  test("a write to the record between materialize's read and its batch: CONFLICT, nothing written", async () => {
    const { record } = await store.resource(m.Account).open({ owner: "eve" });
    await fx.db.query({ text: `UPDATE ${m.t("accounts")} SET balance = -1 WHERE id = $1`, params: [record.id] });
    const { db, gate } = gatedExecutor(fx.db, (statements) => statements.length > 1);
    const gated = storeOver(db);
    const pending = materialize(gated, m.Account, record.id, { overwrite: true });
    await gate.reached; // the events are read and folded; the write batch waits
    await store.resource(m.Account).rename(record.id, { owner: "eva" });
    const afterRename = await rowText(record.id);
    const events = await eventCount();
    gate.release();
    await rejectsWith(pending, "CONFLICT");
    assert.equal(await rowText(record.id), afterRename, "the row is as the rename left it");
    assert.equal(await eventCount(), events);
    // Called again, it folds the rename too.
    await materialize(store, m.Account, record.id, { overwrite: true });
    assert.match(String(await rowText(record.id)), /"owner": "eva"/);
    assert.match(String(await rowText(record.id)), /"balance": 100/);
  });

  test("materialize is refused while a replay runs", async () => {
    const { record } = await store.resource(m.Account).open({ owner: "fay" });
    await deleteRow(record.id);
    await fx.db.query({
      text: `INSERT INTO ${m.t("events")}_replay (replay_id, status) VALUES ('r-test', 'running')`,
      params: [],
    });
    try {
      await rejectsWith(materialize(store, m.Account, record.id), "REPLAY_IN_PROGRESS");
      assert.equal(await rowText(record.id), undefined);
    } finally {
      await fx.db.query({ text: `DELETE FROM ${m.t("events")}_replay WHERE replay_id = 'r-test'`, params: [] });
    }
  });
});
