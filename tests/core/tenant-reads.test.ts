// Tenant isolation of reads (issue 8 §4): a store from withContext({ tenant }) reads only that
// tenant's events through every read entry point, a store without a tenant only events
// without one, and reading across tenants is the explicit readAllTenants* call, refused on a
// tenant-scoped store. Bad read arguments (a cursor this feed did not return, afterPosition
// without recordId, an empty tenant) are VALIDATION_FAILED, and nothing is sent.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type StoredEvent,
  type ValidationError,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { logPastHorizon, rejectsWith } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events`, lock: { scope: "tenant" } });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  const Tag = defineResource({
    name: "tag",
    table: `${schema}.tags`,
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create }) => ({ add: create({ input: v.object({ label: v.string() }) }) }),
  });
  return { log, Note, Tag };
}

/** An executor that counts what it is asked to send. */
function counting(db: Executor): { db: Executor; sent: () => number } {
  let sent = 0;
  return {
    db: { kind: db.kind, query: (s) => (sent++, db.query(s)), batch: (s, o) => (sent++, db.batch(s, o)) },
    sent: () => sent,
  };
}

/** Every page of a feed. */
async function wholeFeed(
  read: (options: { after?: string; limit: number }) => Promise<{ events: readonly StoredEvent[]; cursor: string }>,
): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await read({ ...(cursor === undefined ? {} : { after: cursor }), limit: 2 });
    events.push(...page.events);
    cursor = page.cursor;
    if (page.events.length < 2) return events;
  }
}

describeEachExecutor("reads are confined to the store's tenant", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  let sent: () => number;
  let noteA = "";
  let noteB = "";

  before(async () => {
    m = model(fx.schema);
    const counted = counting(fx.db);
    sent = counted.sent;
    store = createEventStore({ db: counted.db, log: m.log, resources: [m.Note, m.Tag] });
    await store.migrate({ resourceTables: true });
    noteA = (await store.resource(m.Note).write({ text: "secret of A" }, { tenant: "A" })).record.id;
    noteB = (await store.resource(m.Note).write({ text: "secret of B" }, { tenant: "B" })).record.id;
    await store.resource(m.Note).edit(noteA, { text: "A again" }, { tenant: "A" });
    await store.resource(m.Note).edit(noteB, { text: "B again" }, { tenant: "B" });
    await store.resource(m.Note).write({ text: "of 42" }, { tenant: "42" });
    await store.resource(m.Tag).add({ label: "global" });
    // Snapshot reads under the tenant scope stop at the cluster's visibility horizon: start
    // reading once every event is below it (other suites' open transactions hold it back).
    await logPastHorizon(fx.db, `${fx.schema}.events`);
  });

  const tenantsOf = (events: readonly StoredEvent[]) => events.map((e) => e.tenant);
  const leaks = (events: readonly StoredEvent[], secret: string) =>
    JSON.stringify(events, (_, x) => (typeof x === "bigint" ? String(x) : x)).includes(secret);

  test("readEvents on a tenant's store: that tenant's events only, its history only for its records", async () => {
    const a = store.withContext({ tenant: "A" });
    assert.deepEqual(tenantsOf(await a.readEvents()), ["A", "A"]);
    assert.ok(!leaks(await a.readEvents(), "secret of B"));
    assert.deepEqual(
      await a.readEvents({ resource: "note", recordId: noteB }),
      [],
      "another tenant's record has no history here",
    );
    assert.deepEqual((await a.readEvents({ resource: "note", recordId: noteA })).map((e) => e.action), [
      "write",
      "edit",
    ]);
    assert.deepEqual(await a.readEvents({ resource: "tag" }), [], "events without a tenant are not a tenant's");
    assert.deepEqual(
      tenantsOf(await store.withContext({ tenant: 42 }).readEvents()),
      ["42"],
      "a numeric tenant reads as the text it was written as",
    );
  });

  test("readFeed on a tenant's store: every page holds that tenant's events only", async () => {
    const b = await wholeFeed((o) => store.withContext({ tenant: "B" }).readFeed(o));
    assert.deepEqual(tenantsOf(b), ["B", "B"]);
    assert.ok(!leaks(b, "secret of A"));
    assert.deepEqual(
      tenantsOf(await wholeFeed((o) => store.withContext({ tenant: "B" }).readFeed({ ...o, resource: "tag" }))),
      [],
    );
  });

  test("a store without a tenant reads only events without one; readAllTenants* read every tenant", async () => {
    assert.deepEqual(tenantsOf(await store.readEvents()), [null]);
    assert.deepEqual(tenantsOf(await wholeFeed((o) => store.readFeed(o))), [null]);
    assert.deepEqual(await store.readEvents({ resource: "note", recordId: noteA }), []);
    assert.deepEqual(tenantsOf(await store.readAllTenantsEvents()), ["A", "B", "A", "B", "42", null]);
    assert.deepEqual(
      [...tenantsOf(await wholeFeed((o) => store.readAllTenantsFeed(o)))].sort(),
      ["42", "A", "A", "B", "B", null].sort(),
    );
    assert.equal((await store.readAllTenantsEvents({ resource: "note", recordId: noteB })).length, 2);
  });

  test("readAllTenants* on a tenant's store is refused, and sends nothing", async () => {
    const a = store.withContext({ tenant: "A" });
    const before = sent();
    await assert.rejects(a.readAllTenantsEvents(), TypeError);
    await assert.rejects(a.readAllTenantsFeed(), TypeError);
    assert.equal(sent(), before);
  });

  test("a cursor continues only the feed that returned it; anything else is VALIDATION_FAILED naming after, nothing sent", async () => {
    const a = store.withContext({ tenant: "A" });
    const fromA = (await a.readFeed({ limit: 1 })).cursor;
    const fromB = (await store.withContext({ tenant: "B" }).readFeed({ limit: 1 })).cursor;
    const fromAll = (await store.readAllTenantsFeed({ limit: 1 })).cursor;
    const fromNotes = (await a.readFeed({ limit: 1, resource: "note" })).cursor;
    assert.equal((await a.readFeed({ after: fromA })).events.length, 1, "its own cursor reads on");
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    const bad: unknown[] = [
      "",
      "x",
      "f1.",
      "f1.!!!!",
      "f1.MS4xLjAwMDAwMDAw",
      fromA.slice(0, -1),
      `${fromA}A`,
      flip(fromA, 5),
      flip(fromA, fromA.length - 2),
      ` ${fromA}`,
      fromA.toLowerCase(),
      fromB,
      fromAll,
      fromNotes,
      "f1." + "A".repeat(400),
      // Well-formed bodies with a wrong check, numbers out of range, leading zeros.
      `f1.${btoa("1.1.00000000").replaceAll("=", "")}`,
      `f1.${btoa("18446744073709551616.1.00000000").replaceAll("=", "")}`,
      `f1.${btoa("01.1.00000000").replaceAll("=", "")}`,
      42,
      null,
      {},
      ["f1."],
    ];
    const before = sent();
    for (const after of bad) {
      const error = await rejectsWith<ValidationError>(a.readFeed({ after: after as string }), "VALIDATION_FAILED");
      assert.deepEqual(error.issues.map((i) => i.path), ["after"], String(after));
      assert.ok(
        !error.message.includes(String(after)) || String(after) === "",
        "the message does not repeat the cursor",
      );
    }
    assert.equal(sent(), before, "nothing was sent for a bad cursor");
  });

  test("afterPosition pages one record's history only; an empty tenant, a bad limit, resource or recordId: VALIDATION_FAILED, nothing sent", async () => {
    const before = sent();
    const paging = await rejectsWith<ValidationError>(
      store.readAllTenantsEvents({ afterPosition: 1n }),
      "VALIDATION_FAILED",
    );
    assert.deepEqual(paging.issues.map((i) => i.path), ["afterPosition"]);
    const typed = await rejectsWith<ValidationError>(
      store.readEvents({ resource: "tag", recordId: "x", afterPosition: 1 as unknown as bigint }),
      "VALIDATION_FAILED",
    );
    assert.deepEqual(typed.issues.map((i) => i.path), ["afterPosition"]);
    const empty = await rejectsWith<ValidationError>(store.withContext({ tenant: "" }).readFeed(), "VALIDATION_FAILED");
    assert.deepEqual(empty.issues.map((i) => i.path), ["tenant"]);
    for (const limit of [0, 10_001, 1.5, Number.NaN, "10"]) {
      for (const read of [store.readEvents({ limit: limit as number }), store.readFeed({ limit: limit as number })]) {
        assert.deepEqual((await rejectsWith<ValidationError>(read, "VALIDATION_FAILED")).issues.map((i) => i.path), [
          "limit",
        ]);
      }
    }
    const resource = await rejectsWith<ValidationError>(
      store.readFeed({ resource: 1 as unknown as string }),
      "VALIDATION_FAILED",
    );
    assert.deepEqual(resource.issues.map((i) => i.path), ["resource"]);
    const recordId = await rejectsWith<ValidationError>(
      store.readEvents({ recordId: 1 as unknown as string }),
      "VALIDATION_FAILED",
    );
    assert.deepEqual(recordId.issues.map((i) => i.path), ["recordId"]);
    assert.equal(sent(), before);
    const history = await store.withContext({ tenant: "A" }).readEvents({ resource: "note", recordId: noteA });
    const rest = await store.withContext({ tenant: "A" }).readEvents({
      resource: "note",
      recordId: noteA,
      afterPosition: history[0]!.position,
    });
    assert.deepEqual(rest.map((e) => e.id), [history[1]!.id]);
  });
});
