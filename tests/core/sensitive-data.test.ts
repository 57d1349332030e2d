// Sensitive data on every executor: values marked redact or encrypt never reach data, changes,
// metadata or the idempotency table in clear; replay, stateAt and folds decrypt with the store's
// keyring; keys rotate by id; destroying a subject's keys (crypto-shredding) leaves the log whole
// and makes replay and history show the values as erased, without failing; a replay that needs
// a redacted value stops with a typed error naming the event and the attribute.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  adopt,
  createEventStore,
  defineEventLog,
  defineResource,
  ERASED,
  type EventStore,
  isEdgeEventsError,
  isEncrypted,
  isErased,
  isRedacted,
  type MemoryKeyring,
  memoryKeyring,
  recordSubject,
  REDACTED,
  replay,
  revealEvent,
  Sensitive,
  stateAt,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { prefixedTables } from "../support/models.ts";
import { eventRows } from "../support/store-helpers.ts";

const EMAIL = "ada@example.com";
const PASSWORD = "correct horse battery staple";

// A stand-in for a password hash: the point is that it is derived, and kept (encrypted).
/** A point past every event: the record as it stands. */
const NOW = { position: 9_000_000_000_000n };

const hashOf = (password: string): string => `hash:${[...password].reverse().join("")}`;

function model(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events"), sensitiveMetadata: { ip: "encrypt", token: "redact" } });
  const User = defineResource({
    name: "user",
    table: t("users"),
    attributes: v.object({
      id: v.string(),
      name: v.string(),
      email: v.string(),
      passwordHash: v.string(),
      ssn: v.optional(v.nullable(v.string())),
    }),
    sensitive: { password: "redact", passwordHash: "encrypt", email: "encrypt", ssn: "redact" },
    actions: ({ create, update }) => ({
      register: create({
        input: v.object({ name: v.string(), email: v.pipe(v.string(), v.email()), password: v.string() }),
        change: ({ password }) => ({ passwordHash: hashOf(password) }),
      }),
      changeEmail: update({ input: v.object({ email: v.pipe(v.string(), v.email()) }) }),
      setPassword: update({
        input: v.object({ password: v.string() }),
        change: (_record, { password }) => ({ passwordHash: hashOf(password) }),
      }),
      rename: update({ input: v.object({ name: v.string() }) }),
      // A redacted input that is the attribute itself: nothing in the log can rebuild it.
      setSsn: update({ input: v.object({ ssn: v.string() }) }),
      touch: update({ input: v.object({ name: v.string() }), ignored: true }),
    }),
  });
  return { log, User, t };
}

/** Every value of every JSON column of the event and idempotency tables, as text. */
async function storedText(db: Executor, t: (name: string) => string): Promise<string> {
  const events = await eventRows(db, t("events"));
  const ignored = (await db.query({ text: `SELECT * FROM ${t("events_idempotency")}`, params: [] })).rows;
  return JSON.stringify([...events, ...ignored], (_key, value) => typeof value === "bigint" ? String(value) : value);
}

describeEachExecutor("sensitive data", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let keyring: MemoryKeyring;
  let store: EventStore;

  before(async () => {
    m = model(fx.schema, "sens");
    keyring = memoryKeyring();
    store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.User],
      keyring,
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
  });

  async function register(name: string, email = EMAIL) {
    return await store.resource(m.User).register({ name, email, password: PASSWORD }, {
      metadata: { ip: "203.0.113.7", token: "secret-token", source: "test" },
    });
  }

  test("marked values are stored redacted or encrypted, never in clear, and the event shows only that", async () => {
    const { record, event } = await register("Ada");
    assert.equal(record.email, EMAIL);
    assert.equal(record.passwordHash, hashOf(PASSWORD));
    await store.resource(m.User).touch(record.id, { name: "Ada" }, { metadata: { ip: "203.0.113.7" } });
    const text = await storedText(fx.db, m.t);
    for (const secret of [EMAIL, PASSWORD, hashOf(PASSWORD), "203.0.113.7", "secret-token"]) {
      assert.ok(!text.includes(secret), "a sensitive value is stored in clear");
    }
    const [row] = await eventRows(fx.db, m.t("events"));
    const data = row!["data"] as Record<string, unknown>;
    const changes = row!["changes"] as Record<string, unknown>;
    const metadata = row!["metadata"] as Record<string, unknown>;
    assert.deepEqual(data["password"], REDACTED);
    assert.ok(isEncrypted(data["email"]));
    assert.ok(isEncrypted(changes["passwordHash"]));
    assert.ok(isEncrypted(metadata["ip"]));
    assert.deepEqual(metadata["token"], REDACTED);
    assert.equal(metadata["source"], "test");
    assert.equal(data["name"], "Ada");
    // The event the call returns is the stored one.
    assert.deepEqual(event!.data, data);
    assert.deepEqual(event!.metadata, metadata);
    // The key id names no subject.
    assert.ok(!(data["email"] as { kid: string }).kid.includes(record.id));
  });

  test("revealEvent decrypts into Sensitive values; stateAt and replay rebuild the clear values", async () => {
    const { record, event } = await register("Grace", "grace@example.com");
    const revealed = await revealEvent(store, event!);
    assert.ok(revealed.data["email"] instanceof Sensitive);
    assert.equal((revealed.data["email"] as Sensitive<string>).reveal(), "grace@example.com");
    assert.equal((revealed.metadata["ip"] as Sensitive<string>).reveal(), "203.0.113.7");
    assert.ok(isRedacted(revealed.data["password"]));
    const state = await stateAt(store, m.User, record.id, NOW);
    assert.equal(state.status, "exists");
    assert.equal(state.status === "exists" && state.record.email, "grace@example.com");
    assert.equal(state.status === "exists" && state.record.passwordHash, hashOf(PASSWORD));
    const before = await fx.db.query({ text: `SELECT * FROM ${m.t("users")} ORDER BY id`, params: [] });
    await replay(store);
    const after = await fx.db.query({ text: `SELECT * FROM ${m.t("users")} ORDER BY id`, params: [] });
    assert.deepEqual(after.rows, before.rows);
  });

  test("a resent call is recognized as a duplicate although its stored data is encrypted", async () => {
    const ctx = { eventId: "01J0000000000000000000SENS" };
    const first = await store.resource(m.User).register({ name: "Dup", email: "dup@example.com", password: "p" }, ctx);
    const again = await store.resource(m.User).register({ name: "Dup", email: "dup@example.com", password: "p" }, ctx);
    assert.equal(again.duplicate, true);
    assert.equal(again.record.id, first.record.id);
    const other = store.resource(m.User).register({ name: "Dup", email: "other@example.com", password: "p" }, ctx);
    await assert.rejects(other, (error) => isEdgeEventsError(error, "VALIDATION_FAILED"));
  });

  test("keys rotate by id: old events decrypt with their key, new ones use the current key", async () => {
    const { record, event: first } = await register("Rotating", "r1@example.com");
    const subject = recordSubject("user", record.id);
    const oldKid = (first!.data["email"] as { kid: string }).kid;
    const newKid = await keyring.rotate(subject);
    assert.notEqual(newKid, oldKid);
    const { event: second } = await store.resource(m.User).changeEmail(record.id, { email: "r2@example.com" });
    assert.equal((second!.data["email"] as { kid: string }).kid, newKid);
    assert.deepEqual(keyring.keyIds(subject), [oldKid, newKid]);
    const then = await stateAt(store, m.User, record.id, { position: first!.position });
    assert.equal(then.status === "exists" && then.record.email, "r1@example.com");
    const now = await stateAt(store, m.User, record.id, NOW);
    assert.equal(now.status === "exists" && now.record.email, "r2@example.com");
  });

  test("destroying a subject's keys erases its values: the log stays whole, replay and stateAt show erased", async () => {
    const { record: gone } = await register("Erased", "erase-me@example.com");
    await store.resource(m.User).setPassword(gone.id, { password: "another one" });
    await store.resource(m.User).rename(gone.id, { name: "Still Erased" });
    const { record: kept } = await register("Kept", "kept@example.com");
    const before = await eventRows(fx.db, m.t("events"));
    assert.equal(keyring.destroy(recordSubject("user", gone.id)), 1);
    // Nothing in the log changed: same rows, same positions.
    assert.deepEqual(await eventRows(fx.db, m.t("events")), before);
    const state = await stateAt(store, m.User, gone.id, NOW);
    assert.equal(state.status, "exists");
    if (state.status === "exists") {
      assert.equal(state.record.name, "Still Erased");
      assert.ok(isErased(state.record.email));
      assert.ok(isErased(state.record.passwordHash));
    }
    const keptState = await stateAt(store, m.User, kept.id, NOW);
    assert.equal(keptState.status === "exists" && keptState.record.email, "kept@example.com");
    const [created] = await store.readEvents({ resource: "user", recordId: gone.id, limit: 1 });
    assert.deepEqual((await revealEvent(store, created!)).data["email"], ERASED);
    await replay(store);
    const rows = await fx.db.query({ text: `SELECT * FROM ${m.t("users")} WHERE id = $1`, params: [gone.id] });
    assert.deepEqual(rows.rows[0], {
      id: gone.id,
      name: "Still Erased",
      email: null,
      password_hash: null,
      ssn: null,
    });
    const keptRow = await fx.db.query({ text: `SELECT email FROM ${m.t("users")} WHERE id = $1`, params: [kept.id] });
    assert.equal(keptRow.rows[0]!["email"], "kept@example.com");
  });

  test("a replay that needs a redacted value stops on its event, naming it and the attribute", async () => {
    const { record } = await register("Redacted");
    const { event } = await store.resource(m.User).setSsn(record.id, { ssn: "078-05-1120" });
    assert.ok(!(await storedText(fx.db, m.t)).includes("078-05-1120"));
    const state = await stateAt(store, m.User, record.id, NOW);
    assert.ok(state.status === "exists" && isRedacted(state.record.ssn));
    const error = await replay(store).then(() => undefined, (e: unknown) => e);
    assert.ok(isEdgeEventsError(error, "REPLAY_FAILED"));
    assert.equal(error.eventId, event!.id);
    assert.equal(error.position, event!.position);
    const cause = error.cause;
    assert.ok(isEdgeEventsError(cause, "VALUE_REDACTED"));
    assert.equal(cause.attribute, "ssn");
    assert.equal(cause.eventId, event!.id);
    assert.ok(!error.message.includes("078-05-1120"));
  });
});

describeEachExecutor("sensitive data: tampering and adoption", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;

  before(async () => {
    m = model(fx.schema, "tamper");
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.User], keyring: memoryKeyring() });
    await store.migrate({ resourceTables: true });
  });

  test("a ciphertext moved to another event does not decrypt: DECRYPTION_FAILED names the event and field", async () => {
    const users = store.resource(m.User);
    const { event: a } = await users.register({ name: "A", email: "a@example.com", password: "x" });
    const { event: b } = await users.register({ name: "B", email: "b@example.com", password: "x" });
    const moved = { ...b!, data: { ...b!.data, email: a!.data["email"]! } };
    const error = await revealEvent(store, moved).then(() => undefined, (e: unknown) => e);
    assert.ok(isEdgeEventsError(error, "DECRYPTION_FAILED"));
    assert.equal(error.eventId, b!.id);
    assert.equal(error.field, "data.email");
    assert.ok(!JSON.stringify({ ...error, text: error.message }).includes("a@example.com"));
  });

  test("adopted rows store their sensitive attributes encrypted, and replay back", async () => {
    await fx.db.query({
      text: `INSERT INTO ${m.t("users")} (id, name, email, password_hash) VALUES ('legacy1', 'Old', $1, $2)`,
      params: ["legacy@example.com", "hash:legacy"],
    });
    const { adopted } = await adopt(store, m.User);
    assert.equal(adopted, 1);
    const text = JSON.stringify(await eventRows(fx.db, m.t("events")), (_k, v) => typeof v === "bigint" ? `${v}` : v);
    assert.ok(!text.includes("legacy@example.com") && !text.includes("hash:legacy"));
    const state = await stateAt(store, m.User, "legacy1", NOW);
    assert.equal(state.status === "exists" && state.record.email, "legacy@example.com");
  });
});
