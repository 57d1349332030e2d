// Automatic savepoints (`savepointEvery`) on every executor: every N-th write of a record leaves
// a savepoint at its latest position (and none before), equal to the fold; stateAt still equals
// the live row; writes below N stay one request; concurrent writers never fail because of a
// savepoint; a failing savepoint leaves the action committed and its result intact.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type EventStoreOptions,
  stateAt,
  verifySavepoints,
} from "../../mod.ts";
import type { Executor, SqlStatement } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { ACCOUNT_ENTRIES, DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";
import { interceptedExecutor } from "../replay/gated-executor.ts";
import { tickingClock } from "../replay/replay-helpers.ts";

function model_(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events") });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    savepointEvery: 3,
    attributes: v.object({ ...ACCOUNT_ENTRIES }),
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      remove: destroy(),
    }),
  });
  const Note = defineResource({
    name: "note",
    table: false,
    savepointEvery: 2,
    attributes: v.object({ id: v.string(), count: v.number() }),
    primaryKey: { attribute: "id", generate: "none" },
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ id: v.string() }), defaults: { count: 0 } }),
      bump: update({ change: (note) => ({ count: note.count + 1 }) }),
      put: update({ input: v.object({ count: v.number() }) }),
    }),
  });
  const Task = defineResource({
    name: "task",
    table: t("tasks"),
    tenant: "orgId",
    savepointEvery: 2,
    attributes: v.object({ id: v.string(), orgId: v.string(), title: v.string() }),
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ title: v.string() }) }),
      retitle: update({ input: v.object({ title: v.string() }) }),
    }),
  });
  return { log, Account, Note, Task, t };
}

type Model = ReturnType<typeof model_>;

const isSavepointInsert = (s: SqlStatement): boolean => /^INSERT INTO \S+_savepoints"? /.test(s.text);
const isDueCount = (s: SqlStatement): boolean => s.text.includes("__ee_since_savepoint");

describeEachExecutor("automatic savepoints", {}, (fx) => {
  let prefixes = 0;
  const fresh = async (
    options: Partial<EventStoreOptions> = {},
    db: Executor = fx.db,
  ): Promise<{ m: Model; store: EventStore }> => {
    const m = model_(fx.schema, `a${++prefixes}`);
    const store = createEventStore({
      db,
      log: m.log,
      resources: [m.Account, m.Note, m.Task],
      clock: tickingClock(),
      ...options,
    });
    await store.migrate({ resourceTables: true });
    return { m, store };
  };
  const savepoints = async (m: Model, recordId: string): Promise<bigint[]> => {
    const { rows } = await fx.db.query({
      text: `SELECT "position"::text AS p FROM ${m.t("events")}_savepoints WHERE record_id = $1 ORDER BY "position"`,
      params: [recordId],
    });
    return rows.map((row) => BigInt(String(row["p"])));
  };

  test("every third write of an account leaves a savepoint at its latest position, and none before", async () => {
    const { m, store } = await fresh();
    const accounts = store.resource(m.Account);
    const { record: a } = await accounts.open({ owner: "ann" });
    const { record: b } = await accounts.open({ owner: "bob" });
    const positions: bigint[] = [];
    for (let i = 1; i <= 5; i++) {
      const { event } = await accounts.deposit(a.id, { amount: i });
      positions.push(event!.position);
      if (i === 1) assert.deepEqual(await savepoints(m, a.id), [], "none before the third event");
      await accounts.deposit(b.id, { amount: 1 }); // another record's writes count for it alone
    }
    // Events of a: open, 5 deposits. The 3rd (deposit 2) and the 6th (deposit 5) took one.
    assert.deepEqual(await savepoints(m, a.id), [positions[1]!, positions[4]!]);
    assert.equal((await savepoints(m, b.id)).length, 2);
    const report = await verifySavepoints(store, m.Account);
    assert.deepEqual([report.checked, report.issues], [4, []]);
    const live = await stateAt(store, m.Account, a.id, { position: positions[4]! });
    assert.equal(live.status, "exists");
    const { rows } = await fx.db.query({
      text: `SELECT balance FROM ${m.t("accounts")} WHERE id = $1`,
      params: [a.id],
    });
    assert.equal(live.status === "exists" ? live.record.balance : undefined, Number(rows[0]!["balance"]));
    assert.equal(Number(rows[0]!["balance"]), 15);
  });

  test("an event-only record takes savepoints every second event, and its state still folds right", async () => {
    const { m, store } = await fresh();
    const notes = store.resource(m.Note);
    await notes.write({ id: "n1" });
    assert.deepEqual(await savepoints(m, "n1"), []);
    const bumped = await notes.bump("n1");
    assert.deepEqual(await savepoints(m, "n1"), [bumped.event!.position]);
    await notes.put("n1", { count: 6 });
    const last = await notes.bump("n1"); // folds from the savepoint, then takes the next one
    assert.deepEqual(last.record, { id: "n1", count: 7 });
    assert.deepEqual(await savepoints(m, "n1"), [bumped.event!.position, last.event!.position]);
    const state = await stateAt(store, m.Note, "n1", { position: last.event!.position });
    assert.deepEqual(state.status === "exists" ? state.record : undefined, { id: "n1", count: 7 });
    assert.deepEqual((await verifySavepoints(store, m.Note, "n1")).issues, []);
  });

  test("a transaction counts each record once, after its last write, and a destroyed record takes none", async () => {
    const sent: SqlStatement[][] = [];
    const db = interceptedExecutor(fx.db, (statements) => void sent.push([...statements]));
    const { m, store } = await fresh({}, db);
    const { record } = await store.resource(m.Account).open({ owner: "ann" });
    sent.length = 0;
    const [, , last] = await store.transaction((tx) => [
      tx.resource(m.Account).deposit(record.id, { amount: 1 }),
      tx.resource(m.Account).deposit(record.id, { amount: 2 }),
      tx.resource(m.Account).deposit(record.id, { amount: 3 }),
    ]);
    assert.equal(sent[0]!.filter(isDueCount).length, 1);
    assert.deepEqual(await savepoints(m, record.id), [last!.event!.position]);
    sent.length = 0;
    await store.resource(m.Account).deposit(record.id, { amount: 1 });
    await store.resource(m.Account).deposit(record.id, { amount: 1 });
    await store.resource(m.Account).remove(record.id);
    assert.equal(sent.flat().filter(isDueCount).length, 2, "the destroy's batch counts nothing");
    assert.equal(sent.flat().filter(isSavepointInsert).length, 0);
  });

  test("a multi-tenant record counts its own tenant's writes and keeps its savepoints in that tenant", async () => {
    const { m, store } = await fresh();
    const orgA = store.withContext({ tenant: "org-a" });
    const orgB = store.withContext({ tenant: "org-b" });
    const { record: a } = await orgA.resource(m.Task).start({ title: "a0" });
    const { record: b } = await orgB.resource(m.Task).start({ title: "b0" });
    await orgB.resource(m.Task).retitle(b.id, { title: "b1" }); // org-b's second event: its own savepoint
    assert.deepEqual(await savepoints(m, a.id), [], "org-b's writes do not count for org-a's record");
    const second = await orgA.resource(m.Task).retitle(a.id, { title: "a1" });
    assert.deepEqual(await savepoints(m, a.id), [second.event!.position]);
    const { rows } = await fx.db.query({
      text: `SELECT record_id, tenant, state FROM ${m.t("events")}_savepoints ORDER BY "position"`,
      params: [],
    });
    assert.deepEqual(
      rows.map((row) => [row["record_id"], row["tenant"]]),
      [[b.id, "org-b"], [a.id, "org-a"]],
    );
    const atA = await stateAt(orgA, m.Task, a.id, { position: second.event!.position });
    assert.deepEqual(atA.status === "exists" ? atA.record : undefined, { id: a.id, orgId: "org-a", title: "a1" });
    const fromB = await stateAt(orgB, m.Task, a.id, { position: second.event!.position });
    assert.equal(fromB.status, "not-created", "another tenant's savepoint is never read");
    assert.deepEqual([(await verifySavepoints(orgA, m.Task)).checked, (await verifySavepoints(orgB, m.Task)).checked], [
      1,
      1,
    ]);
  });

  test("a failing savepoint leaves the action committed with its result, reports the error, and the next write retries", async () => {
    let failing = true;
    const db = interceptedExecutor(fx.db, (statements) => {
      if (failing && statements.some(isSavepointInsert)) throw new Error("savepoint write refused");
    });
    const reported: { error: unknown; record: { resource: string; recordId: string } }[] = [];
    const { m, store } = await fresh({ onSavepointError: (error, record) => reported.push({ error, record }) }, db);
    const accounts = store.resource(m.Account);
    const { record } = await accounts.open({ owner: "ann" });
    await accounts.deposit(record.id, { amount: 1 });
    const third = await accounts.deposit(record.id, { amount: 2 });
    assert.deepEqual([third.record.balance, third.duplicate, third.hookError], [3, false, undefined]);
    assert.equal(third.event!.position > 0n, true);
    assert.deepEqual(reported.map((r) => [(r.error as Error).message, r.record]), [
      ["savepoint write refused", { resource: "account", recordId: record.id }],
    ]);
    assert.deepEqual(await savepoints(m, record.id), []);
    const { rows } = await fx.db.query({ text: `SELECT count(*)::int AS n FROM ${m.t("events")}`, params: [] });
    assert.equal(rows[0]!["n"], 3);
    failing = false;
    const fourth = await accounts.deposit(record.id, { amount: 3 });
    assert.deepEqual(await savepoints(m, record.id), [fourth.event!.position]);

    const throwing = await fresh(
      {
        onSavepointError: () => {
          throw new Error("the report itself fails");
        },
      },
      interceptedExecutor(fx.db, (statements) => {
        if (statements.some(isSavepointInsert)) throw new Error("savepoint write refused");
      }),
    );
    const client = throwing.store.resource(throwing.m.Note);
    await client.write({ id: "n" });
    assert.deepEqual((await client.bump("n")).record, { id: "n", count: 1 });
  });
});

describeEachExecutor("automatic savepoints: requests", { needs: ["http-requests"] }, (fx) => {
  test("writes below savepointEvery take one request; the write that reaches it two more", async () => {
    const m = model_(fx.schema, "r");
    const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Account, m.Note] });
    await store.migrate({ resourceTables: true });
    const requestsOf = async (call: () => Promise<unknown>): Promise<number> => {
      const start = fx.requests()!;
      await call();
      return fx.requests()! - start;
    };
    const accounts = store.resource(m.Account);
    let id = "";
    assert.equal(await requestsOf(async () => ({ record: { id } } = await accounts.open({ owner: "ann" }))), 1);
    assert.equal(await requestsOf(() => accounts.deposit(id, { amount: 1 })), 1);
    assert.equal(await requestsOf(() => accounts.deposit(id, { amount: 1 })), 3);
    assert.equal(await requestsOf(() => accounts.deposit(id, { amount: 1 })), 1);
  });
});

describeEachExecutor("automatic savepoints: concurrent writers", { needs: ["concurrency"] }, (fx) => {
  test("concurrent writers of one record never fail because of a savepoint", async () => {
    const m = model_(fx.schema, "c");
    const reported: unknown[] = [];
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account, m.Note, m.Task],
      onSavepointError: (error) => reported.push(error),
    });
    await store.migrate({ resourceTables: true });
    const notes = store.resource(m.Note);
    await notes.write({ id: "hot" });
    // savepointEvery 2 and writes that need no read: most writes race a savepoint of the same record.
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => notes.put("hot", { count: i + 1 })));
    assert.equal(results.length, 12);
    assert.deepEqual(reported, []);
    const report = await verifySavepoints(store, m.Note, "hot");
    assert.equal(report.checked > 0, true);
    assert.deepEqual(report.issues, []);
    const latest = results.reduce((max, r) => (r.event!.position > max ? r.event!.position : max), 0n);
    const state = await stateAt(store, m.Note, "hot", { position: latest });
    const last = results.find((r) => r.event!.position === latest)!;
    assert.deepEqual(state.status === "exists" ? state.record : undefined, last.record);
  });
});

describe("savepointEvery", () => {
  const define = (savepointEvery: unknown, table: string | false = "t") =>
    defineResource({
      name: "thing",
      table,
      ...(table === false ? { primaryKey: { attribute: "id", generate: "none" } as const } : {}),
      savepointEvery: savepointEvery as number,
      attributes: v.object({ id: v.string() }),
      actions: ({ create }) => ({ make: create({ input: v.object({ id: v.string() }) }) }),
    });

  test("takes a positive integer, for table and event-only resources", () => {
    assert.equal(define(1).savepointEvery, 1);
    assert.equal(define(500, false).savepointEvery, 500);
    assert.equal(define(undefined).savepointEvery, undefined);
  });

  test("anything else is a TypeError at definition", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "3", 3n, null]) {
      assert.throws(() => define(bad), (e: unknown) => e instanceof TypeError && /savepointEvery/.test(e.message));
      assert.throws(() => define(bad, false), TypeError);
    }
  });
});
