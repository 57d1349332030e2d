// The advisory lock a write takes, read from pg_locks while the write holds it: a second
// connection locks the record's row, so the write stops at its UPDATE with every lock of its
// prelude held; pg_locks then shows them, and the row lock is released.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventLog, type LockOption } from "../../mod.ts";
import { fenceLockKey } from "../../src/sql/write-prelude.ts";
import { databaseUrl } from "../support/database.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { rejectsWith } from "../support/store-helpers.ts";

const UUID = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";

/** How pg_locks shows an advisory lock: classid and objid are unsigned (oid), objsubid 1 or 2. */
interface ShownKey {
  readonly classid: number;
  readonly objid: number;
  readonly objsubid: 1 | 2;
}

/** One bigint key: its high and low 32 bits, objsubid 1. */
function shownBigint(key: bigint): ShownKey {
  const unsigned = BigInt.asUintN(64, key);
  return { classid: Number(unsigned >> 32n), objid: Number(unsigned & 0xffffffffn), objsubid: 1 };
}

/** Two int32 keys: each as unsigned, objsubid 2. */
function shownPair(key1: number, key2: number): ShownKey {
  return { classid: key1 >>> 0, objid: key2 >>> 0, objsubid: 2 };
}

/** 64-bit FNV-1a over UTF-8, written out here again so the test does not trust lock-key.ts. */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash);
}

function model(schema: string, lock: LockOption, suffix: string) {
  const log = defineEventLog({ table: `${schema}.events_${suffix}`, lock });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes_${suffix}`,
    attributes: v.object({ id: v.string(), text: v.string() }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  const Doc = defineResource({
    name: "doc",
    table: `${schema}.docs_${suffix}`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), text: v.string() }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  const Ledger = defineResource({
    name: "ledger",
    table: `${schema}.ledgers_${suffix}`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.number(), text: v.string() }),
    columnTypes: { orgId: "integer" },
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ text: v.string() }) }),
      edit: update({ input: v.object({ text: v.string() }) }),
    }),
  });
  return { log, Note, Doc, Ledger };
}

type Model = ReturnType<typeof model>;

describeEachExecutor("advisory lock keys in pg_locks", { needs: ["concurrency"] }, (fx) => {
  let blocker: pg.Client;
  const keyCalls: unknown[] = [];
  const models: Record<"global" | "tenant" | "custom", Model> = {} as never;

  /**
   * Lock the record's row from the blocker, run `edit` until it waits for that row, and
   * return the advisory locks its backend holds then (found by the fence lock of `log`,
   * which only writes to this log take). Waiting for the blocker itself matters: other
   * suites may hold the global key, and a write queued behind them holds only the fence.
   */
  const locksWhileBlocked = async (log: EventLog, table: string, id: string, edit: () => Promise<unknown>) => {
    await blocker.query("BEGIN");
    await blocker.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
    let settled = false;
    const write = edit().finally(() => (settled = true));
    write.catch(() => undefined);
    const [fence1, fence2] = fenceLockKey(log);
    let held: (ShownKey & { mode: string })[] | undefined;
    try {
      for (let i = 0; i < 2000 && held === undefined && !settled; i++) {
        const { rows } = await blocker.query(
          `SELECT l.classid::text::bigint AS classid, l.objid::text::bigint AS objid, l.objsubid, l.mode
             FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.granted
               AND l.pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                             AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2)
               AND pg_backend_pid() = ANY(pg_blocking_pids(l.pid))
             ORDER BY l.mode`,
          [fence1 >>> 0, fence2 >>> 0],
        );
        if (rows.length > 0) {
          held = rows.map((r) => ({
            classid: Number(r.classid),
            objid: Number(r.objid),
            objsubid: r.objsubid,
            mode: r.mode,
          }));
        } else {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    } finally {
      await blocker.query("COMMIT");
    }
    await write;
    assert.ok(held !== undefined, "the write was seen waiting for the row with its locks held");
    return held;
  };

  /** The write lock a write holds, after checking that the shared fence lock is its only other one. */
  const writeLockOf = async (m: Model, table: string, id: string, edit: () => Promise<unknown>): Promise<ShownKey> => {
    const held = await locksWhileBlocked(m.log, `${fx.schema}.${table}`, id, edit);
    const [fence1, fence2] = fenceLockKey(m.log);
    assert.equal(held.length, 2, "the write holds the fence and one write lock");
    assert.deepEqual(held[1], { ...shownPair(fence1, fence2), mode: "ShareLock" }, "the shared replay fence");
    const { mode, ...key } = held[0]!;
    assert.equal(mode, "ExclusiveLock");
    return key;
  };

  before(async () => {
    models.global = model(fx.schema, { scope: "global" }, "global");
    models.tenant = model(fx.schema, { scope: "tenant" }, "tenant");
    models.custom = model(fx.schema, {
      key: (input) => {
        keyCalls.push(input);
        return input.resource === "note" ? [7, -3] : 0x0123456789abcdefn;
      },
    }, "custom");
    for (const m of Object.values(models)) {
      await createEventStore({ db: fx.db, log: m.log, resources: [m.Note, m.Doc, m.Ledger] }).migrate({
        resourceTables: true,
      });
    }
    blocker = new pg.Client({ connectionString: databaseUrl() });
    await blocker.connect();
  });
  after(async () => {
    await blocker?.end();
  });

  const storeOf = (m: Model) => createEventStore({ db: fx.db, log: m.log, resources: [m.Note, m.Doc, m.Ledger] });

  test("the default global scope takes key 2147483647: classid 0, objid 2147483647, objsubid 1", async () => {
    const m = models.global;
    const notes = storeOf(m).resource(m.Note);
    const { record } = await notes.write({ text: "a" });
    const key = await writeLockOf(m, "notes_global", record.id, () => notes.edit(record.id, { text: "b" }));
    assert.deepEqual(key, { classid: 0, objid: 2147483647, objsubid: 1 });
  });

  test("the global scope takes the same key for a multi-tenant resource", async () => {
    const m = models.global;
    const docs = storeOf(m).resource(m.Doc);
    const { record } = await docs.write({ text: "a" }, { tenant: "acme" });
    const key = await writeLockOf(
      m,
      "docs_global",
      record.id,
      () => docs.edit(record.id, { text: "b" }, { tenant: "acme" }),
    );
    assert.deepEqual(key, shownBigint(2147483647n));
  });

  for (const tenant of [42, -5]) {
    test(`the tenant scope takes an integer tenant (${tenant}) as the bigint key itself`, async () => {
      const m = models.tenant;
      const ledgers = storeOf(m).resource(m.Ledger);
      const { record } = await ledgers.write({ text: "a" }, { tenant });
      const key = await writeLockOf(
        m,
        "ledgers_tenant",
        record.id,
        () => ledgers.edit(record.id, { text: "b" }, { tenant }),
      );
      assert.deepEqual(key, shownBigint(BigInt(tenant)));
    });
  }

  test("the tenant scope takes a UUID tenant as two int32 keys from bytes 0-3 and 8-11 (objsubid 2)", async () => {
    const m = models.tenant;
    const docs = storeOf(m).resource(m.Doc);
    const { record } = await docs.write({ text: "a" }, { tenant: UUID });
    const key = await writeLockOf(
      m,
      "docs_tenant",
      record.id,
      () => docs.edit(record.id, { text: "b" }, { tenant: UUID }),
    );
    const hex = UUID.replaceAll("-", "");
    assert.deepEqual(key, {
      classid: Number.parseInt(hex.slice(0, 8), 16),
      objid: Number.parseInt(hex.slice(16, 24), 16),
      objsubid: 2,
    });
    assert.deepEqual(key, { classid: 0xf81d4fae, objid: 0xa76500a0, objsubid: 2 });
  });

  test("the tenant scope hashes any other tenant string with FNV-1a 64 into one bigint key", async () => {
    const m = models.tenant;
    const docs = storeOf(m).resource(m.Doc);
    const { record } = await docs.write({ text: "a" }, { tenant: "acme" });
    const key = await writeLockOf(
      m,
      "docs_tenant",
      record.id,
      () => docs.edit(record.id, { text: "b" }, { tenant: "acme" }),
    );
    assert.equal(fnv1a64("acme"), 514768821131075087n);
    assert.deepEqual(key, shownBigint(fnv1a64("acme")));
    assert.deepEqual(key, { classid: 0x0724d383, objid: 0xf4f6de0f, objsubid: 1 });
  });

  test("the tenant scope falls back to the global key for a resource without tenants", async () => {
    const m = models.tenant;
    const notes = storeOf(m).resource(m.Note);
    const { record } = await notes.write({ text: "a" });
    const key = await writeLockOf(m, "notes_tenant", record.id, () => notes.edit(record.id, { text: "b" }));
    assert.deepEqual(key, shownBigint(2147483647n));
  });

  test("a custom key function decides the key: a pair of int32 or one bigint", async () => {
    const m = models.custom;
    const store = storeOf(m);
    const note = (await store.resource(m.Note).write({ text: "a" })).record;
    const pair = await writeLockOf(
      m,
      "notes_custom",
      note.id,
      () => store.resource(m.Note).edit(note.id, { text: "b" }),
    );
    assert.deepEqual(pair, { classid: 7, objid: 4294967293, objsubid: 2 });
    const doc = (await store.resource(m.Doc).write({ text: "a" }, { tenant: "acme" })).record;
    keyCalls.length = 0;
    const bigint = await writeLockOf(
      m,
      "docs_custom",
      doc.id,
      () => store.resource(m.Doc).edit(doc.id, { text: "b" }, { tenant: "acme" }),
    );
    assert.deepEqual(bigint, { classid: 0x01234567, objid: 0x89abcdef, objsubid: 1 });
    assert.deepEqual(keyCalls, [{ resource: "doc", action: "edit", tenant: "acme" }]);
  });

  test("the prelude's fence check reads after its locks: a write queued behind a replay start sees its running row", async () => {
    // The prelude is one statement (a call of <table>_begin_write); the check inside it must
    // still take its snapshot after the shared fence lock is granted, not when the call began.
    const m = models.custom;
    const store = storeOf(m);
    const [fence1, fence2] = fenceLockKey(m.log);
    await blocker.query("BEGIN");
    let write: Promise<unknown> | undefined;
    try {
      await blocker.query("SELECT pg_advisory_xact_lock($1::int, $2::int)", [fence1, fence2]);
      await blocker.query(
        `INSERT INTO ${m.log.replayStateTable.sql} (replay_id, status) VALUES ('lock-keys', 'running')`,
      );
      write = store.resource(m.Note).write({ text: "queued" });
      write.catch(() => undefined);
      let waiting = false;
      for (let i = 0; i < 2000 && !waiting; i++) {
        const { rows } = await blocker.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND mode = 'ShareLock'
               AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2`,
          [fence1 >>> 0, fence2 >>> 0],
        );
        waiting = rows.length > 0;
        if (!waiting) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.ok(waiting, "the write was seen waiting for the fence");
    } finally {
      await blocker.query("COMMIT");
    }
    try {
      await rejectsWith(write!, "REPLAY_IN_PROGRESS");
      const { rows } = await blocker.query(
        `SELECT count(*)::int AS n FROM ${m.log.table.sql} WHERE data->>'text' = 'queued'`,
      );
      assert.equal(rows[0].n, 0);
    } finally {
      await blocker.query(`UPDATE ${m.log.replayStateTable.sql} SET status = 'aborted' WHERE replay_id = 'lock-keys'`);
    }
    await store.resource(m.Note).write({ text: "after" });
  });
});
