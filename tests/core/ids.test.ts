import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isUlid, isUuid, newEventId, newUuidV7, ulidTime, uuidV7Time } from "../../src/core/ids.ts";

const COUNT = 10_000;

describe("newEventId()", () => {
  test("makes canonical ULIDs", () => {
    const id = newEventId();
    assert.equal(id.length, 26);
    assert.match(id, /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    assert.ok(isUlid(id));
  });

  test("ids made in a tight loop are unique and strictly increasing", () => {
    const ids = Array.from({ length: COUNT }, () => newEventId());
    for (let i = 1; i < ids.length; i++) {
      assert.ok((ids[i - 1] as string) < (ids[i] as string), `id ${i} sorts after id ${i - 1}`);
    }
    assert.equal(new Set(ids).size, COUNT);
  });

  test("embeds the current time", () => {
    const before = Date.now();
    const time = ulidTime(newEventId()).getTime();
    const after = Date.now();
    assert.ok(time >= before && time <= after);
  });
});

describe("isUlid()", () => {
  test("accepts the spec's example and the extremes", () => {
    assert.ok(isUlid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    assert.ok(isUlid("00000000000000000000000000"));
    assert.ok(isUlid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
  });

  test("rejects lowercase, excluded letters, overflowing times, wrong lengths and non-strings", () => {
    for (
      const value of [
        "01arz3ndektsv4rrffq69g5fav",
        "01ARZ3NDEKTSV4RRFFQ69G5FAI",
        "01ARZ3NDEKTSV4RRFFQ69G5FAL",
        "01ARZ3NDEKTSV4RRFFQ69G5FAO",
        "01ARZ3NDEKTSV4RRFFQ69G5FAU",
        "81ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FA",
        "01ARZ3NDEKTSV4RRFFQ69G5FAVV",
        "",
        42,
        null,
        undefined,
      ]
    ) {
      assert.equal(isUlid(value), false, String(value));
    }
  });
});

describe("ulidTime()", () => {
  test("decodes the time of the ulid README's example", () => {
    assert.equal(ulidTime("01ARYZ6S41TSV4RRFFQ69G5FAV").getTime(), 1469918176385);
  });

  test("decodes the largest time", () => {
    assert.equal(ulidTime("7ZZZZZZZZZZZZZZZZZZZZZZZZZ").getTime(), 2 ** 48 - 1);
  });

  test("throws TypeError on anything but a canonical ULID", () => {
    assert.throws(() => ulidTime("01arz3ndektsv4rrffq69g5fav"), TypeError);
    assert.throws(() => ulidTime("not a ulid"), TypeError);
  });
});

describe("newUuidV7()", () => {
  test("makes lowercase UUIDs with version 7 and variant 10", () => {
    const id = newUuidV7();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(isUuid(id));
  });

  test("ids made in a tight loop are unique and strictly increasing", () => {
    const ids = Array.from({ length: COUNT }, () => newUuidV7());
    for (let i = 1; i < ids.length; i++) {
      assert.ok((ids[i - 1] as string) < (ids[i] as string), `id ${i} sorts after id ${i - 1}`);
    }
    assert.equal(new Set(ids).size, COUNT);
    for (const id of ids) {
      assert.equal(id[14], "7");
      assert.ok("89ab".includes(id[19] as string));
    }
  });

  test("embeds a time no earlier than the call", () => {
    // Only a lower bound: after a burst the timestamp may run a few ms ahead by design.
    const before = Date.now();
    assert.ok(uuidV7Time(newUuidV7()).getTime() >= before);
  });
});

describe("isUuid()", () => {
  test("accepts any version in any case, including nil and max", () => {
    assert.ok(isUuid("017F22E2-79B0-7CC3-98C4-DC0C0C07398F"));
    assert.ok(isUuid("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
    assert.ok(isUuid("00000000-0000-0000-0000-000000000000"));
    assert.ok(isUuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
  });

  test("rejects other shapes and non-strings", () => {
    for (
      const value of [
        "017f22e279b07cc398c4dc0c0c07398f",
        "{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}",
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398g",
        " 017f22e2-79b0-7cc3-98c4-dc0c0c07398f",
        "",
        1,
        undefined,
      ]
    ) {
      assert.equal(isUuid(value), false, String(value));
    }
  });
});

describe("uuidV7Time()", () => {
  test("decodes the time of RFC 9562's example (appendix A.6)", () => {
    assert.equal(uuidV7Time("017F22E2-79B0-7CC3-98C4-DC0C0C07398F").toISOString(), "2022-02-22T19:22:22.000Z");
  });

  test("throws TypeError on other versions, other variants and non-UUIDs", () => {
    assert.throws(() => uuidV7Time("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"), TypeError);
    assert.throws(() => uuidV7Time("017f22e2-79b0-7cc3-48c4-dc0c0c07398f"), TypeError);
    assert.throws(() => uuidV7Time("01ARZ3NDEKTSV4RRFFQ69G5FAV"), TypeError);
  });
});
