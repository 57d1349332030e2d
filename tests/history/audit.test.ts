// audit(store, filters) and auditAllTenants on every executor: each filter alone and combined
// returns exactly the events of the log that match, in position order (reversed backward);
// pages tile the result exactly; reads stay in the store's tenant; every page is one round
// trip. Bad input is VALIDATION_FAILED naming the parameter, and nothing is sent.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { audit, auditAllTenants, type AuditOptions, type EventStore, type StoredEvent } from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor, needing } from "../support/each-executor.ts";
import { rejectsWith } from "../support/store-helpers.ts";
import { ADA, auditFixture, BEA, T0 } from "./audit-model.ts";

const ids = (events: readonly StoredEvent[]): string[] => events.map((e) => e.id);

/** Every page of a read, following cursors until null. */
async function allPages(
  read: (options: AuditOptions) => Promise<{ events: readonly StoredEvent[]; cursor: string | null }>,
  options: AuditOptions,
): Promise<StoredEvent[][]> {
  const pages: StoredEvent[][] = [];
  let cursor: string | null | undefined;
  do {
    const page = await read({ ...options, ...(typeof cursor === "string" ? { cursor } : {}) });
    pages.push([...page.events]);
    cursor = page.cursor;
  } while (cursor !== null && pages.length < 100);
  return pages;
}

describeEachExecutor("audit()", {}, (fx) => {
  let store: EventStore<"user" | "system">;
  let all: StoredEvent[];
  const untenanted = (): StoredEvent[] => all.filter((e) => e.tenant === null);

  before(async () => {
    const setup = auditFixture(fx.db, fx.schema);
    store = setup.store;
    await store.migrate({ resourceTables: true });
    all = await setup.writeLog();
    assert.equal(all.length, 11);
  });

  test("each filter alone returns exactly the matching events, in position order", async () => {
    const cases: [AuditOptions, (e: StoredEvent) => boolean][] = [
      [{}, () => true],
      [{ resource: "note" }, (e) => e.resource === "note"],
      [{ action: "relabel" }, (e) => e.action === "relabel"],
      [{ actionType: "destroy" }, (e) => e.actionType === "destroy"],
      [{ actor: { type: "user", id: ADA } }, (e) => e.actor?.type === "user" && e.actor.id === ADA],
      [{ actor: { type: "user", id: BEA.toUpperCase() } }, (e) => e.actor?.id === BEA],
      [{ actor: { type: "system", id: "cron" } }, (e) => e.actor?.type === "system" && e.actor.id === "cron"],
      [{ correlationId: "req-1" }, (e) => e.correlationId === "req-1"],
      [{ causationId: all[0]!.id }, (e) => e.causationId === all[0]!.id],
      [{ from: all[3]!.occurredAt }, (e) => e.occurredAt >= all[3]!.occurredAt],
      [{ to: all[3]!.occurredAt }, (e) => e.occurredAt < all[3]!.occurredAt],
      [{ tenant: "acme" }, (e) => e.tenant === "acme"],
      [{ tenant: null }, (e) => e.tenant === null],
    ];
    for (const [options, matches] of cases) {
      const expected = ids(all.filter(matches));
      assert.ok(expected.length > 0 && (expected.length < all.length || Object.keys(options).length === 0));
      assert.deepEqual(ids((await auditAllTenants(store, options)).events), expected, JSON.stringify(options));
      const own = ids(untenanted().filter(matches));
      if (options.tenant === undefined) {
        assert.deepEqual(ids((await audit(store, options)).events), own, `audit ${JSON.stringify(options)}`);
      }
    }
  });

  test("filters combine: every one must hold", async () => {
    const t = all[5]!.occurredAt;
    const cases: [AuditOptions, (e: StoredEvent) => boolean][] = [
      [{ resource: "tag", action: "add" }, (e) => e.resource === "tag" && e.action === "add"],
      [{ resource: "note", actor: { type: "user", id: ADA } }, (e) => e.resource === "note" && e.actor?.id === ADA],
      [{ tenant: "acme", actionType: "create" }, (e) => e.tenant === "acme" && e.actionType === "create"],
      [{ correlationId: "req-2", tenant: "beta" }, (e) => e.correlationId === "req-2" && e.tenant === "beta"],
      [
        { from: all[1]!.occurredAt, to: t, actor: { type: "user", id: ADA } },
        (e) => e.occurredAt >= all[1]!.occurredAt && e.occurredAt < t && e.actor?.id === ADA,
      ],
      [{ resource: "tag", action: "add", actionType: "update" }, () => false],
    ];
    for (const [options, matches] of cases) {
      assert.deepEqual(ids((await auditAllTenants(store, options)).events), ids(all.filter(matches)));
    }
  });

  test("from is inclusive, to exclusive, and the times are the events' own", async () => {
    assert.equal(all[0]!.occurredAt.getTime(), T0);
    const at = all[4]!.occurredAt;
    assert.deepEqual(ids((await audit(store, { from: at, to: at })).events), []);
    assert.deepEqual(ids((await audit(store, { from: at, to: new Date(at.getTime() + 1) })).events), [all[4]!.id]);
  });

  test("pages tile the result exactly, forward and backward, for every limit", async () => {
    for (const options of [{}, { actor: { type: "user", id: ADA } }, { resource: "note" }] as AuditOptions[]) {
      const expected = ids((await auditAllTenants(store, { ...options, limit: 1000 })).events);
      for (const limit of [1, 2, 3, expected.length, expected.length + 1]) {
        const forward = await allPages((o) => auditAllTenants(store, o), { ...options, limit });
        assert.deepEqual(ids(forward.flat()), expected, `forward, limit ${limit}`);
        assert.ok(forward.every((page, i) => page.length === limit || i === forward.length - 1));
        const backward = await allPages((o) => auditAllTenants(store, o), { ...options, limit, direction: "backward" });
        assert.deepEqual(ids(backward.flat()), [...expected].reverse(), `backward, limit ${limit}`);
      }
    }
    const last = await audit(store, { limit: 1000 });
    assert.equal(last.cursor, null, "the last page has no cursor");
  });

  test("a store with a tenant reads only that tenant; another tenant is refused; across tenants is named", async () => {
    const acme = store.withContext({ tenant: "acme" });
    const expected = ids(all.filter((e) => e.tenant === "acme"));
    assert.deepEqual(ids((await audit(acme)).events), expected);
    assert.deepEqual(ids((await audit(acme, { tenant: "acme" })).events), expected);
    assert.deepEqual(ids((await audit(acme, { actor: { type: "user", id: ADA } })).events), [expected[0]]);
    const refused = await rejectsWith<{ issues: { path: string }[] }>(
      audit(acme, { tenant: "beta" }),
      "VALIDATION_FAILED",
    );
    assert.equal(refused.issues[0]!.path, "tenant");
    await rejectsWith(audit(acme, { tenant: null }), "VALIDATION_FAILED");
    await rejectsWith(audit(store, { tenant: "acme" }), "VALIDATION_FAILED");
    await assert.rejects(auditAllTenants(acme), TypeError);
    // A cursor of one tenant's read does not continue another's.
    const page = await audit(acme, { limit: 1 });
    assert.ok(page.cursor !== null);
    await rejectsWith(
      audit(store.withContext({ tenant: "beta" }), { limit: 1, cursor: page.cursor }),
      "VALIDATION_FAILED",
    );
    await rejectsWith(auditAllTenants(store, { limit: 1, cursor: page.cursor }), "VALIDATION_FAILED");
    assert.deepEqual(ids((await audit(acme, { limit: 1, cursor: page.cursor })).events), [expected[1]]);
  });

  test("a cursor works only with the filters and direction that returned it", async () => {
    const page = await auditAllTenants(store, { resource: "tag", limit: 1 });
    for (const options of [{ resource: "note" }, {}, { resource: "tag", direction: "backward" }] as AuditOptions[]) {
      await rejectsWith(auditAllTenants(store, { ...options, limit: 1, cursor: page.cursor! }), "VALIDATION_FAILED");
    }
  });

  test("each page is one round trip", needing(fx, ["http-requests"]), async () => {
    let cursor: string | null = null;
    for (let i = 0; i < 3; i++) {
      const start = fx.requests()!;
      const page: { cursor: string | null } = await auditAllTenants(store, {
        limit: 2,
        ...(cursor === null ? {} : { cursor }),
      });
      assert.equal(fx.requests()! - start, 1);
      cursor = page.cursor;
    }
  });
});

/** An executor that fails the test if anything is sent. */
const NOTHING_SENT: Executor = {
  kind: "nothing-sent",
  query: () => assert.fail("a query was sent"),
  batch: () => assert.fail("a batch was sent"),
};

test("bad audit input is VALIDATION_FAILED naming the parameter, before anything is sent", async () => {
  const { store } = auditFixture(NOTHING_SENT, "s");
  // A bare port works as well as a store: { log, db, resources, context }.
  const port = { log: store.log, db: NOTHING_SENT, resources: store.resources, context: {} };
  const cases: [unknown, string][] = [
    [{ resource: "nope" }, "resource"],
    [{ resource: "" }, "resource"],
    [{ resource: "a\u0000b" }, "resource"],
    [{ resource: 42 }, "resource"],
    [{ action: "nope" }, "action"],
    [{ resource: "note", action: "relabel" }, "action"],
    [{ actionType: "erase" }, "actionType"],
    [{ actor: "ada" }, "actor"],
    [{ actor: { type: "robot", id: "r1" } }, "actor.type"],
    [{ actor: { type: "__proto__", id: "r1" } }, "actor.type"],
    [{ actor: { type: "user", id: "not-a-uuid" } }, "actor.id"],
    [{ actor: { type: "user" } }, "actor.id"],
    [{ actor: { type: "system", id: "" } }, "actor.id"],
    [{ correlationId: "" }, "correlationId"],
    [{ causationId: "\uD800" }, "causationId"],
    [{ from: new Date(Number.NaN) }, "from"],
    [{ from: "2025-01-01" }, "from"],
    [{ to: new Date(Date.UTC(-5000, 0, 1)) }, "to"],
    [{ from: new Date(2), to: new Date(1) }, "from"],
    [{ limit: 0 }, "limit"],
    [{ limit: 1001 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ direction: "sideways" }, "direction"],
    [{ cursor: "p1.garbage" }, "cursor"],
    [{ cursor: 42 }, "cursor"],
    [{ tenant: "" }, "tenant"],
    [{ tenant: { id: 1 } }, "tenant"],
    [{ tenant: "acme" }, "tenant"],
    [{ resouce: "tag" }, "resouce"],
  ];
  for (const [options, path] of cases) {
    for (const s of [store, port]) {
      const error = await rejectsWith<{ issues: { path: string }[] }>(
        audit(s, options as AuditOptions),
        "VALIDATION_FAILED",
      );
      assert.equal(error.issues[0]!.path, path, JSON.stringify(options));
    }
  }
  await rejectsWith(auditAllTenants(store, { tenant: "" }), "VALIDATION_FAILED");
});
