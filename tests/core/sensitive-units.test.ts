// The parts of sensitive data that need no database: the envelope (Web Crypto only, bound to
// its event and field), the memory keyring (rotation, destruction), the markers, the Sensitive
// wrapper under every way of printing it, the definition checks, and the store's refusal to
// encrypt without a keyring.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import * as v from "valibot";
import {
  createEventStore,
  DecryptionError,
  defineEventLog,
  defineResource,
  ERASED,
  isEncrypted,
  isErased,
  isRedacted,
  memoryKeyring,
  recordSubject,
  REDACTED,
  ref,
  Sensitive,
  sql,
} from "../../mod.ts";
import { prepareCall } from "../../src/core/prepare-call.ts";
import { buildWrite } from "../../src/core/write-plan.ts";
import type { Executor } from "../../src/core/executor.ts";
import { fromBase64Url, openValue, sealValue, toBase64Url } from "../../src/core/envelope.ts";
import { protect, reveal } from "../../src/core/sensitive-values.ts";

const unusedDb: Executor = {
  kind: "none",
  query: () => Promise.reject(new Error("no database in this test")),
  batch: () => Promise.reject(new Error("no database in this test")),
};

describe("the envelope", () => {
  test("seals a JSON value with AES-GCM and opens only at the same event and field", async () => {
    const keyring = memoryKeyring();
    const key = await keyring.currentKey("user/1");
    const where = { eventId: "01J00000000000000000000001", field: "data.email" };
    const sealed = await sealValue(key, { nested: ["ada@example.com", 1] }, where);
    assert.ok(isEncrypted(sealed));
    assert.equal(sealed.kid, key.kid);
    assert.equal(fromBase64Url(sealed.iv)?.length, 12);
    assert.ok(!JSON.stringify(sealed).includes("ada@example.com"));
    assert.deepEqual(await openValue(key.key, sealed, where), { nested: ["ada@example.com", 1] });
    await assert.rejects(openValue(key.key, sealed, { ...where, field: "data.name" }));
    await assert.rejects(openValue(key.key, sealed, { ...where, eventId: "01J00000000000000000000002" }));
    const other = await memoryKeyring().currentKey("user/1");
    await assert.rejects(openValue(other.key, sealed, where));
  });

  test("two seals of one value differ (a fresh nonce each)", async () => {
    const key = await memoryKeyring().currentKey("s");
    const where = { eventId: "e", field: "data.x" };
    const [a, b] = [await sealValue(key, "same", where), await sealValue(key, "same", where)];
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.ct, b.ct);
  });

  test("base64url round-trips every byte and refuses other alphabets", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(fromBase64Url(toBase64Url(bytes)), bytes);
    assert.equal(fromBase64Url("ab+/"), undefined);
    assert.equal(fromBase64Url("a"), undefined);
  });
});

describe("the memory keyring", () => {
  test("one current key per subject, rotation keeps old keys, destruction removes every key of the subject", async () => {
    const keyring = memoryKeyring();
    const [a, b] = await Promise.all([keyring.currentKey("user/1"), keyring.currentKey("user/1")]);
    assert.equal(a.kid, b.kid);
    const other = await keyring.currentKey("user/2");
    assert.notEqual(other.kid, a.kid);
    const rotated = await keyring.rotate("user/1");
    assert.equal((await keyring.currentKey("user/1")).kid, rotated);
    assert.ok(keyring.keyFor(a.kid) !== null);
    assert.equal(keyring.destroy("user/1"), 2);
    assert.equal(keyring.keyFor(a.kid), null);
    assert.equal(keyring.keyFor(rotated), null);
    assert.ok(keyring.keyFor(other.kid) !== null);
    assert.deepEqual(keyring.keyIds("user/1"), []);
  });

  test("protect and reveal: redacted stays a marker, a destroyed key reads as erased, unmarked keys are untouched", async () => {
    const keyring = memoryKeyring();
    const marks = { email: "encrypt", password: "redact" } as const;
    const target = { eventId: "ev1", key: () => Promise.resolve(keyring.currentKey("s")) };
    const stored = await protect({ email: "a@b.c", password: "p", name: "Ada" }, "data", marks, target);
    assert.deepEqual(stored["password"], REDACTED);
    assert.equal(stored["name"], "Ada");
    assert.deepEqual(await reveal(stored, "data", marks, keyring, "ev1"), {
      email: "a@b.c",
      password: REDACTED,
      name: "Ada",
    });
    // An envelope-shaped value at an unmarked key is data, not an envelope.
    assert.deepEqual(await reveal({ other: stored["email"]! }, "data", marks, keyring, "ev1"), {
      other: stored["email"],
    });
    await assert.rejects(reveal(stored, "data", marks, keyring, "ev2"), (error) => error instanceof DecryptionError);
    keyring.destroy("s");
    assert.deepEqual((await reveal(stored, "data", marks, keyring, "ev1"))["email"], ERASED);
    await assert.rejects(reveal(stored, "data", marks, undefined, "ev1"), TypeError);
  });

  test("markers are exact shapes", () => {
    assert.ok(isRedacted({ $redacted: true }) && !isRedacted({ $redacted: true, x: 1 }) && !isRedacted("x"));
    assert.ok(isErased({ $erased: true }) && !isErased({ $erased: "yes" }));
    assert.ok(!isEncrypted({ $enc: "v1", kid: "k", iv: "i" }));
    assert.equal(recordSubject("a/b", "1 2", "t"), "a%2Fb/1%202/t");
  });
});

describe("Sensitive", () => {
  const secret = new Sensitive("ada@example.com");
  const event = { data: { email: secret, name: "Ada" } };

  test("never prints its value: inspect, JSON, string conversion, errors", () => {
    for (
      const shown of [
        inspect(secret),
        inspect(event, { depth: 10, showHidden: true }),
        JSON.stringify(event),
        String(secret),
        `${secret}`,
        JSON.stringify({ error: new Error("failed", { cause: event }), event }),
        inspect(new Error("failed", { cause: event })),
      ]
    ) assert.ok(!shown.includes("ada@example.com"), shown);
    assert.match(inspect(event), /\[sensitive\]/);
    assert.equal(JSON.stringify(event), '{"data":{"email":"[sensitive]","name":"Ada"}}');
    assert.equal(secret.reveal(), "ada@example.com");
  });

  test("Deno's inspect sees [sensitive] too", () => {
    const deno = (globalThis as { Deno?: { inspect(value: unknown, options?: object): string } }).Deno;
    const custom = (secret as unknown as Record<symbol, () => string>)[Symbol.for("Deno.customInspect")];
    assert.equal(custom?.(), "[sensitive]");
    if (deno !== undefined) assert.ok(!deno.inspect(event, { depth: 10 }).includes("ada@example.com"));
  });
});

describe("definitions", () => {
  const attributes = v.object({ id: v.string(), email: v.string(), orgId: v.string(), createdAt: v.date() });
  const actions = ({ create }: { create: (o: object) => never }) => ({
    add: create({ input: v.object({ email: v.string(), password: v.string() }) }),
  });

  test("sensitive keys must name an attribute or an input, and not a column of the log", () => {
    const define = (sensitive: Record<string, string>, extra: object = {}) =>
      defineResource({
        name: "u",
        table: "u",
        attributes,
        tenant: "orgId",
        timestamps: { createdAt: "createdAt" },
        actions: actions as never,
        sensitive: sensitive as never,
        ...extra,
      });
    assert.deepEqual(define({ email: "encrypt", password: "redact" }).sensitive, {
      email: "encrypt",
      password: "redact",
    });
    assert.throws(() => define({ nope: "redact" }), /neither an attribute nor an input/);
    assert.throws(() => define({ email: "hide" }), /must be "redact" or "encrypt"/);
    for (const key of ["id", "orgId", "createdAt"]) {
      assert.throws(() => define({ [key]: "encrypt" }), /stored in a column of the event log/);
    }
    assert.throws(() => define({ email: "encrypt" }, { savepointEvery: 10 }), /savepoints would store it in clear/);
    assert.throws(() => define({ email: "encrypt" }, { encryptionSubject: "user" }), /must be a function/);
    assert.throws(() => defineEventLog({ sensitiveMetadata: { ip: "scramble" as never } }), /"redact" or "encrypt"/);
  });

  test("a store that would encrypt needs a keyring", () => {
    const User = defineResource({
      name: "u",
      table: "u",
      attributes: v.object({ id: v.string(), email: v.string() }),
      sensitive: { email: "encrypt" },
      actions: ({ create }) => ({ add: create({ input: v.object({ email: v.string() }) }) }),
    });
    assert.throws(
      () => createEventStore({ db: unusedDb, log: defineEventLog(), resources: [User] }),
      /needs a keyring/,
    );
    const log = defineEventLog({ sensitiveMetadata: { ip: "encrypt" } });
    assert.throws(() => createEventStore({ db: unusedDb, log, resources: [] }), /needs a keyring/);
    assert.throws(
      () => createEventStore({ db: unusedDb, log, resources: [], keyring: {} as never }),
      /currentKey\(subject\) and keyFor\(kid\)/,
    );
    const store = createEventStore({ db: unusedDb, log, resources: [User], keyring: memoryKeyring() });
    // Printing the store shows no key material.
    assert.ok(!inspect(store, { depth: 5 }).includes("CryptoKey {"));
  });
});

describe("own keys only", () => {
  test("a __proto__ key is data: no mark is read from Object.prototype, and a marked __proto__ is protected", async () => {
    const keyring = memoryKeyring();
    const target = { eventId: "ev", key: () => Promise.resolve(keyring.currentKey("s")) };
    const value = JSON.parse('{"__proto__": {"x": 1}, "name": "n"}');
    const untouched = await protect(value, "metadata", {}, target);
    assert.equal(untouched, value);
    const marks = defineEventLog({ sensitiveMetadata: JSON.parse('{"__proto__": "redact"}') }).sensitiveMetadata;
    const redacted = await protect(value, "metadata", marks, target);
    assert.ok(Object.hasOwn(redacted, "__proto__"));
    assert.ok(isRedacted(redacted["__proto__"]));
    assert.equal(Object.getPrototypeOf(redacted), Object.prototype);
  });
});

describe("what cannot be protected", () => {
  test("a sensitive attribute set with an sql expression is refused before anything is sent", async () => {
    const Account = defineResource({
      name: "account",
      table: "accounts",
      attributes: v.object({ id: v.string(), balance: v.number() }),
      sensitive: { balance: "encrypt" },
      actions: ({ update }) => ({
        deposit: update({
          input: v.object({ amount: v.number() }),
          set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
        }),
      }),
    });
    const log = defineEventLog();
    const call = await prepareCall(log, {
      resource: Account,
      actionName: "deposit",
      id: "a1",
      input: { amount: 5 },
      ctx: {},
      now: new Date(),
    });
    await assert.rejects(buildWrite(log, call, undefined, { keyring: memoryKeyring() }), /balance is sensitive/);
  });
});
