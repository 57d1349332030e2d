// The hash chain (docs/integrity.md): every event of a chained log stores prev_hash and hash,
// computed in the write's own statement; verifyChain recomputes them in bounded steps and names
// the first bad event after each kind of tampering, done with direct SQL as an attacker with
// table-owner rights would (the immutability trigger disabled); a signed checkpoint catches a
// rewrite of the whole unkeyed chain. On every executor.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import {
  chainHash,
  checkpoint,
  createEventStore,
  defineEventLog,
  defineResource,
  generateCheckpointKey,
  readChainExport,
  verifyChain,
  verifyChainStep,
  verifyExport,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";

function model(schema: string, table: string) {
  const log = defineEventLog({
    table: `${schema}.${table}`,
    actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
    integrity: { chain: true },
  });
  const Note = defineResource({
    name: "note",
    table: `${schema}.${table}_notes`,
    attributes: v.object({ id: v.string(), body: v.string(), extra: v.optional(v.record(v.string(), v.unknown())) }),
    actions: ({ create, update, destroy }) => ({
      write: create({ input: v.object({ body: v.string(), extra: v.optional(v.record(v.string(), v.unknown())) }) }),
      edit: update({ input: v.object({ body: v.string() }) }),
      remove: destroy(),
    }),
  });
  return { log, Note };
}

const USER = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";

/** A chained log of six events, with a gap in its positions after the third (for insertions). */
async function chainedLog(db: Executor, schema: string, table: string) {
  const m = model(schema, table);
  const store = createEventStore({ db, log: m.log, resources: [m.Note] });
  await store.migrate({ resourceTables: true });
  const notes = store.resource(m.Note);
  const extra = { zz: 1.5, a: [1, 'é\u0001"\\', null], bb: { long_key: true, k: -0.000001 }, "€": 10 ** 21 };
  const a = (await notes.write({ body: "first", extra }, { actor: { user: USER }, metadata: { ip: "::1" } })).record;
  const b = (await notes.write({ body: "second" }, { actor: { system: "cron" } })).record;
  await notes.edit(a.id, { body: "first, edited" }, { actor: { user: USER } });
  await db.query({ text: `SELECT nextval(pg_get_serial_sequence('${schema}.${table}', 'position'))`, params: [] });
  await notes.edit(b.id, { body: "second, edited" });
  await notes.remove(a.id);
  await notes.write({ body: "third" });
  const ids = (await db.query({ text: `SELECT id, position FROM ${schema}.${table} ORDER BY position`, params: [] }))
    .rows.map((r) => ({ id: String(r["id"]), position: BigInt(r["position"] as bigint) }));
  return { store, ids, t: `${schema}.${table}` };
}

/** Run statements with the event table's triggers disabled, as a table owner could. */
async function asAttacker(db: Executor, t: string, ...texts: string[]): Promise<void> {
  await db.batch([
    { text: `ALTER TABLE ${t} DISABLE TRIGGER USER`, params: [] },
    ...texts.map((text) => ({ text, params: [] })),
    { text: `ALTER TABLE ${t} ENABLE TRIGGER USER`, params: [] },
  ]);
}

describeEachExecutor("the hash chain", {}, (fx) => {
  test("every event is chained, verifyChain walks it in steps, and an export verifies offline", async () => {
    const { store, ids, t } = await chainedLog(fx.db, fx.schema, "intact");
    const rows = (await fx.db.query({
      text: `SELECT encode(prev_hash, 'hex') AS prev, encode(hash, 'hex') AS hash FROM ${t} ORDER BY position`,
      params: [],
    })).rows;
    assert.equal(rows.length, 6);
    assert.equal(rows[0]!["prev"], null, "the first event is the chain's genesis");
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!["prev"], rows[i - 1]!["hash"]);
    const exported = (await readChainExport(store)).events;
    for (const event of exported) assert.equal(await chainHash(event, event.prevHash), event.hash);
    let step = await verifyChainStep(store, { limit: 2 });
    let steps = 1;
    while (!step.done) (step = await verifyChainStep(store, { cursor: step.cursor!, limit: 2 })), steps++;
    assert.deepEqual({ ok: step.ok, checked: step.checked, position: step.position }, {
      ok: true,
      checked: 6,
      position: ids[5]!.position,
    });
    assert.ok(steps >= 3);
    const offline = await verifyExport({
      format: "edge-events/chain-export/1",
      chainScope: "global",
      events: exported,
    });
    assert.deepEqual(offline, { ok: true, checked: 6, chains: 1, failure: null });
  });

  const cases: [string, string, (t: string, ids: { id: string; position: bigint }[]) => string[], number][] = [
    [
      "payload edited",
      "payload_edited",
      (t, ids) => [`UPDATE ${t} SET data = '{"body": "forged"}' WHERE id = '${ids[2]!.id}'`],
      2,
    ],
    // The link to a parent event is covered too: re-parenting an event breaks its hash.
    [
      "parent relinked",
      "payload_edited",
      (t, ids) => [`UPDATE ${t} SET parent_id = '${ids[0]!.id}' WHERE id = '${ids[2]!.id}'`],
      2,
    ],
    ["hash edited", "hash_edited", (t, ids) => [`UPDATE ${t} SET hash = sha256('x') WHERE id = '${ids[2]!.id}'`], 2],
    ["event deleted", "event_deleted", (t, ids) => [`DELETE FROM ${t} WHERE id = '${ids[2]!.id}'`], 3],
    ["events reordered", "events_reordered", (t, ids) => [
      `CREATE TEMP TABLE moved ON COMMIT DROP AS SELECT * FROM ${t} WHERE position IN (${ids[2]!.position}, ${
        ids[3]!.position
      })`,
      `DELETE FROM ${t} WHERE position IN (${ids[2]!.position}, ${ids[3]!.position})`,
      `INSERT INTO ${t} OVERRIDING SYSTEM VALUE SELECT (jsonb_populate_record(NULL::${t}, to_jsonb(m) || ` +
      `jsonb_build_object('position', CASE WHEN m.position = ${ids[2]!.position} THEN ${ids[3]!.position} ` +
      `ELSE ${ids[2]!.position} END))).* FROM moved AS m`,
    ], 3],
  ];
  for (const [title, reason, tamper, named] of cases) {
    test(`${title}: verifyChain names the event and the reason ${reason}`, async () => {
      const table = title.replace(/[^a-z]/g, "");
      const { store, ids, t } = await chainedLog(fx.db, fx.schema, table);
      await asAttacker(fx.db, t, ...tamper(t, ids));
      const result = await verifyChain(store, { limit: 2 });
      assert.equal(result.ok, false);
      assert.equal(result.failure?.reason, reason);
      assert.equal(result.failure?.eventId, ids[named]!.id);
      const offline = await verifyExport({
        format: "edge-events/chain-export/1",
        chainScope: "global",
        events: (await readChainExport(store)).events,
      });
      assert.deepEqual(offline.failure?.reason, reason);
      assert.deepEqual(offline.failure?.eventId, ids[named]!.id);
    });
  }

  test("event inserted: an unhashed event, and one chained from its predecessor, are named", async () => {
    const { store, ids, t } = await chainedLog(fx.db, fx.schema, "inserted");
    const gap = ids[2]!.position + 1n;
    const forged = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    const insert = (hash: string, prev: string): string =>
      `INSERT INTO ${t} (id, position, occurred_at, resource, record_id, action, action_type, correlation_id, ` +
      `prev_hash, hash) OVERRIDING SYSTEM VALUE VALUES ('${forged}', ${gap}, now(), 'note', 'x', 'write', ` +
      `'create', 'c', ${prev}, ${hash})`;
    await asAttacker(fx.db, t, insert("NULL", "NULL"));
    let result = await verifyChain(store);
    assert.deepEqual([result.failure?.reason, result.failure?.eventId], ["event_inserted", forged]);
    // Chained from its predecessor, with the hash its content has: the next event still links past it.
    await asAttacker(fx.db, t, `DELETE FROM ${t} WHERE id = '${forged}'`);
    const events = (await readChainExport(store)).events;
    const prev = events[2]!.hash!;
    const fake = { ...events[2]!, id: forged, position: String(gap), prevHash: prev };
    const hash = await chainHash(fake, prev);
    await asAttacker(fx.db, t, insert(`decode('${hash}', 'hex')`, `decode('${prev}', 'hex')`));
    await asAttacker(
      fx.db,
      t,
      `UPDATE ${t} SET (occurred_at, resource, record_id, action, action_type, correlation_id, causation_id, ` +
        `data, changes, metadata, user_id, system_actor) = (SELECT occurred_at, resource, record_id, action, ` +
        `action_type, correlation_id, causation_id, data, changes, metadata, user_id, system_actor FROM ${t} ` +
        `WHERE id = '${ids[2]!.id}') WHERE id = '${forged}'`,
    );
    result = await verifyChain(store);
    assert.deepEqual([result.failure?.reason, result.failure?.eventId], ["event_inserted", forged]);
  });

  test("a signed checkpoint catches a rewrite whose later hashes were all recomputed", async () => {
    const { store, ids, t } = await chainedLog(fx.db, fx.schema, "rewritten");
    const { privateKey, publicKey } = await generateCheckpointKey();
    const published: unknown[] = [];
    const signed = await checkpoint(store, {
      key: privateKey,
      keyId: "k1",
      onCheckpoint: (c) => void published.push(c),
    });
    assert.deepEqual(published, [signed]);
    assert.equal(signed.position, String(ids[5]!.position));
    assert.equal((await verifyChain(store, { checkpoint: signed, key: publicKey })).ok, true);
    // Rewrite the second event, then recompute every later hash: the unkeyed chain verifies again.
    await asAttacker(fx.db, t, `UPDATE ${t} SET data = '{"body": "rewritten"}' WHERE id = '${ids[1]!.id}'`);
    const events = (await readChainExport(store)).events;
    let prev = events[0]!.hash!;
    const updates: string[] = [];
    for (const event of events.slice(1)) {
      const hash = await chainHash(event, prev);
      updates.push(
        `UPDATE ${t} SET prev_hash = decode('${prev}', 'hex'), hash = decode('${hash}', 'hex') WHERE id = '${event.id}'`,
      );
      prev = hash;
    }
    await asAttacker(fx.db, t, ...updates);
    assert.equal((await verifyChain(store)).ok, true, "the unkeyed chain was recomputed");
    const result = await verifyChain(store, { checkpoint: signed, key: publicKey });
    assert.deepEqual([result.failure?.reason, result.failure?.eventId], ["checkpoint_mismatch", ids[5]!.id]);
    const offline = await verifyExport(
      { format: "edge-events/chain-export/1", chainScope: "global", events: (await readChainExport(store)).events },
      { checkpoint: signed, key: publicKey },
    );
    assert.equal(offline.failure?.reason, "checkpoint_mismatch");
    // A forged checkpoint (another hash, the old signature) does not verify.
    await assert.rejects(
      verifyChain(store, { checkpoint: { ...signed, hash: prev }, key: publicKey }),
      (e: Error & { code?: string }) => e.code === "VALIDATION_FAILED",
    );
  });

  test("events deleted from the end are caught by a checkpoint of them", async () => {
    const { store, ids, t } = await chainedLog(fx.db, fx.schema, "truncated");
    const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    const signed = await checkpoint(store, { key });
    assert.equal(signed.algorithm, "HMAC-SHA256");
    await asAttacker(fx.db, t, `DELETE FROM ${t} WHERE id = '${ids[5]!.id}'`);
    assert.equal((await verifyChain(store)).ok, true);
    const result = await verifyChain(store, { checkpoint: signed, key });
    assert.deepEqual([result.failure?.reason, result.failure?.eventId], ["event_deleted", ids[5]!.id]);
  });
});
