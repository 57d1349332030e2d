// feedEnd(store): the cursor of the feed's end. Reading after it returns only what joins the
// feed later; its tenant and resource filters are readFeed's; on an empty feed it is the start.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, feedEnd } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { logPastHorizon, rejectsWith } from "../support/store-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events`, lock: { scope: "tenant" } });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
    actions: ({ create }) => ({ write: create({ input: v.object({ text: v.string() }) }) }),
  });
  const Tag = defineResource({
    name: "tag",
    table: `${schema}.tags`,
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create }) => ({ add: create({ input: v.object({ label: v.string() }) }) }),
  });
  return { log, Note, Tag };
}

describeEachExecutor("feedEnd()", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const settled = (): Promise<void> => logPastHorizon(fx.db, `${fx.schema}.events`);

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note, m.Tag] });
    await store.migrate({ resourceTables: true });
  });

  test("on an empty feed it is the start: the first events written come after it", async () => {
    const start = await feedEnd(store, { allTenants: true });
    await store.resource(m.Tag).add({ label: "first" });
    await store.resource(m.Note).write({ text: "of A" }, { tenant: "A" });
    await settled();
    const page = await store.readAllTenantsFeed({ after: start });
    assert.deepEqual(page.events.map((e) => e.resource), ["tag", "note"]);
  });

  test("after it, a feed returns only the events written later, in each scope and filter", async () => {
    await settled();
    const all = await feedEnd(store, { allTenants: true });
    const untenanted = await feedEnd(store);
    const tenantA = await feedEnd(store.withContext({ tenant: "A" }));
    const tags = await feedEnd(store, { resource: "tag", allTenants: true });
    assert.deepEqual((await store.readAllTenantsFeed({ after: all })).events, []);
    assert.deepEqual((await store.readFeed({ after: untenanted })).events, []);

    await store.resource(m.Note).write({ text: "A later" }, { tenant: "A" });
    await store.resource(m.Note).write({ text: "B later" }, { tenant: "B" });
    await store.resource(m.Tag).add({ label: "later" });
    await settled();
    const texts = (events: readonly { data: Record<string, unknown> }[]): unknown[] =>
      events.map((e) => e.data["text"] ?? e.data["label"]);
    assert.deepEqual(texts((await store.readAllTenantsFeed({ after: all })).events), ["A later", "B later", "later"]);
    assert.deepEqual(texts((await store.readFeed({ after: untenanted })).events), ["later"]);
    const scoped = store.withContext({ tenant: "A" });
    assert.deepEqual(texts((await scoped.readFeed({ after: tenantA })).events), ["A later"]);
    assert.deepEqual(texts((await store.readAllTenantsFeed({ after: tags, resource: "tag" })).events), ["later"]);
  });

  test("a cursor of one feed is refused by another, and allTenants on a tenant's store is a TypeError", async () => {
    const untenanted = await feedEnd(store);
    await rejectsWith(store.readAllTenantsFeed({ after: untenanted }), "VALIDATION_FAILED");
    await assert.rejects(feedEnd(store.withContext({ tenant: "A" }), { allTenants: true }), TypeError);
    await rejectsWith(feedEnd(store, { resource: 7 as unknown as string }), "VALIDATION_FAILED");
  });

  test("under the global lock it is the last event written: the writer's next event follows at once", async () => {
    const log = defineEventLog({ table: `${fx.schema}.global_events` });
    const Tag = defineResource({
      name: "tag",
      table: `${fx.schema}.global_tags`,
      attributes: v.object({ id: v.string(), label: v.string() }),
      actions: ({ create }) => ({ add: create({ input: v.object({ label: v.string() }) }) }),
    });
    const global = createEventStore({ db: fx.db, log, resources: [Tag] });
    await global.migrate({ resourceTables: true });
    await global.resource(Tag).add({ label: "before" });
    const end = await feedEnd(global);
    await global.resource(Tag).add({ label: "after" });
    assert.deepEqual((await global.readFeed({ after: end })).events.map((e) => e.data["label"]), ["after"]);
  });
});
