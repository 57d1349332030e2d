// Values must round-trip exactly or be refused before anything is sent: text with NUL or
// lone surrogates, non-finite numbers, deep nesting, oversized events and non-JSON values
// are refused as VALIDATION_FAILED naming the field; own `__proto__` keys are plain data;
// UUID tenants and uuid record ids name one tenant and one record in any letter case.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  replay,
  type ValidationError,
} from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { UNSTORABLE_TEXT } from "../support/hostile-values.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";

const ORG_LOWER = "5b0c2e4a-8f1d-4c3b-9a7e-2d6f1e0c9b8a";
const ORG_UPPER = ORG_LOWER.toUpperCase();
const ORG_OTHER = "0d9a7c1e-3b5f-4e2d-8c6a-1f0e9d8c7b6a";
const USER_LOWER = "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21";

/** An executor that counts what it is asked to send: everything, and read-only batches. */
function counting(db: Executor): { db: Executor; sent: () => number; reads: () => number } {
  let sent = 0;
  let reads = 0;
  return {
    sent: () => sent,
    reads: () => reads,
    db: {
      kind: db.kind,
      query: (statement) => {
        sent++;
        return db.query(statement);
      },
      batch: (statements, options) => {
        sent++;
        if (options?.readOnly === true) reads++;
        return db.batch(statements, options);
      },
    } as Executor,
  };
}

function model(schema: string) {
  const log = defineEventLog({
    table: `${schema}.events`,
    actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
    lock: { scope: "tenant" },
  });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    tenant: "orgId",
    attributes: v.object({
      id: v.string(),
      orgId: v.pipe(v.string(), v.uuid()),
      title: v.string(),
      body: v.optional(v.unknown()),
    }),
    columnTypes: { body: "jsonb" },
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ title: v.string(), body: v.optional(v.unknown()) }) }),
      retitle: update({ input: v.object({ title: v.string() }) }),
      // Values computed by the action, not given: the character comes from a number.
      writeDefault: create({
        input: v.object({ code: v.number() }),
        defaults: (input) => ({ title: `d${String.fromCharCode(input.code)}` }),
      }),
      writeChange: create({
        input: v.object({ code: v.number() }),
        change: (input) => ({ title: "c", body: { k: `c${String.fromCharCode(input.code)}` } }),
      }),
      writeBefore: create({
        input: v.object({ code: v.number() }),
        before: (attributes, { input }) => ({ ...attributes, title: `b${String.fromCharCode(input.code)}` }),
      }),
      append: update({
        input: v.object({ code: v.number() }),
        change: (record, input) => ({ title: record.title + String.fromCharCode(input.code) }),
      }),
    }),
  });
  const Doc = defineResource({
    name: "doc",
    table: `${schema}.docs`,
    primaryKey: { attribute: "id", generate: "uuidv7" },
    attributes: v.object({ id: v.pipe(v.string(), v.uuid()), title: v.string() }),
    actions: ({ create, update }) => ({
      add: create({ input: v.object({ title: v.string() }) }),
      retitle: update({ input: v.object({ title: v.string() }) }),
    }),
  });
  return { log, Note, Doc };
}

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describeEachExecutor("hostile values", {}, (fx) => {
  let store: EventStore;
  let sent: () => number;
  let reads: () => number;
  let m: ReturnType<typeof model>;
  let noteId: string;
  let docId: string;

  before(async () => {
    m = model(fx.schema);
    const counted = counting(fx.db);
    sent = counted.sent;
    reads = counted.reads;
    store = createEventStore({
      db: counted.db,
      log: m.log,
      resources: [m.Note, m.Doc],
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
    noteId = String((await store.resource(m.Note).write({ title: "base" }, { tenant: ORG_OTHER })).record["id"]);
    docId = String((await store.resource(m.Doc).add({ title: "base" })).record["id"]);
  });

  /**
   * Each call must fail with VALIDATION_FAILED naming `path`, and send nothing (but the read
   * of the current record, for a change-function update: its values need the record).
   */
  async function refused(
    call: () => Promise<unknown>,
    path: string | undefined,
    what: string,
    readsFirst = false,
  ): Promise<void> {
    const events = await countRows(fx.db, `${fx.schema}.events`);
    const count = (): number => sent() - (readsFirst ? reads() : 0);
    const before = count();
    const error = await rejectsWith<ValidationError>(call(), "VALIDATION_FAILED").catch((e: unknown) => {
      throw new Error(`${what}: ${String(e)}`);
    });
    assert.equal(error.issues[0]?.path, path, `${what}: the issue names the field`);
    assert.equal(count(), before, `${what}: nothing was sent`);
    assert.equal(await countRows(fx.db, `${fx.schema}.events`), events, `${what}: nothing was written`);
  }

  /** Calls carrying `bad` text in every place a value is written, with the path each must name. */
  function placesOf(bad: string): [string, () => Promise<unknown>, string | undefined, boolean?][] {
    const notes = store.resource(m.Note);
    const ok = { tenant: ORG_LOWER };
    const code = bad.charCodeAt(bad.length - 1);
    return [
      ["input text", () => notes.write({ title: `x${bad}` }, ok), "title"],
      ["nested input", () => notes.write({ title: "x", body: { list: ["fine", `y${bad}`] } }, ok), "body.list.1"],
      ["an input key", () => notes.write({ title: "x", body: { inner: { [`k${bad}`]: 1 } } }, ok), "body.inner"],
      ["metadata", () => notes.write({ title: "x" }, { ...ok, metadata: { note: `m${bad}` } }), "metadata.note"],
      ["a metadata key", () => notes.write({ title: "x" }, { ...ok, metadata: { [`k${bad}`]: 1 } }), "metadata"],
      ["a text actor id", () => notes.write({ title: "x" }, { ...ok, actor: { system: `s${bad}` } }), "actor.system"],
      ["the tenant", () => notes.write({ title: "x" }, { tenant: `t${bad}` }), "tenant"],
      ["the correlation id", () => notes.write({ title: "x" }, { ...ok, correlationId: `c${bad}` }), "correlationId"],
      ["the causation id", () => notes.write({ title: "x" }, { ...ok, causationId: `c${bad}` }), "causationId"],
      ["the record id", () => notes.retitle(`${noteId}${bad}`, { title: "x" }, { tenant: ORG_OTHER }), "id"],
      ["a default", () => notes.writeDefault({ code }, ok), "title"],
      ["a create change", () => notes.writeChange({ code }, ok), "body.k"],
      ["a before hook", () => notes.writeBefore({ code }, ok), "title"],
      ["an update change", () => notes.append(noteId, { code }, { tenant: ORG_OTHER }), "title", true],
    ];
  }

  test("text containing NUL is refused before sending, naming the field, wherever it would be written", async () => {
    for (const [what, call, path, readsFirst] of placesOf("\u0000")) await refused(call, path, what, readsFirst);
  });

  test("text that is not well-formed Unicode (a lone surrogate) is refused before sending, naming the field", async () => {
    for (const bad of UNSTORABLE_TEXT.filter((t) => !t.includes("\u0000"))) {
      for (const [what, call, path, readsFirst] of placesOf(bad)) {
        await refused(call, path, `${what} with U+${bad.charCodeAt(0).toString(16)}`, readsFirst);
      }
    }
    // A lone low surrogate before a high one is not a pair either.
    await refused(
      () => store.resource(m.Note).write({ title: "\uDC00\uD800" }, { tenant: ORG_LOWER }),
      "title",
      "reversed pair",
    );
  });

  test("well-formed text with astral characters round-trips exactly", async () => {
    const title = "🌍 ß 中文 \u2028 e\u0301";
    const { record, event } = await store.resource(m.Note).write({ title, body: { "🔑": title } }, {
      tenant: ORG_LOWER,
      actor: { system: "🤖" },
      metadata: { "m🌍": title },
      correlationId: "corr-🌍",
    });
    assert.equal(record["title"], title);
    const [read] = await store.withContext({ tenant: ORG_LOWER }).readEvents({
      resource: "note",
      recordId: String(record["id"]),
    });
    assert.deepEqual(read?.data, { title, body: { "🔑": title } });
    assert.deepEqual(read?.metadata, { "m🌍": title });
    assert.equal(read?.actor?.id, "🤖");
    assert.equal(read?.correlationId, "corr-🌍");
    assert.deepEqual(read, event);
  });

  test("NaN and infinities inside JSON input and metadata are refused as VALIDATION_FAILED naming the path", async () => {
    const notes = store.resource(m.Note);
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      await refused(
        () => notes.write({ title: "x", body: { deep: [1, { n }] } }, { tenant: ORG_LOWER }),
        "body.deep.1.n",
        `input ${n}`,
      );
      await refused(
        () => notes.write({ title: "x" }, { tenant: ORG_LOWER, metadata: { n } }),
        "metadata.n",
        `metadata ${n}`,
      );
    }
  });

  test("nesting deeper than 64 levels is refused as VALIDATION_FAILED naming the path, 64 levels round-trip", async () => {
    const notes = store.resource(m.Note);
    // The input object is level 1 and body level 2, so the 65th level is body + 63 keys "a".
    const tooDeep = `body${".a".repeat(63)}`;
    await refused(() => notes.write({ title: "x", body: nested(5000) }, { tenant: ORG_LOWER }), tooDeep, "5000 levels");
    await refused(() => notes.write({ title: "x", body: nested(64) }, { tenant: ORG_LOWER }), tooDeep, "65 levels");
    await refused(
      () => notes.write({ title: "x" }, { tenant: ORG_LOWER, metadata: { deep: nested(5000) } }),
      `metadata.deep${".a".repeat(63)}`,
      "5000 levels of metadata",
    );
    const { record, event } = await notes.write({ title: "deep", body: nested(63) }, { tenant: ORG_LOWER });
    assert.deepEqual(record["body"], nested(63));
    assert.deepEqual(event?.data, { title: "deep", body: nested(63) });
    const [read] = await store.withContext({ tenant: ORG_LOWER }).readEvents({
      resource: "note",
      recordId: String(record["id"]),
    });
    assert.deepEqual(read?.data, event?.data);
  });

  test("an event whose data, changes and metadata exceed 1 MiB (UTF-8) is refused before sending", async () => {
    const notes = store.resource(m.Note);
    await refused(
      () =>
        notes.write({ title: "x" }, {
          tenant: ORG_LOWER,
          metadata: { big: "é".repeat(300_000) + "x".repeat(500_000) },
        }),
      "metadata",
      "1.1 MiB of metadata",
    );
    await refused(
      () => notes.write({ title: "x", body: { big: "x".repeat(1_100_000) } }, { tenant: ORG_LOWER }),
      "input",
      "1.1 MiB of input",
    );
  });

  test("values JSON cannot hold exactly are refused naming the path; bigints and Dates convert as documented", async () => {
    const notes = store.resource(m.Note);
    class Point {
      constructor(readonly x: number) {}
    }
    const cases: [string, unknown][] = [
      ["a function", () => 1],
      ["a symbol", Symbol("s")],
      ["a Map", new Map([["a", 1]])],
      ["a Set", new Set([1])],
      ["a class instance", new Point(1)],
      ["an invalid Date", new Date(Number.NaN)],
      ["undefined in an array", [1, undefined]],
      ["a RegExp", /x/],
    ];
    for (const [what, value] of cases) {
      await refused(
        () => notes.write({ title: "x", body: { v: value } }, { tenant: ORG_LOWER }),
        what === "undefined in an array" ? "body.v.1" : "body.v",
        `input ${what}`,
      );
      await refused(
        () => notes.write({ title: "x" }, { tenant: ORG_LOWER, metadata: { v: value } }),
        what === "undefined in an array" ? "metadata.v.1" : "metadata.v",
        `metadata ${what}`,
      );
    }
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    await refused(() => notes.write({ title: "x", body: cyclic }, { tenant: ORG_LOWER }), "body.self", "a cycle");
    const { event } = await notes.write({ title: "conv", body: { n: 10n, at: new Date(0), gone: undefined } }, {
      tenant: ORG_LOWER,
      metadata: { n: 2n ** 70n },
    });
    assert.deepEqual(event?.data, { title: "conv", body: { n: "10", at: "1970-01-01T00:00:00.000Z" } });
    assert.deepEqual(event?.metadata, { n: "1180591620717411303424" });
  });

  test("own __proto__ keys in input and metadata are stored and returned as plain data, never as a prototype", async () => {
    const hostile = () => JSON.parse('{"__proto__":{"isAdmin":true},"x":1}') as Record<string, unknown>;
    const { record, event } = await store.resource(m.Note).write({ title: "proto", body: hostile() }, {
      tenant: ORG_LOWER,
      metadata: hostile(),
    });
    const expected = JSON.parse('{"__proto__":{"isAdmin":true},"x":1}') as unknown;
    for (
      const [what, value] of [["metadata", event!.metadata], ["data.body", event!.data["body"]], [
        "record.body",
        record["body"],
      ]] as const
    ) {
      const object = value as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(object), Object.prototype, `${what} keeps the plain prototype`);
      assert.equal(object["isAdmin"], undefined, `${what} inherits nothing`);
      assert.ok(Object.hasOwn(object, "__proto__"), `${what} keeps the key as data`);
      assert.deepEqual(object, expected, what);
    }
    const [read] = await store.withContext({ tenant: ORG_LOWER }).readEvents({
      resource: "note",
      recordId: String(record["id"]),
    });
    assert.ok(Object.hasOwn(read!.metadata, "__proto__"), "the stored metadata has the key");
    assert.equal((read!.metadata as Record<string, unknown>)["isAdmin"], undefined);
    assert.deepEqual(read!.metadata, expected);
    assert.deepEqual(read!.data["body"], expected);
  });

  test("a UUID tenant spelled in upper and lower case is one tenant for rows, events and replay", async () => {
    const notes = store.resource(m.Note);
    const { record, event } = await notes.write({ title: "upper" }, { tenant: ORG_UPPER });
    const id = String(record["id"]);
    assert.equal(event?.tenant, ORG_LOWER);
    assert.equal(record["orgId"], ORG_LOWER);
    const second = await notes.retitle(id, { title: "lower" }, { tenant: ORG_LOWER });
    assert.equal(second.event?.tenant, ORG_LOWER);
    const events = await store.withContext({ tenant: ORG_LOWER }).readEvents({ resource: "note", recordId: id });
    assert.deepEqual(events.map((e) => e.tenant), [ORG_LOWER, ORG_LOWER]);
    // A store scoped by the other spelling reads the same tenant's events.
    assert.deepEqual(
      await store.withContext({ tenant: ORG_UPPER }).readEvents({ resource: "note", recordId: id }),
      events,
    );
    for (const tenant of [ORG_LOWER, ORG_UPPER]) {
      await replay(store, { tenant });
      const rows = await fx.db.query({ text: `SELECT title FROM ${fx.schema}.notes WHERE id = $1`, params: [id] });
      assert.deepEqual(
        rows.rows.map((r) => r["title"]),
        ["lower"],
        `a replay of ${tenant === ORG_LOWER ? "lower" : "upper"} case keeps the row`,
      );
    }
  });

  test("a uuid primary key spelled in upper case names the same record in events and reads", async () => {
    const upper = docId.toUpperCase();
    const { event } = await store.resource(m.Doc).retitle(upper, { title: "renamed" });
    assert.equal(event?.recordId, docId);
    const lower = await store.readEvents({ resource: "doc", recordId: docId });
    const upperRead = await store.readEvents({ resource: "doc", recordId: upper });
    assert.equal(lower.length, 2);
    assert.deepEqual(upperRead, lower);
  });

  test("a uuid actor id is stored in lower case whatever its spelling", async () => {
    const { event } = await store.resource(m.Note).write({ title: "who" }, {
      tenant: ORG_LOWER,
      actor: { user: USER_LOWER.toUpperCase() },
    });
    assert.equal(event?.actor?.id, USER_LOWER);
  });
});
