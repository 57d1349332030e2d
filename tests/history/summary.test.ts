// summary(store, { from, to }) and summaryAllTenants on every executor: the counts by action
// type, by resource and action, by actor, the first and last event and the total equal what
// the log's events give, for the whole range, a part of it, one resource and one tenant; an
// empty range; tenant confinement; one round trip. Bad input is VALIDATION_FAILED naming the
// parameter, and nothing is sent.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  type AuditSummary,
  type EventStore,
  type StoredEvent,
  summary,
  summaryAllTenants,
  type SummaryOptions,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor, needing } from "../support/each-executor.ts";
import { rejectsWith } from "../support/store-helpers.ts";
import { ADA, auditFixture, BEA, T0 } from "./audit-model.ts";

/** The summary of `events` computed in memory, in the order summary() promises. */
function expectedSummary(events: readonly StoredEvent[]): AuditSummary {
  const count = <K>(key: (e: StoredEvent) => K, same: (a: K, b: K) => boolean) => {
    const out: { key: K; count: number }[] = [];
    for (const e of events) {
      const k = key(e);
      const found = out.find((o) => same(o.key, k));
      if (found === undefined) out.push({ key: k, count: 1 });
      else found.count++;
    }
    return out;
  };
  const byCountThen = (text: (k: { key: unknown }) => string) => (a: { key: unknown; count: number }, b: typeof a) =>
    b.count - a.count || (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0);
  const byAction = count((e) => [e.resource, e.action], (a, b) => a[0] === b[0] && a[1] === b[1])
    .sort(byCountThen((k) => (k.key as string[]).join("\u0000")))
    .map(({ key: [resource, action], count }) => ({ resource: resource!, action: action!, count }));
  const byActor = count((e) => e.actor, (a, b) => a?.type === b?.type && a?.id === b?.id)
    .sort(byCountThen((k) => {
      const actor = k.key as StoredEvent["actor"];
      return actor === null ? "\uffff" : `${actor.type}\u0000${actor.id}`; // nulls sort last
    }))
    .map(({ key, count }) => ({ actor: key, count }));
  const point = (e: StoredEvent | undefined) =>
    e === undefined ? null : { id: e.id, position: e.position, occurredAt: e.occurredAt };
  return {
    total: events.length,
    byActionType: {
      create: events.filter((e) => e.actionType === "create").length,
      update: events.filter((e) => e.actionType === "update").length,
      destroy: events.filter((e) => e.actionType === "destroy").length,
    },
    byAction,
    byActor,
    first: point(events[0]),
    last: point(events[events.length - 1]),
  };
}

const plain = (s: AuditSummary): unknown =>
  JSON.parse(JSON.stringify(s, (_, v) => typeof v === "bigint" ? `${v}n` : v));

describeEachExecutor("summary()", {}, (fx) => {
  let store: EventStore<"user" | "system">;
  let all: StoredEvent[];
  const end = () => new Date(all[all.length - 1]!.occurredAt.getTime() + 1);

  before(async () => {
    const setup = auditFixture(fx.db, fx.schema);
    store = setup.store;
    await store.migrate({ resourceTables: true });
    all = await setup.writeLog();
  });

  test("the counts, first and last event of the whole log equal what its events give", async () => {
    const result = await summaryAllTenants(store, { from: new Date(T0), to: end() });
    assert.equal(result.total, 11);
    assert.deepEqual(plain(result), plain(expectedSummary(all)));
    assert.deepEqual(result.byActor.find((a) => a.actor?.id === ADA)?.count, 4);
    assert.deepEqual(result.byActor.find((a) => a.actor?.id === BEA)?.count, 4);
  });

  test("a part of the range, one resource, one tenant, events without a tenant", async () => {
    const from = all[2]!.occurredAt;
    const to = all[8]!.occurredAt;
    const cases: [SummaryOptions, (e: StoredEvent) => boolean][] = [
      [{ from, to }, (e) => e.occurredAt >= from && e.occurredAt < to],
      [{ from: new Date(T0), to: end(), resource: "note" }, (e) => e.resource === "note"],
      [{ from, to, tenant: "acme" }, (e) => e.occurredAt >= from && e.occurredAt < to && e.tenant === "acme"],
      [{ from: new Date(T0), to: end(), tenant: null }, (e) => e.tenant === null],
    ];
    for (const [options, matches] of cases) {
      assert.deepEqual(plain(await summaryAllTenants(store, options)), plain(expectedSummary(all.filter(matches))));
    }
  });

  test("an empty range: total 0, no first or last event", async () => {
    const at = all[3]!.occurredAt;
    assert.deepEqual(plain(await summary(store, { from: at, to: at })), plain(expectedSummary([])));
    assert.deepEqual(
      plain(await summary(store, { from: new Date("2000-01-01"), to: new Date("2000-01-02") })),
      plain(expectedSummary([])),
    );
  });

  test("summary() counts only the store's tenant; another tenant is refused", async () => {
    const range = { from: new Date(T0), to: end() };
    assert.deepEqual(plain(await summary(store, range)), plain(expectedSummary(all.filter((e) => e.tenant === null))));
    const beta = store.withContext({ tenant: "beta" });
    assert.deepEqual(plain(await summary(beta, range)), plain(expectedSummary(all.filter((e) => e.tenant === "beta"))));
    await rejectsWith(summary(beta, { ...range, tenant: "acme" }), "VALIDATION_FAILED");
    await assert.rejects(summaryAllTenants(beta, range), TypeError);
  });

  test("a summary is one round trip", needing(fx, ["http-requests"]), async () => {
    const start = fx.requests()!;
    await summaryAllTenants(store, { from: new Date(T0), to: end(), resource: "tag" });
    assert.equal(fx.requests()! - start, 1);
  });
});

const NOTHING_SENT: Executor = {
  kind: "nothing-sent",
  query: () => assert.fail("a query was sent"),
  batch: () => assert.fail("a batch was sent"),
};

test("bad summary input is VALIDATION_FAILED naming the parameter, before anything is sent", async () => {
  const { store } = auditFixture(NOTHING_SENT, "s");
  const from = new Date("2025-01-01T00:00:00Z");
  const to = new Date("2025-02-01T00:00:00Z");
  const cases: [unknown, string][] = [
    [{ to }, "from"],
    [{ from }, "to"],
    [{ from: new Date(Number.NaN), to }, "from"],
    [{ from, to: "2025-02-01" }, "to"],
    [{ from: new Date(Date.UTC(-5000, 0, 1)), to }, "from"],
    [{ from: to, to: from }, "from"],
    [{ from, to, resource: "nope" }, "resource"],
    [{ from, to, resource: "" }, "resource"],
    [{ from, to, tenant: "acme" }, "tenant"],
    [{ from, to, tenant: "" }, "tenant"],
    [{ from, to, actor: { type: "user", id: ADA } }, "actor"],
  ];
  for (const [options, path] of cases) {
    const error = await rejectsWith<{ issues: { path: string }[] }>(
      summary(store, options as SummaryOptions),
      "VALIDATION_FAILED",
    );
    assert.equal(error.issues[0]!.path, path, JSON.stringify(options));
  }
  await rejectsWith(summaryAllTenants(store, { from, to, tenant: 1.5 as never }), "VALIDATION_FAILED");
});
