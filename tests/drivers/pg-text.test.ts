import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decodeBytea,
  decodeRows,
  decodeValue,
  encodeByteaHex,
  encodeParam,
  encodeParams,
  parseArrayLiteral,
  parseTimestamp,
} from "../../src/drivers/pg-text/mod.ts";
import { redactMessage } from "../../src/drivers/failure/mod.ts";

const text = (s: string): string => s;

describe("parseArrayLiteral()", () => {
  test("reads flat, empty and nested arrays", () => {
    assert.deepEqual(parseArrayLiteral("{1,2,3}", Number), [1, 2, 3]);
    assert.deepEqual(parseArrayLiteral("{}", text), []);
    assert.deepEqual(parseArrayLiteral("{{1,2},{3,4}}", Number), [[1, 2], [3, 4]]);
    assert.deepEqual(parseArrayLiteral("{{{1}},{{2}}}", Number), [[[1]], [[2]]]);
  });

  test('unquoted NULL is null, a quoted "NULL" stays a string', () => {
    assert.deepEqual(parseArrayLiteral('{NULL,"NULL",null}', text), [null, "NULL", null]);
  });

  test('quoted elements keep commas, braces, spaces and unescape \\" and \\\\', () => {
    assert.deepEqual(parseArrayLiteral('{"a,b","{x}"," sp ","q\\"q","b\\\\s",""}', text), [
      "a,b",
      "{x}",
      " sp ",
      'q"q',
      "b\\s",
      "",
    ]);
  });

  test("drops the bounds decoration of arrays not starting at 1", () => {
    assert.deepEqual(parseArrayLiteral("[0:2]={7,8,9}", Number), [7, 8, 9]);
    assert.deepEqual(parseArrayLiteral("[0:1][1:1]={{1},{2}}", Number), [[1], [2]]);
  });

  test("uses the given delimiter (box arrays use ;)", () => {
    assert.deepEqual(parseArrayLiteral("{(1,1),(0,0);(2,2),(1,1)}", text, ";"), ["(1,1),(0,0)", "(2,2),(1,1)"]);
  });

  test("rejects what is not an array literal", () => {
    for (const bad of ["", "1,2", "{1,2", "{1,2}x", '{"a}', '{a"b}']) {
      assert.throws(() => parseArrayLiteral(bad, text), SyntaxError, bad);
    }
  });
});

describe("parseTimestamp()", () => {
  test("applies the offset, with minutes and seconds when present", () => {
    assert.equal(parseTimestamp("2024-01-02 03:04:05.678+00").toISOString(), "2024-01-02T03:04:05.678Z");
    assert.equal(parseTimestamp("2024-01-02 03:04:05+05:30").toISOString(), "2024-01-01T21:34:05.000Z");
    assert.equal(parseTimestamp("2024-01-02 03:04:05-03").toISOString(), "2024-01-02T06:04:05.000Z");
    assert.equal(parseTimestamp("1900-01-01 00:00:00+00:19:32").toISOString(), "1899-12-31T23:40:28.000Z");
  });

  test("truncates microseconds to milliseconds", () => {
    assert.equal(parseTimestamp("2024-01-02 03:04:05.678999+00").toISOString(), "2024-01-02T03:04:05.678Z");
    assert.equal(parseTimestamp("2024-01-02 03:04:05.5+00").getUTCMilliseconds(), 500);
  });

  test("reads a timestamp without time zone as UTC", () => {
    assert.equal(parseTimestamp("2024-01-02 03:04:05").toISOString(), "2024-01-02T03:04:05.000Z");
  });

  test("handles years before 100 and BC years (1 BC is year 0)", () => {
    assert.equal(parseTimestamp("0044-03-15 12:00:00+00").getUTCFullYear(), 44);
    assert.equal(parseTimestamp("0044-03-15 12:00:00+00 BC").getUTCFullYear(), -43);
    assert.equal(parseTimestamp("0001-01-01 00:00:00+00 BC").getUTCFullYear(), 0);
  });

  test("infinity and -infinity become the latest and earliest Date", () => {
    assert.equal(parseTimestamp("infinity").getTime(), 8.64e15);
    assert.equal(parseTimestamp("-infinity").getTime(), -8.64e15);
  });

  test("rejects other formats", () => {
    assert.throws(() => parseTimestamp("01/02/2024 03:04:05"), SyntaxError);
  });
});

describe("bytea", () => {
  test("hex round trip, without Buffer", () => {
    const bytes = new Uint8Array([0, 1, 127, 128, 254, 255]);
    assert.equal(encodeByteaHex(bytes), "\\x00017f80feff");
    assert.deepEqual(decodeBytea("\\x00017f80feff"), bytes);
    assert.deepEqual(decodeBytea("\\x"), new Uint8Array());
    assert.ok(!("readUInt8" in decodeBytea("\\x00")), "a Uint8Array, not a Buffer");
  });

  test("reads the escape format", () => {
    assert.deepEqual(decodeBytea("a\\000\\\\b\\377"), new Uint8Array([97, 0, 92, 98, 255]));
  });

  test("rejects malformed hex", () => {
    assert.throws(() => decodeBytea("\\x0"), SyntaxError);
    assert.throws(() => decodeBytea("\\xzz"), SyntaxError);
  });
});

describe("decodeValue()", () => {
  test("decodes each documented type", () => {
    assert.equal(decodeValue("12", 21), 12);
    assert.equal(decodeValue("12", 23), 12);
    assert.equal(decodeValue("12", 26), 12);
    assert.equal(decodeValue("1.5", 700), 1.5);
    assert.equal(decodeValue("Infinity", 701), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(decodeValue("NaN", 701)));
    assert.equal(decodeValue("9223372036854775807", 20), 9223372036854775807n);
    assert.equal(decodeValue("1.50", 1700), "1.50");
    assert.equal(decodeValue("t", 16), true);
    assert.equal(decodeValue("f", 16), false);
    assert.deepEqual(decodeValue('{"a": [1, null]}', 3802), { a: [1, null] });
    assert.deepEqual(decodeValue('"s"', 114), "s");
    assert.equal(decodeValue("2024-02-29", 1082), "2024-02-29");
    assert.deepEqual(decodeValue("2024-01-02 03:04:05+00", 1184), new Date("2024-01-02T03:04:05Z"));
    assert.equal(decodeValue("1 day 02:03:04", 1186), "1 day 02:03:04");
    assert.equal(decodeValue("x", 999999), "x");
  });

  test("decodes arrays element by element", () => {
    assert.deepEqual(decodeValue("{1,NULL,3}", 1016), [1n, null, 3n]);
    assert.deepEqual(decodeValue('{"{\\"a\\": 1}",NULL}', 3807), [{ a: 1 }, null]);
    assert.deepEqual(decodeValue('{"\\\\x0102"}', 1001), [new Uint8Array([1, 2])]);
    assert.deepEqual(decodeValue("{t,f}", 1000), [true, false]);
    assert.deepEqual(decodeValue('{"2024-01-02 03:04:05+00"}', 1185), [new Date("2024-01-02T03:04:05Z")]);
  });
});

describe("decodeRows()", () => {
  test("keys rows by column name; a later duplicate wins; __proto__ is a plain key", () => {
    const rows = decodeRows(
      [
        { name: "a", dataTypeID: 23 },
        { name: "a", dataTypeID: 25 },
        { name: "__proto__", dataTypeID: 25 },
      ],
      [["1", "two", "p"]],
    );
    assert.deepEqual(rows, [{ a: "two", ["__proto__"]: "p" }]);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
  });

  test("refuses values that are not text (a driver still parsing)", () => {
    assert.throws(() => decodeRows([{ name: "n", dataTypeID: 23 }], [[1]]), TypeError);
  });
});

describe("encodeParam()", () => {
  test("encodes every SqlParam kind as node-postgres would, dates in UTC", () => {
    assert.deepEqual(
      encodeParams(["s", 1.5, -0, 2n ** 64n, true, false, null, new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))]),
      ["s", "1.5", "0", "18446744073709551616", "true", "false", null, "2024-01-02T03:04:05.006Z"],
    );
    assert.equal(encodeParam(Number.NaN, 1), "NaN");
    // Outside the years 1-9999, the form Postgres reads: BC years, and years written out.
    assert.equal(encodeParam(new Date("0000-12-31T23:59:59.999Z"), 1), "0001-12-31 23:59:59.999+00 BC");
    assert.equal(encodeParam(new Date(Date.UTC(-4713, 10, 24)), 1), "4714-11-24 00:00:00.000+00 BC");
    assert.equal(encodeParam(new Date("+010000-01-01T00:00:00.000Z"), 1), "10000-01-01 00:00:00.000+00");
    assert.equal(encodeParam(new Uint8Array([0xde, 0xad]), 1), "\\xdead");
  });

  test("writes arrays with every element quoted and escaped, NULL bare", () => {
    assert.equal(encodeParam([1, 'a"b', "c\\d", null, true, 3n, ""], 1), '{"1","a\\"b","c\\\\d",NULL,"true","3",""}');
    assert.equal(encodeParam([], 1), "{}");
  });

  test("rejects other values with TypeError naming the position, not the value", () => {
    assert.throws(() => encodeParam({ secret: "x" } as never, 3), (err: Error) => {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /\$3/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
    assert.throws(() => encodeParam(undefined as never, 1), TypeError);
    assert.throws(() => encodeParam(new Date(Number.NaN), 1), RangeError);
  });
});

describe("redactMessage()", () => {
  test("cuts parameter values and quoted input, keeps identifiers", () => {
    assert.equal(
      redactMessage('invalid input syntax for type integer: "hunter2"', []),
      'invalid input syntax for type integer: "[redacted]"',
    );
    assert.equal(
      redactMessage('value "99999999999" is out of range for type integer', []),
      'value "[redacted]" is out of range for type integer',
    );
    assert.equal(redactMessage("raised sk_live_abc here", ["sk_live_abc"]), "raised [redacted] here");
    assert.equal(
      redactMessage('duplicate key value violates unique constraint "users_pkey"', ["a"]),
      'duplicate key value violates unique constraint "users_pkey"',
    );
    assert.equal(redactMessage("bad url postgres://u:pw@host/db here", []), "bad url [redacted] here");
    assert.equal(redactMessage("rejected tok_12345 in list", ['{"a","tok_12345"}']), "rejected [redacted] in list");
  });
});
