// Property tests over the write path with hostile values (NUL, lone surrogates, SQL-looking
// text, __proto__ keys, NaN, -0, bigints, Dates, Maps, Sets, boxed values, typed and sparse
// arrays, deep nesting): every call is either refused with VALIDATION_FAILED before anything is
// sent, or its values come back exactly as an independent model of the documented
// conversions says. First over prepareCall/buildWrite alone, then through each executor.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, isEdgeEventsError } from "../../mod.ts";
import { prepareCall } from "../../src/core/prepare-call.ts";
import { buildWrite } from "../../src/core/write-plan.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { HOSTILE_VALUES } from "../support/hostile-values.ts";
import { countRows } from "../support/store-helpers.ts";
import { stressSize } from "../support/stress.ts";

const ORG_UPPER = "5B0C2E4A-8F1D-4C3B-9A7E-2D6F1E0C9B8A";
// The NUL in the pattern is the point: Postgres text cannot hold it.
// deno-lint-ignore no-control-regex
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_DEPTH = 64;
const REFUSED = Symbol("refused");

/**
 * The documented conversion of a value to stored JSON, written independently of the
 * library: the JSON it must come back as, or REFUSED.
 */
function model(value: unknown, level: number): unknown {
  switch (typeof value) {
    case "string":
      return BAD_TEXT.test(value) ? REFUSED : value;
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : REFUSED;
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return REFUSED;
  }
  if (value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? REFUSED : value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  if (level > MAX_DEPTH) return REFUSED;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = i in value ? model(value[i], level + 1) : REFUSED;
      if (item === REFUSED || value[i] === undefined) return REFUSED;
      out.push(item);
    }
    return out;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return REFUSED;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (BAD_TEXT.test(key)) return REFUSED;
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    const converted = model(item, level + 1);
    if (converted === REFUSED) return REFUSED;
    Object.defineProperty(out, key, { value: converted, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The arbitraries of one call. Clean calls hold only what must round-trip (SQL-looking and
 * astral text, `__proto__` keys, -0, bigints, Dates, byte arrays, null-prototype objects, 64
 * levels); hostile ones add what must be refused (NUL, lone surrogates, NaN, infinities,
 * undefined, holes, Maps, Sets, boxed and typed values, 65 levels and more).
 */
function calls(hostile: boolean) {
  const special = hostile
    ? ["\u0000", "\uD800", "\uDFFF", "🌍", "é", "'", "\\"]
    : ["🌍", "é", "\u2028", "'", '"', ";", "\\", "$", "-"];
  const unit = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...special) },
    { weight: 8, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
    ...(hostile
      ? [{ weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }]
      : []),
  );
  const text = fc.oneof(fc.string({ unit, maxLength: 12 }), fc.constantFrom(...HOSTILE_VALUES));
  const key = fc.oneof(
    { weight: 4, arbitrary: text },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "__proto__",
        "constructor",
        "prototype",
        "toString",
        "__defineGetter__",
        "hasOwnProperty",
      ),
    },
  );
  const leaf = fc.oneof(
    text,
    fc.double({ noNaN: !hostile, noDefaultInfinity: !hostile }),
    fc.integer(),
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
    fc.date({ noInvalidDate: !hostile }),
    fc.constantFrom(
      -0,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      2 ** 53 + 2,
      ...(hostile ? [Number.NaN, Number.NEGATIVE_INFINITY, undefined] : []),
    ),
  );
  const deep = fc.tuple(fc.integer({ min: hostile ? 58 : 40, max: hostile ? 70 : 62 }), fc.boolean()).map(
    ([depth, arrays]) => {
      let value: unknown = "leaf";
      for (let i = 0; i < depth; i++) value = arrays && i % 2 === 0 ? [value] : { a: value };
      return value;
    },
  );
  const anything = fc.anything({
    key,
    values: [leaf],
    maxDepth: 3,
    maxKeys: 4,
    withBigInt: true,
    withDate: true,
    withNullPrototype: true,
    withTypedArray: hostile,
    withMap: hostile,
    withSet: hostile,
    withSparseArray: hostile,
    withBoxedValues: hostile,
  });
  const value = fc.oneof({ weight: 5, arbitrary: anything }, { weight: 1, arbitrary: deep });
  return fc.record({
    title: text,
    body: value,
    metadata: fc.dictionary(key, value, { maxKeys: 3 }),
    tenant: fc.oneof(fc.constantFrom("acme", ORG_UPPER, ORG_UPPER.toLowerCase()), text.filter((t) => t.length > 0)),
    correlationId: fc.option(text.filter((t) => t.length > 0), { nil: undefined }),
  });
}
const call = fc.oneof(calls(false), calls(true));

type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;

function expected(c: Call): { body: unknown; metadata: unknown; title: string; tenant: string } | typeof REFUSED {
  const data = model({ title: c.title, body: c.body }, 1) as { title: string; body: unknown } | typeof REFUSED;
  const meta = model(c.metadata, 1);
  if (data === REFUSED || meta === REFUSED || BAD_TEXT.test(c.tenant)) return REFUSED;
  if (c.correlationId !== undefined && BAD_TEXT.test(c.correlationId)) return REFUSED;
  return {
    body: data.body,
    metadata: meta,
    title: data.title,
    tenant: UUID.test(c.tenant) ? c.tenant.toLowerCase() : c.tenant,
  };
}

function noteModel(schema: string) {
  const log = defineEventLog({ table: `${schema}.events`, lock: { scope: "tenant" } });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), title: v.string(), body: v.optional(v.unknown()) }),
    columnTypes: { body: "jsonb" },
    actions: ({ create }) => ({
      write: create({ input: v.object({ title: v.string(), body: v.optional(v.unknown()) }) }),
    }),
  });
  return { log, Note };
}

/** No prototype anywhere in a returned value but the plain ones, and nothing inherited. */
function assertPlain(value: unknown, what: string): void {
  if (typeof value !== "object" || value === null) return;
  const prototype = Object.getPrototypeOf(value);
  assert.ok(prototype === Object.prototype || prototype === Array.prototype, `${what} has a plain prototype`);
  for (const item of Object.values(value)) assertPlain(item, what);
}

describe("hostile values over prepareCall and buildWrite", () => {
  test("every call is refused with VALIDATION_FAILED or builds exactly the modelled JSON", async () => {
    const { log, Note } = noteModel("p");
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const want = expected(c);
        const input = c.body === undefined ? { title: c.title } : { title: c.title, body: c.body };
        const ctx = {
          tenant: c.tenant,
          metadata: c.metadata,
          ...(c.correlationId === undefined ? {} : { correlationId: c.correlationId }),
        };
        let built;
        let prepared;
        try {
          prepared = await prepareCall(log, {
            resource: Note,
            actionName: "write",
            id: undefined,
            input,
            ctx,
            now: new Date(0),
          });
          built = await buildWrite(log, prepared);
        } catch (error) {
          assert.ok(
            isEdgeEventsError(error, "VALIDATION_FAILED"),
            `only VALIDATION_FAILED is thrown, got ${String(error)}`,
          );
          assert.equal(want, REFUSED, `refused a value the model accepts: ${error.message}`);
          return;
        }
        assert.notEqual(want, REFUSED, "accepted a value the model refuses");
        if (want === REFUSED) return;
        const data = JSON.parse(built.event!.data) as Record<string, unknown>;
        assert.deepEqual(
          data,
          want.body === undefined ? { title: want.title } : { title: want.title, body: want.body },
        );
        assert.deepEqual(JSON.parse(built.event!.metadata), want.metadata);
        assert.deepEqual(prepared.metadata, want.metadata);
        assertPlain(prepared.metadata, "metadata");
        assert.equal(built.event!.tenant, want.tenant);
        for (const param of built.statement.params) {
          if (typeof param === "string") assert.ok(!BAD_TEXT.test(param), "every text parameter is well-formed");
        }
      }),
      { numRuns: 400 },
    );
  });
});

describeEachExecutor("hostile values through the store", {}, (fx) => {
  let store: EventStore;
  let m: ReturnType<typeof noteModel>;

  before(async () => {
    m = noteModel(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note] });
    await store.migrate({ resourceTables: true });
  });

  test("a write is refused with nothing written, or its record, result and read events equal the model", async () => {
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const want = expected(c);
        const events = await countRows(fx.db, `${fx.schema}.events`);
        const input = c.body === undefined ? { title: c.title } : { title: c.title, body: c.body };
        const ctx = {
          tenant: c.tenant,
          metadata: c.metadata,
          ...(c.correlationId === undefined ? {} : { correlationId: c.correlationId }),
        };
        let result;
        try {
          result = await store.resource(m.Note).write(input, ctx);
        } catch (error) {
          assert.ok(
            isEdgeEventsError(error, "VALIDATION_FAILED"),
            `only VALIDATION_FAILED is thrown, got ${String(error)}`,
          );
          assert.equal(want, REFUSED, "refused a value the model accepts");
          assert.equal(await countRows(fx.db, `${fx.schema}.events`), events, "nothing was written");
          return;
        }
        assert.notEqual(want, REFUSED, "accepted a value the model refuses");
        if (want === REFUSED) return;
        const { record, event } = result;
        // Read through the caller's tenant as given (in whatever case): reads see one tenant.
        const [read] = await store.withContext({ tenant: c.tenant }).readEvents({
          resource: "note",
          recordId: String(record["id"]),
        });
        const data = want.body === undefined ? { title: want.title } : { title: want.title, body: want.body };
        for (const [what, e] of [["result", event], ["read", read]] as const) {
          assert.deepEqual(e?.data, data, `${what} data`);
          assert.deepEqual(e?.metadata, want.metadata, `${what} metadata`);
          assert.equal(e?.tenant, want.tenant, `${what} tenant`);
          assertPlain(e?.metadata, `${what} metadata`);
          assertPlain(e?.data, `${what} data`);
        }
        assert.equal(record["title"], want.title);
        assert.equal(record["orgId"], want.tenant);
        assert.deepEqual(record["body"] ?? null, want.body ?? null);
      }),
      { numRuns: stressSize(40, 15) },
    );
  });
});
