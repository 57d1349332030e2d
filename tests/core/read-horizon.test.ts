/**
 * Snapshot reads of the log (readEvents without a recordId) under narrower lock scopes stop
 * at the visibility horizon: an event committed after an open transaction began waits behind
 * it; one record's history is not held back. (Following the log page by page is readFeed's
 * job: tests/core/feed.test.ts.)
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import pg from "pg";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "../../mod.ts";
import { databaseUrl } from "../support/database.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { horizonPast } from "../support/store-helpers.ts";

describeEachExecutor("reading the tail of the log under the tenant lock scope", { needs: ["concurrency"] }, (fx) => {
  let store: EventStore;
  let Note: ReturnType<typeof noteResource>;
  const noteResource = (schema: string) =>
    defineResource({
      name: "note",
      table: `${schema}.notes`,
      tenant: "orgId",
      attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
      actions: ({ create }) => ({ write: create({ input: v.object({ text: v.string() }) }) }),
    });

  before(async () => {
    Note = noteResource(fx.schema);
    store = createEventStore({
      db: fx.db,
      log: defineEventLog({ table: `${fx.schema}.events`, lock: { scope: "tenant" } }),
      resources: [Note],
    });
    await store.migrate({ resourceTables: true });
  });

  test("an event with a lower position that commits late is neither skipped nor seen early", async () => {
    const notes = store.resource(Note);
    await notes.write({ text: "first" }, { tenant: "a" });
    // A write of tenant "a" that has drawn its position and not committed yet. Actions commit
    // before they return, so the slow writer is played by hand in an open transaction.
    const slow = new pg.Client({ connectionString: databaseUrl() });
    await slow.connect();
    try {
      await slow.query("BEGIN");
      await slow.query(
        `INSERT INTO ${fx.schema}.events (id, occurred_at, resource, record_id, action, action_type, data, changes, tenant, correlation_id) ` +
          `VALUES ('01JZZZZZZZZZZZZZZZZZZZZZZZ', now(), 'note', 'late', 'write', 'create', '{}', '{}', 'a', 'late')`,
      );
      await notes.write({ text: "later, other tenant" }, { tenant: "b" });
      // Other suites share the database, and their open transactions hold the horizon back
      // too: so assert only what must never be seen, and that history is not held back.
      const early = await store.readAllTenantsEvents();
      assert.ok(
        !early.some((e) => e.tenant === "b"),
        "the committed event after the open one must wait behind the horizon",
      );
      const [laterB] =
        (await fx.db.query({ text: `SELECT record_id FROM ${fx.schema}.events WHERE tenant = 'b'`, params: [] })).rows;
      const byRecord = await store.withContext({ tenant: "b" }).readEvents({
        resource: "note",
        recordId: String(laterB!["record_id"]),
      });
      assert.equal(byRecord.length, 1, "one record's history is not held back");
      await slow.query("COMMIT");
    } finally {
      await slow.end();
    }
    // The lag is the horizon's, and only the horizon's: once every transaction of the
    // cluster as old as the last write has ended (other suites' may still be open for a
    // while: that is the documented lag), one read returns everything.
    const { rows } = await fx.db.query({
      text: `SELECT max(tx_id::text::numeric)::text AS tx FROM ${fx.schema}.events`,
      params: [],
    });
    await horizonPast(fx.db, String(rows[0]!["tx"]));
    const all = await store.readAllTenantsEvents();
    assert.deepEqual(all.map((e) => e.position), [...all.map((e) => e.position)].sort((x, y) => (x < y ? -1 : 1)));
    assert.deepEqual(all.map((e) => e.tenant), ["a", "a", "b"], "every event, in position order, once");
  });
});
