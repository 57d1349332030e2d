// Hash chains per lock scope (docs/integrity.md): one chain per tenant under the tenant scope,
// a custom lock.key function that states its chain scope (and writes then queue on the chain's
// key too), chains intact under concurrent writers (a deterministic interleaving held in
// Postgres, and a randomized run), across a replay (which writes no events), with adopt (whose
// events are chained), and a chain turned on for a log that already has events (a genesis at the
// next event, nothing rewritten, migrate idempotent). On every executor.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import pg from "pg";
import * as v from "valibot";
import {
  adopt,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventLogOptions,
  replay,
  verifyChain,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { tenantLockKey } from "../../src/core/lock-key.ts";
import { describeEachExecutor, needing } from "../support/each-executor.ts";
import { databaseUrl } from "../support/database.ts";
import { stressSize } from "../support/stress.ts";

const SLOW = { timeout: 120_000 };

function model(schema: string, table: string, options: EventLogOptions = {}) {
  const log = defineEventLog({ table: `${schema}.${table}`, lock: { scope: "tenant" }, ...options });
  const Note = defineResource({
    name: "note",
    table: `${schema}.${table}_notes`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  const Tag = defineResource({
    name: "tag",
    table: `${schema}.${table}_tags`,
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create }) => ({ add: create({ input: v.object({ label: v.string() }) }) }),
  });
  return { log, Note, Tag };
}

/** Per chain (tenant, or "" for none): the events' links, checked to be one unbroken list. */
async function chains(db: Executor, t: string): Promise<Map<string, number>> {
  const rows = (await db.query({
    text: `SELECT tenant, encode(prev_hash, 'hex') AS prev, encode(hash, 'hex') AS hash FROM ${t} ` +
      `WHERE hash IS NOT NULL ORDER BY position`,
    params: [],
  })).rows;
  const heads = new Map<string, string | null>();
  const lengths = new Map<string, number>();
  for (const row of rows) {
    const chain = String(row["tenant"] ?? "");
    assert.equal(row["prev"], heads.get(chain) ?? null, `the chain of "${chain}" is linked in position order`);
    heads.set(chain, String(row["hash"]));
    lengths.set(chain, (lengths.get(chain) ?? 0) + 1);
  }
  return lengths;
}

describe("integrity options", () => {
  test("a custom lock.key function must state its chain scope; chainScope needs chain", () => {
    const key = () => 1n;
    assert.throws(() => defineEventLog({ lock: { key }, integrity: { chain: true } }), /chainScope/);
    assert.throws(() => defineEventLog({ integrity: { chainScope: "tenant" } }), TypeError);
    assert.throws(() => defineEventLog({ integrity: { chain: true, chainScope: "record" as "tenant" } }), TypeError);
    assert.throws(() => defineEventLog({ integrity: { chain: true, extra: 1 } as never }), TypeError);
    assert.deepEqual(defineEventLog({ lock: { key }, integrity: { chain: true, chainScope: "tenant" } }).integrity, {
      chain: true,
      chainScope: "tenant",
    });
    assert.deepEqual(defineEventLog({ lock: { scope: "tenant" }, integrity: { chain: true } }).integrity, {
      chain: true,
      chainScope: "tenant",
    });
    assert.deepEqual(defineEventLog({}).integrity, { chain: false });
  });
});

describeEachExecutor("hash chains per scope", {}, (fx) => {
  test("under the tenant scope each tenant has its own chain, verified alone or all together", async () => {
    const m = model(fx.schema, "per_tenant", { integrity: { chain: true } });
    const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note, m.Tag] });
    await store.migrate({ resourceTables: true });
    for (const tenant of ["acme", "beta", "acme", "gamma", "beta", "acme"]) {
      await store.resource(m.Note).write({ text: tenant }, { tenant });
    }
    await store.resource(m.Tag).add({ label: "no tenant" });
    await store.resource(m.Tag).add({ label: "no tenant again" });
    const lengths = await chains(fx.db, `${fx.schema}.per_tenant`);
    assert.deepEqual(Object.fromEntries(lengths), { acme: 3, beta: 2, gamma: 1, "": 2 });
    const all = await verifyChain(store, { limit: 2 });
    assert.deepEqual([all.ok, all.checked], [true, 8]);
    const acme = await verifyChain(store, { tenant: "acme" });
    assert.deepEqual([acme.ok, acme.checked], [true, 3]);
    const none = await verifyChain(store, { tenant: null });
    assert.deepEqual([none.ok, none.checked], [true, 2]);
  });

  test("a replay writes no events and leaves the chain as it was", async () => {
    const m = model(fx.schema, "replayed", { integrity: { chain: true } });
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Note, m.Tag],
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
    const { record } = await store.resource(m.Note).write({ text: "a" }, { tenant: "acme" });
    await store.resource(m.Note).edit(record.id, { text: "b" }, { tenant: "acme" });
    await store.resource(m.Tag).add({ label: "t" });
    const hashes = `SELECT id, encode(prev_hash, 'hex') AS p, encode(hash, 'hex') AS h FROM ${fx.schema}.replayed ` +
      `ORDER BY position`;
    const before = (await fx.db.query({ text: hashes, params: [] })).rows;
    await replay(store);
    assert.deepEqual((await fx.db.query({ text: hashes, params: [] })).rows, before);
    assert.equal((await verifyChain(store)).ok, true);
  });

  test("adopt chains its events like any write", async () => {
    const m = model(fx.schema, "adopted", { integrity: { chain: true } });
    const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note, m.Tag] });
    await store.migrate({ resourceTables: true });
    await store.resource(m.Note).write({ text: "tracked" }, { tenant: "acme" });
    await fx.db.query({
      text: `INSERT INTO ${fx.schema}.adopted_notes (id, org_id, text) VALUES ('n1', 'acme', 'old'), ` +
        `('n2', 'beta', 'old')`,
      params: [],
    });
    await fx.db.query({ text: `INSERT INTO ${fx.schema}.adopted_tags (id, label) VALUES ('t1', 'old')`, params: [] });
    assert.equal((await adopt(store, m.Note)).adopted, 2);
    assert.equal((await adopt(store, m.Tag)).adopted, 1);
    assert.deepEqual(Object.fromEntries(await chains(fx.db, `${fx.schema}.adopted`)), { acme: 2, beta: 1, "": 1 });
    assert.deepEqual([(await verifyChain(store)).ok, (await verifyChain(store)).checked], [true, 4]);
  });

  test("turning the chain on for a log with events starts a chain at the next event; migrate stays idempotent", async () => {
    const plain = model(fx.schema, "turned_on");
    const old = createEventStore({ db: fx.db, log: plain.log, resources: [plain.Note, plain.Tag] });
    await old.migrate({ resourceTables: true });
    await old.resource(plain.Tag).add({ label: "before" });
    await old.resource(plain.Note).write({ text: "before" }, { tenant: "acme" });
    const chained = model(fx.schema, "turned_on", { integrity: { chain: true } });
    const store = createEventStore({ db: fx.db, log: chained.log, resources: [chained.Note, chained.Tag] });
    await store.migrate({ resourceTables: true });
    await store.migrate({ resourceTables: true });
    const t = `${fx.schema}.turned_on`;
    const snapshot = `SELECT id, data, hash FROM ${t} ORDER BY position`;
    const unchanged = (await fx.db.query({ text: snapshot, params: [] })).rows;
    assert.ok(unchanged.every((row) => row["hash"] === null), "nothing is rewritten");
    await store.resource(chained.Note).write({ text: "after" }, { tenant: "acme" });
    // A store of the old definition migrates without removing the chain, and its writes are chained too.
    await old.migrate({ resourceTables: true });
    await old.resource(plain.Note).write({ text: "after, old definition" }, { tenant: "acme" });
    const rows = (await fx.db.query({
      text: `SELECT encode(prev_hash, 'hex') AS p, encode(hash, 'hex') AS h FROM ${t} ORDER BY position`,
      params: [],
    })).rows;
    assert.deepEqual((await fx.db.query({ text: snapshot, params: [] })).rows.slice(0, 2), unchanged);
    assert.equal(rows[2]!["p"], null, "the first chained event is the genesis of its chain");
    assert.notEqual(rows[2]!["h"], null);
    assert.equal(rows[3]!["p"], rows[2]!["h"]);
    const result = await verifyChain(store);
    assert.deepEqual([result.ok, result.checked], [true, 4]);
  });
});

describeEachExecutor("hash chains under concurrent writers", { needs: ["concurrency"] }, (fx) => {
  test(
    "writers of one tenant queue on the chain's key even when a custom lock.key gives them other keys",
    { ...SLOW, ...needing(fx, ["concurrency"]) },
    async () => {
      // Each action its own key: without the chain's key, the two writers below would not wait.
      const m = model(fx.schema, "custom_key", {
        lock: { key: ({ action }) => (action === "write" ? 11n : action === "edit" ? 12n : 13n) },
        integrity: { chain: true, chainScope: "tenant" },
      });
      const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note, m.Tag] });
      await store.migrate({ resourceTables: true });
      const first = (await store.resource(m.Note).write({ text: "first" }, { tenant: "acme" })).record;
      const key = tenantLockKey("acme") as bigint;
      const session = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
      try {
        await session.query("BEGIN");
        await session.query("SELECT pg_advisory_xact_lock($1::bigint)", [String(key)]);
        const writes = [
          store.resource(m.Note).write({ text: "one" }, { tenant: "acme" }),
          store.resource(m.Note).edit(first.id, { text: "two" }, { tenant: "acme" }),
        ];
        for (const w of writes) w.catch(() => undefined); // awaited below
        let waiting = 0;
        let settled = 0;
        for (const w of writes) void w.finally(() => settled++);
        while (waiting < 2 && settled === 0) {
          const { rows } = await session.query(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1 ` +
              `AND classid = $1::bigint AND objid = $2::bigint`,
            [String(key >> 32n), String(key & 0xffffffffn)],
          );
          waiting = rows[0].n;
          if (waiting < 2) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(settled, 0, "no writer of the tenant wrote while its chain's key was held");
        assert.equal(waiting, 2);
        // Meanwhile the chain of events without a tenant is not held up.
        await store.resource(m.Tag).add({ label: "no tenant" });
        await session.query("ROLLBACK");
        await Promise.all(writes);
      } finally {
        await session.query("ROLLBACK").catch(() => undefined);
        await session.end();
      }
      assert.deepEqual(Object.fromEntries(await chains(fx.db, `${fx.schema}.custom_key`)), { acme: 3, "": 1 });
      assert.equal((await verifyChain(store)).ok, true);
    },
  );

  const WRITERS = 16;
  const WRITES = stressSize(10, 4);
  test(`${WRITERS} writers × ${WRITES} writes over three tenants and none: every chain stays whole`, SLOW, async () => {
    const m = model(fx.schema, "stress", { integrity: { chain: true } });
    const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note, m.Tag] });
    await store.migrate({ resourceTables: true });
    const tenants = ["acme", "beta", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", null];
    await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < WRITES; i++) {
        const tenant = tenants[Math.floor(Math.random() * tenants.length)]!;
        if (tenant === null) await store.resource(m.Tag).add({ label: `${w}.${i}` });
        else await store.resource(m.Note).write({ text: `${w}.${i}` }, { tenant });
      }
    }));
    const lengths = await chains(fx.db, `${fx.schema}.stress`);
    assert.equal([...lengths.values()].reduce((a, b) => a + b, 0), WRITERS * WRITES);
    const result = await verifyChain(store);
    assert.deepEqual([result.ok, result.checked], [true, WRITERS * WRITES]);
  });
});
