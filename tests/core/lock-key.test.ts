import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import type { LockKey } from "../../src/core/event-log.ts";
import { GLOBAL_LOCK_KEY, tenantLockKey, validateLockKey, writeLockKey } from "../../src/core/lock-key.ts";
import { databaseUrl } from "../support/database.ts";

const DATABASE_URL = databaseUrl();
const UUID = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";

describe("GLOBAL_LOCK_KEY", () => {
  test("is AshEvents' key 2147483647", () => {
    assert.equal(GLOBAL_LOCK_KEY, 2147483647n);
  });
});

describe("tenantLockKey()", () => {
  test("an integer tenant is its own key, whether number, bigint or digit string", () => {
    assert.equal(tenantLockKey(42), 42n);
    assert.equal(tenantLockKey(-7), -7n);
    assert.equal(tenantLockKey(0), 0n);
    assert.equal(tenantLockKey(42n), 42n);
    assert.equal(tenantLockKey("42"), 42n);
    assert.equal(tenantLockKey("-42"), -42n);
    assert.equal(tenantLockKey("007"), 7n);
    assert.equal(tenantLockKey("9223372036854775807"), 9223372036854775807n);
    assert.equal(tenantLockKey("-9223372036854775808"), -9223372036854775808n);
  });

  test("an integer outside int64 throws RangeError", () => {
    assert.throws(() => tenantLockKey("9223372036854775808"), RangeError);
    assert.throws(() => tenantLockKey("-9223372036854775809"), RangeError);
    assert.throws(() => tenantLockKey(2n ** 63n), RangeError);
    assert.throws(() => tenantLockKey(-(2n ** 63n) - 1n), RangeError);
  });

  test("a number that is not a safe integer throws RangeError", () => {
    for (const n of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => tenantLockKey(n), RangeError, String(n));
    }
  });

  test("a UUID gives bytes 0-3 and 8-11 as signed int32, negative when the top byte is 0x80 or more", () => {
    assert.deepEqual(tenantLockKey(UUID), [-132296786, -1486552928]);
    assert.deepEqual(tenantLockKey(UUID.toUpperCase()), [-132296786, -1486552928]);
    assert.deepEqual(tenantLockKey("017f22e2-79b0-7cc3-98c4-dc0c0c07398f"), [25109218, -1731929076]);
    assert.deepEqual(tenantLockKey("00000000-0000-0000-0000-000000000000"), [0, 0]);
    assert.deepEqual(tenantLockKey("ffffffff-ffff-ffff-ffff-ffffffffffff"), [-1, -1]);
    assert.ok(Object.isFrozen(tenantLockKey(UUID)));
  });

  test("other strings hash with 64-bit FNV-1a over UTF-8, as signed int64", () => {
    assert.equal(tenantLockKey("acme"), 514768821131075087n);
    // Reference vectors of FNV-1a 64 (0xaf63dc4c8601ec8c, 0x85944171f73967e8, the offset basis).
    assert.equal(tenantLockKey("a"), BigInt.asIntN(64, 0xaf63dc4c8601ec8cn));
    assert.equal(tenantLockKey("a"), -5808556873153909620n);
    assert.equal(tenantLockKey("foobar"), -8821353812377114648n);
    assert.equal(tenantLockKey(""), -3750763034362895579n);
    assert.equal(tenantLockKey("café"), 5253592154431032713n);
    assert.equal(tenantLockKey("tenant-42"), 2973703394120846818n);
    assert.equal(tenantLockKey(" 42"), tenantLockKey(" 42"));
    assert.notEqual(tenantLockKey(" 42"), 42n);
  });

  test("a tenant of another type throws TypeError", () => {
    assert.throws(() => tenantLockKey(null as unknown as string), TypeError);
    assert.throws(() => tenantLockKey({} as unknown as string), TypeError);
  });
});

describe("writeLockKey()", () => {
  const write = { resource: "accounts", action: "open", tenant: "acme" };

  test("the global scope takes the global key, tenant or not", () => {
    assert.equal(writeLockKey({ scope: "global" }, write), GLOBAL_LOCK_KEY);
  });

  test("the tenant scope takes the tenant's key, and the global key for a write without a tenant", () => {
    assert.equal(writeLockKey({ scope: "tenant" }, write), tenantLockKey("acme"));
    assert.equal(writeLockKey({ scope: "tenant" }, { ...write, tenant: null }), GLOBAL_LOCK_KEY);
  });

  test("a custom function gets resource, action and tenant (undefined for none), and its key is validated", () => {
    const seen: unknown[] = [];
    const key = (input: unknown): LockKey => (seen.push(input), 9n);
    assert.equal(writeLockKey({ key }, write), 9n);
    assert.equal(writeLockKey({ key }, { ...write, tenant: null }), 9n);
    assert.deepEqual(seen, [write, { ...write, tenant: undefined }]);
    assert.throws(() => writeLockKey({ key: () => 9 as never }, write), TypeError);
  });
});

describe("validateLockKey()", () => {
  test("accepts an int64 bigint and a pair of int32 numbers", () => {
    assert.equal(validateLockKey(7n), 7n);
    assert.equal(validateLockKey(-(2n ** 63n)), -(2n ** 63n));
    assert.deepEqual(validateLockKey([1, -2]), [1, -2]);
    assert.deepEqual(validateLockKey([2 ** 31 - 1, -(2 ** 31)]), [2 ** 31 - 1, -(2 ** 31)]);
    assert.ok(Object.isFrozen(validateLockKey([1, 2])));
  });

  test("out-of-range keys throw RangeError", () => {
    assert.throws(() => validateLockKey(2n ** 63n), RangeError);
    assert.throws(() => validateLockKey([2 ** 31, 0]), RangeError);
    assert.throws(() => validateLockKey([0, -(2 ** 31) - 1]), RangeError);
  });

  test("other shapes throw TypeError", () => {
    for (const key of [42, "42", null, undefined, [], [1], [1, 2, 3], [1.5, 2], [1n, 2n], ["1", "2"], { 0: 1, 1: 2 }]) {
      assert.throws(
        () => validateLockKey(key),
        TypeError,
        JSON.stringify(key, (_, v) => typeof v === "bigint" ? `${v}n` : v),
      );
    }
  });

  test("the number error says to write a bigint", () => {
    assert.throws(() => validateLockKey(42), { name: "TypeError", message: /42n/ });
  });
});

describe("how Postgres sees each key (pg_locks)", () => {
  const holder = new pg.Client({ connectionString: DATABASE_URL });
  const observer = new pg.Client({ connectionString: DATABASE_URL });
  let holderPid = 0;

  before(async () => {
    await holder.connect();
    await observer.connect();
    holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  });

  after(async () => {
    await holder.end();
    await observer.end();
  });

  /** Take the key in a transaction on `holder`; read its lock from `observer`. */
  async function locked(key: LockKey): Promise<{ classid: string; objid: string; objsubid: number }[]> {
    await holder.query("BEGIN");
    try {
      if (typeof key === "bigint") await holder.query("SELECT pg_advisory_xact_lock($1::bigint)", [key.toString()]);
      else await holder.query("SELECT pg_advisory_xact_lock($1::int, $2::int)", [key[0], key[1]]);
      const { rows } = await observer.query<{ classid: string; objid: string; objsubid: number }>(
        "SELECT classid::bigint::text AS classid, objid::bigint::text AS objid, objsubid::int AS objsubid " +
          "FROM pg_locks WHERE locktype = 'advisory' AND pid = $1",
        [holderPid],
      );
      return rows;
    } finally {
      await holder.query("ROLLBACK");
    }
  }

  /** What Postgres stores for one int64 key: high and low 32 bits, unsigned. */
  function int64Lock(key: bigint) {
    const unsigned = BigInt.asUintN(64, key);
    return [{ classid: String(unsigned >> 32n), objid: String(unsigned & 0xffffffffn), objsubid: 1 }];
  }

  test("the global key is classid 0, objid 2147483647, objsubid 1", async () => {
    assert.deepEqual(await locked(GLOBAL_LOCK_KEY), [{ classid: "0", objid: "2147483647", objsubid: 1 }]);
  });

  test("a bigint key is split into its high and low 32 bits, unsigned, objsubid 1", async () => {
    for (const key of [tenantLockKey(42), tenantLockKey(-1), tenantLockKey("acme"), tenantLockKey("a")] as bigint[]) {
      assert.deepEqual(await locked(key), int64Lock(key), String(key));
    }
    assert.deepEqual(await locked(-1n), [{ classid: "4294967295", objid: "4294967295", objsubid: 1 }]);
    assert.deepEqual(await locked(514768821131075087n), [{ classid: "119853955", objid: "4109819407", objsubid: 1 }]);
  });

  test("a UUID's two int32 keys are classid and objid as unsigned, objsubid 2", async () => {
    assert.deepEqual(await locked(tenantLockKey(UUID)), [{ classid: "4162670510", objid: "2808414368", objsubid: 2 }]);
    assert.deepEqual(await locked([1, 2]), [{ classid: "1", objid: "2", objsubid: 2 }]);
  });

  test("the lock is gone once the transaction ends", async () => {
    await locked(GLOBAL_LOCK_KEY);
    const { rows } = await observer.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = $1", [
      holderPid,
    ]);
    assert.equal(rows.length, 0);
  });
});
