// Upserts: a create with `upsert: { identity }` inserts on its first call and updates the record
// of that identity on later ones, in one statement (INSERT ... ON CONFLICT (identity) DO UPDATE);
// every call writes its own create event whose record id is the row's key; occurred_at equals
// the row's createdAt on insert and its updatedAt on update; a replay and a fold leave the last
// call's values. A deterministic race of two first calls (the first held back while the second
// commits): both succeed, one inserts, one updates. Every executor.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineProjection,
  defineResource,
  type EventStore,
  newEventId,
  replay,
  resourceTableSql,
  sql,
  stateAt,
} from "../../mod.ts";
import type { SqlStatement } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { countRows, eventRows } from "../support/store-helpers.ts";
import { gatedExecutor, recordingExecutor } from "../replay/gated-executor.ts";

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const User = defineResource({
    name: "user",
    table: `${schema}.users`,
    attributes: v.object({
      id: v.string(),
      email: v.string(),
      name: v.string(),
      role: v.string(),
      createdAt: v.date(),
      updatedAt: v.date(),
      deletedAt: v.nullish(v.date()),
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      register: create({
        input: v.object({ email: v.string(), name: v.string() }),
        defaults: { role: "member" },
        upsert: { identity: ["email"] },
      }),
      promote: update({ input: v.object({ role: v.string() }) }),
      changeEmail: update({ input: v.object({ email: v.string() }) }),
      close: destroy({ soft: "deletedAt" }),
    }),
  });
  // A composite identity on a multi-tenant resource: the index and the conflict are per tenant.
  const Seat = defineResource({
    name: "seat",
    table: `${schema}.seats`,
    tenant: "org",
    attributes: v.object({ id: v.string(), org: v.string(), row: v.string(), col: v.string(), holder: v.string() }),
    actions: ({ create }) => ({
      book: create({
        input: v.object({ row: v.string(), col: v.string(), holder: v.string() }),
        upsert: { identity: ["row", "col"] },
      }),
    }),
  });
  return { log, User, Seat };
}

const isWrite = (statements: readonly SqlStatement[]): boolean =>
  statements.some((s) => s.text.includes('_begin_write"('));

describeEachExecutor("upserts", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const rows = async (table: string) =>
    (await fx.db.query({ text: `SELECT * FROM ${fx.schema}.${table} ORDER BY id`, params: [] })).rows;
  const eventsOf = async (id: string) =>
    (await eventRows(fx.db, `${fx.schema}.events`)).filter((e) => e["record_id"] === id);

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.User, m.Seat],
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
  });

  test("the first call inserts, a later call with the same identity updates that record; each writes a create event", async () => {
    const users = store.resource(m.User);
    const first = await users.register({ email: "ada@x.org", name: "Ada" });
    await users.promote(first.record.id, { role: "admin" });
    const second = await users.register({ email: "ada@x.org", name: "Ada Lovelace" });

    assert.equal(second.record.id, first.record.id, "the existing record, not a new one");
    assert.equal(second.record.name, "Ada Lovelace");
    assert.equal(second.record.role, "member", "the update path writes what the insert would, defaults included");
    assert.deepEqual(second.record.createdAt, first.record.createdAt, "createdAt is kept");
    for (const [result, name] of [[first, "Ada"], [second, "Ada Lovelace"]] as const) {
      assert.equal(result.event?.actionType, "create");
      assert.equal(result.event?.action, "register");
      assert.equal(result.event?.recordId, first.record.id);
      assert.deepEqual(result.event?.data, { email: "ada@x.org", name });
    }
    assert.equal(second.event?.changes["id"], first.record.id, "changes pin the row's key, not the generated one");
    assert.equal(first.event?.occurredAt.getTime(), first.record.createdAt.getTime());
    assert.equal(second.event?.occurredAt.getTime(), second.record.updatedAt.getTime());

    const stored = await eventsOf(first.record.id);
    assert.deepEqual(stored.map((e) => e["action"]), ["register", "promote", "register"]);
    assert.deepEqual(stored[2]!["changes"], second.event?.changes, "the event returned is the event stored");
    assert.equal(
      Date.parse(String((stored[2]!["changes"] as Record<string, unknown>)["createdAt"])),
      first.record.createdAt.getTime(),
      "the update path pins the row's own createdAt",
    );
    const [row] = (await rows("users")).filter((r) => r["email"] === "ada@x.org");
    assert.equal(row?.["name"], "Ada Lovelace");
    assert.equal(row?.["role"], "member");
    assert.equal((await rows("users")).filter((r) => r["email"] === "ada@x.org").length, 1);
  });

  test("an upsert is one statement after the prelude, one request", async () => {
    const recorded = recordingExecutor(fx.db);
    const s = createEventStore({ db: recorded.db, log: m.log, resources: [m.User, m.Seat] });
    await s.resource(m.User).register({ email: "once@x.org", name: "Once" });
    await s.resource(m.User).register({ email: "once@x.org", name: "Twice" });
    assert.equal(recorded.sent.length, 2, "one request per call");
    for (const batch of recorded.sent) {
      assert.equal(batch.length, 2);
      assert.match(batch[1]!.text, /ON CONFLICT \("email"\) WHERE "deleted_at" IS NULL DO UPDATE SET/);
    }
  });

  test("two first calls race: the held-back one updates the record the other inserted; replay equals live", async () => {
    const gated = gatedExecutor(fx.db, isWrite);
    const slow = createEventStore({ db: gated.db, log: m.log, resources: [m.User, m.Seat] });
    const firstCall = slow.resource(m.User).register({ email: "race@x.org", name: "first" });
    await gated.gate.reached; // built as an insert of its own generated id, held back
    const second = await store.resource(m.User).register({ email: "race@x.org", name: "second" });
    gated.gate.release();
    const first = await firstCall;

    assert.equal(first.record.id, second.record.id);
    assert.equal(first.record.name, "first", "the held-back call came last");
    const stored = await eventsOf(second.record.id);
    assert.deepEqual(stored.map((e) => (e["data"] as Record<string, unknown>)["name"]), ["second", "first"]);
    assert.ok(stored.every((e) => e["action_type"] === "create"));
    const live = await rows("users");
    await replay(store);
    assert.deepEqual(await rows("users"), live);
  });

  test("a replay and a fold leave the last call's values", async () => {
    const users = store.resource(m.User);
    const a = await users.register({ email: "fold@x.org", name: "one" });
    await users.register({ email: "fold@x.org", name: "two" });
    await users.changeEmail(a.record.id, { email: "moved@x.org" });
    const b = await users.register({ email: "fold@x.org", name: "three" }); // the identity is free again
    assert.notEqual(b.record.id, a.record.id);
    await users.register({ email: "moved@x.org", name: "four" });
    const live = await rows("users");
    await replay(store);
    assert.deepEqual(await rows("users"), live);
    const [rowA] = live.filter((r) => r["id"] === a.record.id);
    assert.equal(rowA?.["name"], "four");
    const last = (await eventsOf(a.record.id)).at(-1)!;
    const folded = await stateAt(store, m.User, a.record.id, { eventId: String(last["id"]) });
    assert.equal(folded.status, "exists");
    if (folded.status === "exists") {
      assert.equal(folded.record.name, "four");
      assert.deepEqual(folded.record.createdAt, a.record.createdAt);
    }
  });

  test("a soft-destroyed record does not hold its identity: the next call inserts a new record", async () => {
    const users = store.resource(m.User);
    const gone = await users.register({ email: "gone@x.org", name: "old" });
    await users.close(gone.record.id);
    const fresh = await users.register({ email: "gone@x.org", name: "new" });
    assert.notEqual(fresh.record.id, gone.record.id);
    const again = await users.register({ email: "gone@x.org", name: "newer" });
    assert.equal(again.record.id, fresh.record.id);
  });

  test("a repeat of an upsert with its event id returns the first outcome and writes nothing", async () => {
    const users = store.resource(m.User);
    const eventId = newEventId();
    const first = await users.register({ email: "again@x.org", name: "A" }, { eventId });
    const before = await countRows(fx.db, `${fx.schema}.events`);
    const repeat = await users.register({ email: "again@x.org", name: "A" }, { eventId });
    assert.equal(repeat.duplicate, true);
    assert.equal(repeat.event?.id, eventId);
    assert.equal(repeat.record.id, first.record.id);
    assert.equal(await countRows(fx.db, `${fx.schema}.events`), before);
  });

  test("an inline projection of an upsert refuses the call before anything is sent", async () => {
    const inline = defineProjection({
      name: "members",
      inline: true,
      handles: { "user.register": (e) => sql`SELECT ${e.recordId}::text` },
      clear: () => sql`SELECT 1`,
    });
    const s = createEventStore({ db: fx.db, log: m.log, resources: [m.User, m.Seat], projections: [inline] });
    const before = await countRows(fx.db, `${fx.schema}.events`);
    await assert.rejects(
      s.resource(m.User).register({ email: "inline@x.org", name: "In" }),
      (error: unknown) =>
        error instanceof TypeError && /an upsert, whose record is known only in the database/.test(error.message),
    );
    assert.equal(await countRows(fx.db, `${fx.schema}.events`), before);
    assert.equal((await rows("users")).filter((r) => r["email"] === "inline@x.org").length, 0);
  });

  test("a composite identity of a multi-tenant resource conflicts within its tenant only", async () => {
    const seats = store.resource(m.Seat);
    const a = await seats.book({ row: "A", col: "1", holder: "ada" }, { tenant: "acme" });
    const b = await seats.book({ row: "A", col: "1", holder: "bob" }, { tenant: "beta" });
    const c = await seats.book({ row: "A", col: "1", holder: "cy" }, { tenant: "acme" });
    assert.notEqual(a.record.id, b.record.id);
    assert.equal(c.record.id, a.record.id);
    assert.equal(c.record.holder, "cy");
    const live = await rows("seats");
    await replay(store);
    assert.deepEqual(await rows("seats"), live);
  });
});

describe("upsert definitions", () => {
  const attributes = v.object({ id: v.string(), email: v.string(), org: v.string() });
  type Builders = Record<"create", (options?: unknown) => unknown>;
  const refused = (
    actions: (b: Builders) => Record<string, unknown>,
    pattern: RegExp,
    extra: Record<string, unknown> = {},
  ): void => {
    assert.throws(
      () => defineResource({ name: "x", table: "xs", attributes, actions: actions as never, ...extra }),
      (error: unknown) => error instanceof TypeError && pattern.test(error.message),
    );
  };

  test("an identity names plain attributes: never the primary key, which only replay upserts on", () => {
    refused((b) => ({ add: b.create({ upsert: { identity: ["id"] } }) }), /not the primary key/);
    refused((b) => ({ add: b.create({ upsert: { identity: ["org"] } }) }), /not the primary key, the tenant/, {
      tenant: "org",
    });
    refused((b) => ({ add: b.create({ upsert: { identity: ["nope"] } }) }), /identity of upsert of x.add/);
    refused((b) => ({ add: b.create({ upsert: { identity: [] } }) }), /needs identity/);
    refused((b) => ({ add: b.create({ upsert: { on: ["email"] } }) }), /has no option "on"/);
  });

  test("an event-only resource and a resource with encrypted values cannot upsert", () => {
    refused((b) => ({ add: b.create({ upsert: { identity: ["email"] } }) }), /no table/, { table: false });
    refused((b) => ({ add: b.create({ upsert: { identity: ["email"] } }) }), /encrypts values/, {
      sensitive: { org: "encrypt" },
    });
  });

  test("resourceTableSql creates the unique index of each identity", () => {
    const X = defineResource({
      name: "x",
      table: "xs",
      attributes,
      actions: ({ create }) => ({
        add: create({ upsert: { identity: ["email"] } }),
        again: create({ upsert: { identity: ["email"] } }),
      }),
    });
    const texts = resourceTableSql(X).map((s) => s.text);
    assert.deepEqual(texts.slice(1), ['CREATE UNIQUE INDEX IF NOT EXISTS "xs_email_key" ON "xs" ("email")']);
  });
});
