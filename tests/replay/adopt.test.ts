// Adoption on every executor: rows that exist without events (inserted by hand, by another
// app, before edge-events) get one `adopt` create event each, once; a replay then rebuilds
// them identically (NULLs, bigints, jsonb, microsecond timestamps); tenants are kept; and
// adoption is refused while a replay runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import {
  abortReplay,
  adopt,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  replay,
  replayStep,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { prefixedTables } from "../support/models.ts";
import { countRows, eventRows, rejectsWith } from "../support/store-helpers.ts";
import { insertLegacyEvent, snapshot } from "./replay-helpers.ts";

function model(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  // The old app renamed customers under its own resource name; those events go to customer.rename now.
  const log = defineEventLog({
    table: t("events"),
    replayOverrides: [{ resource: "contact", action: "renamed", versions: [1], routeTo: [["customer", "rename"]] }],
  });
  const Customer = defineResource({
    name: "customer",
    table: t("customers"),
    attributes: v.object({
      id: v.string(),
      name: v.string(),
      email: v.optional(v.string()),
      score: v.optional(v.bigint()),
      tags: v.optional(v.array(v.string())),
      joinedAt: v.optional(v.date()),
      deletedAt: v.optional(v.nullable(v.date())),
    }),
    timestamps: { createdAt: "joinedAt" },
    actions: ({ create, update, destroy }) => ({
      register: create({ input: v.object({ name: v.string(), email: v.optional(v.string()) }) }),
      rename: update({ input: v.object({ name: v.string() }) }),
      leave: destroy({ soft: "deletedAt" }),
    }),
  });
  const Seat = defineResource({
    name: "seat",
    table: t("seats"),
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), holder: v.string() }),
    actions: ({ create }) => ({ assign: create({ input: v.object({ holder: v.string() }) }) }),
  });
  return { log, Customer, Seat, events: t("events"), customers: t("customers"), seats: t("seats") };
}

type Model = ReturnType<typeof model>;

describeEachExecutor("adopting existing rows", {}, (fx) => {
  let prefixes = 0;

  const fresh = async (clock?: () => Date): Promise<{ m: Model; store: EventStore }> => {
    const m = model(fx.schema, `a${++prefixes}`);
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Customer, m.Seat],
      replay: { clear: "tracked-tables" },
      ...(clock === undefined ? {} : { clock }),
    });
    await store.migrate({ resourceTables: true });
    return { m, store };
  };
  /** Seven customers written straight to the table, as another app would have. */
  const insertByHand = async (m: Model): Promise<void> => {
    await fx.db.query({
      text: `INSERT INTO ${m.customers} (id, name, email, score, tags, joined_at, deleted_at) VALUES
          ('h1', 'Hopper', 'grace@navy.mil', 9007199254740993, '["cobol", "navy"]', '2019-05-06 07:08:09.123456+00', NULL),
          ('h2', 'Lovelace', NULL, NULL, NULL, '2018-01-01 00:00:00+00', NULL),
          ('h3', 'Turing', 'alan@bletchley.uk', -5, '[]', NULL, NULL),
          ('h4', 'Hamilton', NULL, 0, '["apollo"]', '2020-02-29 23:59:59.999999+00', '2021-03-04 05:06:07.000001+00'),
          ('h5', 'Liskov', 'barbara@mit.edu', 42, NULL, '2017-07-07 07:07:07.7+00', NULL),
          ('h6', 'Knuth', NULL, 1, NULL, NULL, NULL),
          ('h7', 'O''Neil ''; DROP TABLE x;--', NULL, NULL, NULL, NULL, NULL)`,
      params: [],
    });
  };

  test("rows without events get one adopt event each, with their attributes in changes; a second adopt adopts nothing", async () => {
    let now = new Date("2026-03-04T05:06:07.008Z");
    const { m, store } = await fresh(() => now);
    const registered = await store.resource(m.Customer).register({ name: "Ritchie" });
    await insertByHand(m);

    now = new Date("2026-03-04T05:06:09.000Z");
    const result = await adopt(store, m.Customer, { pageSize: 3 });

    assert.deepEqual(result, { adopted: 7, pages: 3 });
    const adoptions = (await eventRows(fx.db, m.events)).filter((row) => row["action"] === "adopt");
    assert.deepEqual(adoptions.map((row) => row["record_id"]).sort(), ["h1", "h2", "h3", "h4", "h5", "h6", "h7"]);
    for (const row of adoptions) {
      assert.equal(row["resource"], "customer");
      assert.equal(row["action_type"], "create");
      assert.equal(row["version"], 1);
      assert.deepEqual(row["data"], {});
      assert.deepEqual(row["metadata"], { adopted: true });
      assert.equal(row["tenant"], null);
    }
    const h1 = adoptions.find((row) => row["record_id"] === "h1")!;
    assert.equal((h1["changes"] as Record<string, unknown>)["name"], "Hopper");
    assert.equal(
      (h1["changes"] as Record<string, unknown>)["score"],
      "9007199254740993",
      "bigints as decimal strings, every digit kept",
    );
    assert.deepEqual((h1["changes"] as Record<string, unknown>)["tags"], ["cobol", "navy"]);
    assert.match(
      String((h1["changes"] as Record<string, unknown>)["joinedAt"]),
      /^2019-05-06T07:08:09\.123456/,
      "timestamps keep their microseconds",
    );
    // An adoption happens when adopt runs, by the store's clock: the row's own createdAt
    // (2019) stays in changes, so time order keeps agreeing with position order.
    for (const row of adoptions) {
      assert.equal(
        (row["occurred_at"] as Date).toISOString(),
        "2026-03-04T05:06:09.000Z",
        "occurred_at is the store's clock",
      );
    }
    assert.ok(!adoptions.some((row) => row["record_id"] === registered.record.id), "a row with events is not adopted");

    assert.deepEqual(await adopt(store, m.Customer), { adopted: 0, pages: 0 });
    assert.equal(await countRows(fx.db, m.events), 8);
  });

  test("after adopt and replay, adopted rows are rebuilt identically, NULLs, bigints, jsonb and microseconds included", async () => {
    const { m, store } = await fresh();
    const registered = await store.resource(m.Customer).register({ name: "Ritchie", email: "dmr@bell-labs.com" });
    await insertByHand(m);
    await adopt(store, m.Customer);
    // Adopted rows are ordinary records from here on.
    await store.resource(m.Customer).rename("h2", { name: "Ada Lovelace" });
    await store.resource(m.Customer).leave("h5");
    await store.resource(m.Customer).rename(registered.record.id, { name: "Dennis Ritchie" });
    const live = await snapshot(fx.db, [m.customers]);

    const replayed = await replay(store);

    assert.equal(replayed.skipped, 0);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), live);
  });

  test("adopting a multi-tenant resource records each row's tenant, so a tenant replay rebuilds only that tenant", async () => {
    const { m, store } = await fresh();
    await fx.db.query({
      text:
        `INSERT INTO ${m.seats} (id, org_id, holder) VALUES ('s1', 'org-a', 'ann'), ('s2', 'org-b', 'bob'), ('s3', 'org-a', 'cy')`,
      params: [],
    });
    await store.resource(m.Seat).assign({ holder: "dee" }, { tenant: "org-b" });
    assert.deepEqual(await adopt(store, m.Seat), { adopted: 3, pages: 1 });
    const tenants = (await eventRows(fx.db, m.events)).filter((row) => row["action"] === "adopt").map((
      row,
    ) => [row["record_id"], row["tenant"]]);
    assert.deepEqual(tenants.sort(), [["s1", "org-a"], ["s2", "org-b"], ["s3", "org-a"]]);
    const live = await snapshot(fx.db, [m.seats]);

    await fx.db.query({ text: `UPDATE ${m.seats} SET holder = 'damaged'`, params: [] });
    const result = await replay(store, { tenant: "org-a" });
    assert.equal(result.applied, 2);
    const holders = Object.fromEntries(
      (await fx.db.query({ text: `SELECT id, holder FROM ${m.seats}`, params: [] })).rows.map((
        r,
      ) => [r["id"], r["holder"]]),
    );
    assert.equal(holders["s1"], "ann");
    assert.equal(holders["s3"], "cy");
    assert.equal(holders["s2"], "damaged", "org-b is untouched");
    await replay(store);
    assert.deepEqual(await snapshot(fx.db, [m.seats]), live);
  });

  test("adopt is refused with REPLAY_IN_PROGRESS while a replay runs, and writes nothing", async () => {
    const { m, store } = await fresh();
    await store.resource(m.Customer).register({ name: "Ritchie" });
    await store.resource(m.Customer).register({ name: "Thompson" });
    const step = await replayStep(store, { budgetMs: 1, pageSize: 1 });
    assert.equal(step.done, false);
    await insertByHand(m);
    const events = await countRows(fx.db, m.events);

    await rejectsWith(adopt(store, m.Customer), "REPLAY_IN_PROGRESS");
    assert.equal(await countRows(fx.db, m.events), events);

    assert.equal(await abortReplay(store), true);
    assert.equal((await adopt(store, m.Customer)).adopted >= 7, true, "adoption works once the fence is lifted");
  });

  test("a routed update of a row adopted later is superseded by that adoption, found in the route's target resource, in a replay and a dry run", async () => {
    const { m, store } = await fresh();
    await insertByHand(m);
    // Before edge-events took over the table, the old app logged a rename of h2 as contact.renamed v1.
    await insertLegacyEvent(fx.db, m.events, {
      resource: "contact",
      recordId: "h2",
      action: "renamed",
      actionType: "update",
      version: 1,
      data: { name: "Ada" },
    });
    await fx.db.query({ text: `UPDATE ${m.customers} SET name = 'Ada' WHERE id = 'h2'`, params: [] });
    await adopt(store, m.Customer);
    const adoption = (await eventRows(fx.db, m.events)).find((row) =>
      row["action"] === "adopt" && row["record_id"] === "h2"
    )!;
    const superseded = [`superseded by the adoption at position ${String(adoption["position"])}`];
    const live = await snapshot(fx.db, [m.customers, m.seats]);

    const dry = await replay(store, { dryRun: true });
    assert.deepEqual(dry.skippedEvents.map((e) => e.reason), superseded);
    assert.equal(dry.applied, 7);

    const result = await replay(store);
    assert.equal(result.done, true);
    assert.deepEqual(result.skippedEvents.map((e) => e.reason), superseded);
    assert.equal(result.applied, 7);
    assert.deepEqual(await snapshot(fx.db, [m.customers, m.seats]), live);
  });

  test("a row changed by an action before it was adopted is rebuilt by replay", async () => {
    const { m, store } = await fresh();
    await insertByHand(m);
    await store.resource(m.Customer).rename("h1", { name: "Grace Hopper" });
    await adopt(store, m.Customer);
    const live = await snapshot(fx.db, [m.customers]);
    await replay(store);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), live);
  });
});
