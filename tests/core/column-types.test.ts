import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { inferColumnType } from "../../src/core/column-types.ts";

const notNull = (type: string) => ({ type, nullable: false });
const nullable = (type: string) => ({ type, nullable: true });

describe("inferColumnType(): scalars", () => {
  test("string, number, bigint, boolean and date map to their column types", () => {
    assert.deepEqual(inferColumnType(v.string()), notNull("text"));
    assert.deepEqual(inferColumnType(v.number()), notNull("double precision"));
    assert.deepEqual(inferColumnType(v.bigint()), notNull("bigint"));
    assert.deepEqual(inferColumnType(v.boolean()), notNull("boolean"));
    assert.deepEqual(inferColumnType(v.date()), notNull("timestamptz"));
  });

  test("a string with uuid() in its pipe is a uuid, other checks keep it text", () => {
    assert.deepEqual(inferColumnType(v.pipe(v.string(), v.uuid())), notNull("uuid"));
    assert.deepEqual(inferColumnType(v.pipe(v.string(), v.trim(), v.toLowerCase(), v.uuid())), notNull("uuid"));
    assert.deepEqual(inferColumnType(v.pipe(v.pipe(v.string(), v.uuid()), v.brand("UserId"))), notNull("uuid"));
    assert.deepEqual(inferColumnType(v.pipe(v.string(), v.email(), v.maxLength(200))), notNull("text"));
    assert.deepEqual(inferColumnType(v.pipe(v.string(), v.isoTimestamp())), notNull("text"));
  });

  test("integer() makes an integer, safeInteger() a bigint", () => {
    assert.deepEqual(inferColumnType(v.pipe(v.number(), v.integer())), notNull("integer"));
    assert.deepEqual(inferColumnType(v.pipe(v.number(), v.integer(), v.minValue(0))), notNull("integer"));
    assert.deepEqual(inferColumnType(v.pipe(v.number(), v.safeInteger())), notNull("bigint"));
  });

  test("integer bounds decide between integer and bigint", () => {
    const int = (...actions: v.PipeItem<number, number, v.BaseIssue<unknown>>[]) =>
      inferColumnType(v.pipe(v.number(), ...actions));
    assert.deepEqual(int(v.integer(), v.maxValue(10_000_000_000)), notNull("bigint"));
    assert.deepEqual(int(v.maxValue(10_000_000_000), v.integer()), notNull("bigint"));
    assert.deepEqual(int(v.integer(), v.minValue(-(2 ** 31) - 1)), notNull("bigint"));
    assert.deepEqual(int(v.integer(), v.minValue(-(2 ** 31)), v.maxValue(2 ** 31 - 1)), notNull("integer"));
    assert.deepEqual(int(v.safeInteger(), v.minValue(0), v.maxValue(100)), notNull("integer"));
    assert.deepEqual(int(v.safeInteger(), v.minValue(0)), notNull("bigint"));
    assert.equal(int(v.integer(), v.maxValue(1e20)), undefined);
  });

  test("bounds without an integer check keep a number double precision", () => {
    assert.deepEqual(inferColumnType(v.pipe(v.number(), v.minValue(0), v.maxValue(1))), notNull("double precision"));
  });
});

describe("inferColumnType(): literals, picklists and enums", () => {
  test("string options are text", () => {
    assert.deepEqual(inferColumnType(v.literal("draft")), notNull("text"));
    assert.deepEqual(inferColumnType(v.picklist(["draft", "published"])), notNull("text"));
    assert.deepEqual(inferColumnType(v.enum({ Draft: "draft", Published: "published" })), notNull("text"));
  });

  test("options of one other primitive type map to that type", () => {
    assert.deepEqual(inferColumnType(v.literal(true)), notNull("boolean"));
    assert.deepEqual(inferColumnType(v.literal(1)), notNull("integer"));
    assert.deepEqual(inferColumnType(v.picklist([1, 2, 3])), notNull("integer"));
    assert.deepEqual(inferColumnType(v.picklist([0.5, 1.5])), notNull("double precision"));
    assert.deepEqual(inferColumnType(v.literal(10n)), notNull("bigint"));
    enum Level {
      Low,
      High,
    }
    assert.deepEqual(inferColumnType(v.enum(Level)), notNull("integer"));
  });

  test("mixed options are ambiguous", () => {
    assert.equal(inferColumnType(v.picklist(["a", 1])), undefined);
    assert.equal(inferColumnType(v.picklist([1, 1.5])), undefined);
    assert.equal(inferColumnType(v.picklist([])), undefined);
  });
});

describe("inferColumnType(): JSON values", () => {
  test("objects, records, arrays and tuples of every flavour are jsonb", () => {
    const item = v.object({ sku: v.string() });
    for (
      const schema of [
        item,
        v.looseObject({ a: v.string() }),
        v.strictObject({ a: v.string() }),
        v.objectWithRest({ a: v.string() }, v.number()),
        v.record(v.string(), v.number()),
        v.array(item),
        v.tuple([v.string(), v.number()]),
        v.looseTuple([v.string()]),
        v.strictTuple([v.string()]),
        v.tupleWithRest([v.string()], v.number()),
        v.variant("kind", [v.object({ kind: v.literal("a") }), v.object({ kind: v.literal("b") })]),
      ]
    ) {
      assert.deepEqual(inferColumnType(schema), notNull("jsonb"), schema.type);
    }
  });
});

describe("inferColumnType(): nullability", () => {
  test("nullable, nullish, optional, exactOptional and undefinedable without a default are nullable", () => {
    assert.deepEqual(inferColumnType(v.nullable(v.string())), nullable("text"));
    assert.deepEqual(inferColumnType(v.nullish(v.string())), nullable("text"));
    assert.deepEqual(inferColumnType(v.optional(v.string())), nullable("text"));
    assert.deepEqual(inferColumnType(v.exactOptional(v.string())), nullable("text"));
    assert.deepEqual(inferColumnType(v.undefinedable(v.string())), nullable("text"));
  });

  test("a default fills the missing value, so the column is not nullable", () => {
    assert.deepEqual(inferColumnType(v.optional(v.string(), "x")), notNull("text"));
    assert.deepEqual(inferColumnType(v.optional(v.date(), () => new Date())), notNull("timestamptz"));
    assert.deepEqual(inferColumnType(v.nullable(v.number(), 0)), notNull("double precision"));
    assert.deepEqual(inferColumnType(v.nullish(v.boolean(), false)), notNull("boolean"));
    assert.deepEqual(inferColumnType(v.undefinedable(v.string(), "x")), notNull("text"));
  });

  test("a default of null keeps the column nullable", () => {
    assert.deepEqual(inferColumnType(v.optional(v.nullable(v.string()), null)), nullable("text"));
    assert.deepEqual(inferColumnType(v.nullish(v.string(), null)), nullable("text"));
  });

  test("a default on the outer wrapper does not hide an inner nullable", () => {
    assert.deepEqual(inferColumnType(v.optional(v.nullable(v.string()), "x")), nullable("text"));
  });

  test("nonNullable, nonNullish and nonOptional remove what they name", () => {
    assert.deepEqual(inferColumnType(v.nonNullable(v.nullable(v.string()))), notNull("text"));
    assert.deepEqual(inferColumnType(v.nonNullable(v.nullish(v.string()))), nullable("text"));
    assert.deepEqual(inferColumnType(v.nonNullish(v.nullish(v.string()))), notNull("text"));
    assert.deepEqual(inferColumnType(v.nonOptional(v.optional(v.string()))), notNull("text"));
  });

  test("a wrapper in a pipe and a pipe in a wrapper both work", () => {
    assert.deepEqual(inferColumnType(v.pipe(v.optional(v.string()), v.brand("Name"))), nullable("text"));
    assert.deepEqual(inferColumnType(v.optional(v.pipe(v.string(), v.uuid()))), nullable("uuid"));
    assert.deepEqual(inferColumnType(v.nullable(v.pipe(v.number(), v.integer()))), nullable("integer"));
  });
});

describe("inferColumnType(): unions", () => {
  test("a union of one type is that type; null and undefined members make it nullable", () => {
    assert.deepEqual(inferColumnType(v.union([v.literal("a"), v.picklist(["b", "c"]), v.string()])), notNull("text"));
    assert.deepEqual(inferColumnType(v.union([v.string(), v.null()])), nullable("text"));
    assert.deepEqual(inferColumnType(v.union([v.date(), v.undefined()])), nullable("timestamptz"));
    assert.deepEqual(inferColumnType(v.union([v.nullable(v.string()), v.literal("x")])), nullable("text"));
  });

  test("a union of different types is ambiguous", () => {
    assert.equal(inferColumnType(v.union([v.string(), v.number()])), undefined);
    assert.equal(inferColumnType(v.union([v.pipe(v.number(), v.integer()), v.number()])), undefined);
    assert.equal(inferColumnType(v.union([v.null(), v.undefined()])), undefined);
  });
});

describe("inferColumnType(): ambiguous schemas", () => {
  test("a type-changing transformation makes the result undefined", () => {
    assert.equal(inferColumnType(v.pipe(v.string(), v.transform(Number))), undefined);
    assert.equal(inferColumnType(v.pipe(v.string(), v.toNumber())), undefined);
    assert.equal(inferColumnType(v.pipe(v.string(), v.parseJson())), undefined);
    assert.equal(inferColumnType(v.optional(v.pipe(v.string(), v.transform((s) => s.length)))), undefined);
  });

  test("a schema after a transformation decides the type", () => {
    assert.deepEqual(inferColumnType(v.pipe(v.string(), v.transform(Number), v.number())), notNull("double precision"));
    assert.deepEqual(inferColumnType(v.pipe(v.unknown(), v.string(), v.uuid())), notNull("uuid"));
  });

  test("any, unknown, lazy, custom, map, set, intersect, null and friends are undefined", () => {
    for (
      const schema of [
        v.any(),
        v.unknown(),
        v.lazy(() => v.string()),
        v.custom<string>((x) => typeof x === "string"),
        v.map(v.string(), v.number()),
        v.set(v.string()),
        v.intersect([v.object({ a: v.string() }), v.object({ b: v.string() })]),
        v.null(),
        v.undefined(),
        v.nan(),
        v.instance(URL),
        v.literal(Symbol("s")),
      ]
    ) {
      assert.equal(inferColumnType(schema), undefined, schema.type);
    }
  });

  test("async schemas are read the same way", () => {
    assert.deepEqual(inferColumnType(v.objectAsync({ a: v.string() })), notNull("jsonb"));
    assert.deepEqual(inferColumnType(v.optionalAsync(v.pipeAsync(v.string(), v.uuid()))), nullable("uuid"));
  });

  test("the result is frozen", () => {
    assert.ok(Object.isFrozen(inferColumnType(v.string())));
  });
});
