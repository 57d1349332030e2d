// Tenant probes on every write entry point: a caller of tenant "globex" aims each kind of write
// at a record of tenant "acme" (by its real id, which it learned somehow). Every probe fails with
// NOT_FOUND, writes nothing (no event, no row change), and its error carries nothing of acme's
// record. A tenant-scoped replay of globex leaves acme's rows alone.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, ref, replay, sql } from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { snapshot } from "../replay/replay-helpers.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events`, lock: { scope: "tenant" } });
  const Doc = defineResource({
    name: "doc",
    table: `${schema}.docs`,
    tenant: "orgId",
    attributes: v.object({
      id: v.string(),
      orgId: v.string(),
      title: v.string(),
      secret: v.string(),
      views: v.pipe(v.number(), v.integer()),
      deletedAt: v.optional(v.nullable(v.date())),
    }),
    columnTypes: { views: "integer" },
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ title: v.string(), secret: v.string() }), defaults: { views: 0 } }),
      retitle: update({ input: v.object({ title: v.string() }) }),
      view: update({ set: () => ({ views: sql`${ref("views")} + 1` }) }),
      touch: update({ change: (doc) => ({ views: doc.views + 10 }) }),
      archive: destroy({ soft: "deletedAt" }),
      shred: destroy(),
    }),
  });
  return { log, Doc, tables: [`${schema}.docs`], events: `${schema}.events` };
}

describeEachExecutor("tenant probes on every write entry point", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  let acmeId: string;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Doc], replay: { clear: "tracked-tables" } });
    await store.migrate({ resourceTables: true });
    acmeId =
      (await store.withContext({ tenant: "acme" }).resource(m.Doc).write({ title: "plan", secret: "acme-secret-7f3" }))
        .record.id;
    await store.withContext({ tenant: "globex" }).resource(m.Doc).write({ title: "theirs", secret: "globex" });
  });

  const globex = () => store.withContext({ tenant: "globex" }).resource(m.Doc);
  const probes: Record<string, () => Promise<unknown>> = {
    "update from input": () => globex().retitle(acmeId, { title: "stolen" }),
    "atomic update": () => globex().view(acmeId),
    "change-function update": () => globex().touch(acmeId),
    "soft destroy": () => globex().archive(acmeId),
    "hard destroy": () => globex().shred(acmeId),
    "an update inside a transaction that also writes its own tenant's record": () =>
      store.withContext({ tenant: "globex" }).transaction((tx) => {
        tx.resource(m.Doc).write({ title: "cover", secret: "x" });
        tx.resource(m.Doc).retitle(acmeId, { title: "stolen in a transaction" });
      }),
  };

  for (const [name, probe] of Object.entries(probes)) {
    test(`${name} of another tenant's record is NOT_FOUND, writes nothing and reveals nothing`, async () => {
      const before = await snapshot(fx.db, [...m.tables, m.events]);
      const error = await probe().then(() => undefined, (e: unknown) => e);
      assert.equal((error as { code?: string } | undefined)?.code, "NOT_FOUND", String(error));
      const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ""}`;
      assert.ok(!text.includes("acme-secret-7f3") && !text.includes("plan"), "the error names nothing of the record");
      assert.deepEqual(await snapshot(fx.db, [...m.tables, m.events]), before, "nothing was written");
    });
  }

  test("a create cannot name another tenant through its input", async () => {
    const result = await globex().write({ title: "mine", secret: "s", orgId: "acme" } as never);
    assert.equal(result.record.orgId, "globex");
    assert.equal(result.event!.tenant, "globex");
  });

  test("a replay of one tenant leaves every other tenant's rows exactly as they were", async () => {
    const acmeRows = async () =>
      (await fx.db.query({
        text: `SELECT to_jsonb(d)::text AS row FROM ${m.tables[0]} AS d WHERE org_id = 'acme' ORDER BY 1`,
        params: [],
      }))
        .rows.map((r) => String(r["row"]));
    const before = await acmeRows();
    const result = await replay(store, { tenant: "globex" });
    assert.equal(result.done, true);
    assert.deepEqual(await acmeRows(), before);
  });
});
