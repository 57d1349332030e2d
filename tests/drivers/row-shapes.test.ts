// One SQL, one expected row, every executor: the decoded shapes are the same everywhere.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SqlParam } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";

interface ShapeCase {
  readonly title: string;
  readonly text: string;
  readonly params?: readonly SqlParam[];
  readonly row: Record<string, unknown>;
}

const UUID = "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21";

const SHAPES: readonly ShapeCase[] = [
  {
    title: "int8 beyond 2^53 is a bigint; int2/int4/oid/float are numbers",
    text:
      "SELECT 9007199254740993::int8 AS big, (-2)::int8 AS neg, 7::int2 AS small, 2147483647::int4 AS i4, 26::oid AS o, 1.5::float4 AS f4, 0.1::float8 AS f8, 'Infinity'::float8 AS inf",
    row: {
      big: 9007199254740993n,
      neg: -2n,
      small: 7,
      i4: 2147483647,
      o: 26,
      f4: 1.5,
      f8: 0.1,
      inf: Number.POSITIVE_INFINITY,
    },
  },
  {
    title: "numeric stays a string with its scale",
    text: "SELECT 1.50::numeric AS a, 123456789012345678901234567890.5::numeric AS b, 'NaN'::numeric AS c",
    row: { a: "1.50", b: "123456789012345678901234567890.5", c: "NaN" },
  },
  {
    title: "timestamptz and timestamp are Dates (timestamp read as UTC)",
    text:
      "SELECT '2024-01-02 03:04:05.678901+05:30'::timestamptz AS tz, '2024-01-02 03:04:05.5'::timestamp AS ts, 'infinity'::timestamptz AS inf",
    row: {
      tz: new Date("2024-01-01T21:34:05.678Z"),
      ts: new Date("2024-01-02T03:04:05.500Z"),
      inf: new Date(8.64e15),
    },
  },
  {
    title: "json and jsonb are parsed",
    text:
      `SELECT '{"b": [1, "x", null], "a": {"n": true}}'::jsonb AS jb, '[1, 2]'::json AS j, 'null'::jsonb AS jnull, '"s"'::jsonb AS js`,
    row: { jb: { a: { n: true }, b: [1, "x", null] }, j: [1, 2], jnull: null, js: "s" },
  },
  {
    title: "text[] keeps quotes, commas, backslashes, empty strings and NULL",
    text: `SELECT ARRAY['plain', 'a b', 'x"y', 'c,d', 'back\\slash', '', NULL, 'NULL', '{}'] AS t`,
    row: { t: ["plain", "a b", 'x"y', "c,d", "back\\slash", "", null, "NULL", "{}"] },
  },
  {
    title: "int8[], jsonb[] and 2-D int[] decode their elements",
    text:
      `SELECT ARRAY[9007199254740993, -1, NULL]::int8[] AS i8, ARRAY['{"a": 1}'::jsonb, '[2]', NULL] AS jb, ARRAY[[1, 2], [3, 4]] AS two, '{}'::int[] AS empty`,
    row: { i8: [9007199254740993n, -1n, null], jb: [{ a: 1 }, [2], null], two: [[1, 2], [3, 4]], empty: [] },
  },
  {
    title: "arrays of timestamptz, date, numeric, bool, uuid and bytea",
    text:
      `SELECT ARRAY['2024-01-02 03:04:05+00'::timestamptz] AS tz, ARRAY['2024-02-29'::date] AS d, ARRAY[1.10, NULL]::numeric[] AS n, ARRAY[true, false] AS b, ARRAY['${UUID}'::uuid] AS u, ARRAY['\\x0102'::bytea] AS by`,
    row: {
      tz: [new Date("2024-01-02T03:04:05Z")],
      d: ["2024-02-29"],
      n: ["1.10", null],
      b: [true, false],
      u: [UUID],
      by: [new Uint8Array([1, 2])],
    },
  },
  {
    title: "bytea is a Uint8Array",
    text: "SELECT '\\xdeadbeef'::bytea AS b, ''::bytea AS empty",
    row: { b: new Uint8Array([0xde, 0xad, 0xbe, 0xef]), empty: new Uint8Array() },
  },
  {
    title: "NULL of any type is null",
    text: "SELECT NULL::int8 AS a, NULL::jsonb AS b, NULL::text[] AS c, NULL::bytea AS d, NULL AS e",
    row: { a: null, b: null, c: null, d: null, e: null },
  },
  {
    title: "bool, uuid, date, interval and text",
    text:
      `SELECT true AS t, false AS f, '${UUID}'::uuid AS u, '2024-02-29'::date AS d, '1 day 02:03:04'::interval AS i, 'héllo'::text AS s, 'v'::varchar AS v`,
    row: { t: true, f: false, u: UUID, d: "2024-02-29", i: "1 day 02:03:04", s: "héllo", v: "v" },
  },
  {
    title: "a later column with the same name wins",
    text: "SELECT 1 AS a, 'two' AS a",
    row: { a: "two" },
  },
  {
    title: "parameters arrive as the same text on every driver",
    text:
      "SELECT $1::int8 AS big, $2::bool AS b, $3::timestamptz AS at, $4::bytea AS bytes, $5::text[] AS arr, $6::jsonb AS doc, $7::text AS none, $8::numeric AS num, $9::int8[] AS bigs",
    params: [
      2n ** 62n + 1n,
      false,
      new Date("2024-01-02T03:04:05.678Z"),
      new Uint8Array([0, 255]),
      ['a"b', "c\\d", null, ""],
      JSON.stringify({ k: "v" }),
      null,
      "0.30",
      [1n, 9007199254740993n],
    ],
    row: {
      big: 2n ** 62n + 1n,
      b: false,
      at: new Date("2024-01-02T03:04:05.678Z"),
      bytes: new Uint8Array([0, 255]),
      arr: ['a"b', "c\\d", null, ""],
      doc: { k: "v" },
      none: null,
      num: "0.30",
      bigs: [1n, 9007199254740993n],
    },
  },
  {
    title: "an untyped parameter comes back as text",
    text: "SELECT $1 AS x",
    params: [42],
    row: { x: "42" },
  },
];

describeEachExecutor("row shapes", {}, (fx) => {
  for (const shape of SHAPES) {
    test(shape.title, async () => {
      const result = await fx.db.query({ text: shape.text, params: shape.params ?? [] });
      assert.deepStrictEqual(result.rows, [shape.row]);
      assert.equal(result.command, "SELECT");
      assert.equal(result.rowCount, 1);
    });
  }

  test("command and rowCount follow the command tag", async () => {
    const t = `${fx.schema}.shapes`;
    const create = await fx.db.query({ text: `CREATE TABLE ${t} (id int PRIMARY KEY, n int8)`, params: [] });
    assert.deepStrictEqual(create, { rows: [], rowCount: null, command: "CREATE" });
    const insert = await fx.db.query({ text: `INSERT INTO ${t} VALUES (1, 1), (2, 2), (3, 3)`, params: [] });
    assert.deepStrictEqual(insert, { rows: [], rowCount: 3, command: "INSERT" });
    const update = await fx.db.query({ text: `UPDATE ${t} SET n = n + 1 WHERE id > $1 RETURNING id, n`, params: [1] });
    assert.deepStrictEqual(update, { rows: [{ id: 2, n: 3n }, { id: 3, n: 4n }], rowCount: 2, command: "UPDATE" });
    const none = await fx.db.query({ text: `DELETE FROM ${t} WHERE id = $1`, params: [99] });
    assert.deepStrictEqual(none, { rows: [], rowCount: 0, command: "DELETE" });
    const empty = await fx.db.query({ text: `SELECT * FROM ${t} WHERE false`, params: [] });
    assert.deepStrictEqual(empty, { rows: [], rowCount: 0, command: "SELECT" });
  });

  test("other types come back as Postgres text; arrays of unknown types (enums) too", async () => {
    await fx.db.query({ text: `CREATE TYPE ${fx.schema}.mood AS ENUM ('ok', 'a b')`, params: [] });
    const { rows } = await fx.db.query({
      text:
        `SELECT 'ok'::${fx.schema}.mood AS m, ARRAY['ok', 'a b']::${fx.schema}.mood[] AS ms, '(1,2)'::point AS p, ARRAY['(1,1),(0,0)'::box, '(2,2),(1,1)'] AS boxes, '[1,5)'::int4range AS r, '12:00'::time AS t`,
      params: [],
    });
    assert.deepStrictEqual(rows, [{
      m: "ok",
      ms: '{ok,"a b"}',
      p: "(1,2)",
      boxes: ["(1,1),(0,0)", "(2,2),(1,1)"],
      r: "[1,5)",
      t: "12:00:00",
    }]);
  });

  test("an empty query has no rows, no command and no row count", async () => {
    for (const text of ["", "-- only a comment"]) {
      assert.deepStrictEqual(await fx.db.query({ text, params: [] }), { rows: [], rowCount: null, command: "" });
    }
  });

  test("a column named __proto__ is an ordinary key", async () => {
    const { rows } = await fx.db.query({ text: 'SELECT 1 AS "__proto__", 2 AS "constructor"', params: [] });
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
    assert.deepStrictEqual(Object.entries(rows[0]!), [["__proto__", 1], ["constructor", 2]]);
  });
});
