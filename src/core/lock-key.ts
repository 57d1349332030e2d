/**
 * Keys of the advisory lock a write takes: the global key, keys derived from a tenant,
 * and validation of keys that custom functions return.
 * @module
 */
import type { Integrity, LockKey, LockOption } from "./event-log.ts";
import { isUuid } from "./ids.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INTEGER = /^-?[0-9]+$/;
const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/**
 * The key every write takes under the default `global` scope: `2147483647`, the key
 * AshEvents uses, so both can serialize writes to one event log.
 *
 * @example
 * ```ts
 * GLOBAL_LOCK_KEY // => 2147483647n; Postgres shows classid 0, objid 2147483647, objsubid 1
 * ```
 */
export const GLOBAL_LOCK_KEY: bigint = 2147483647n;

/**
 * Derive the advisory-lock key of a tenant (lock scope `tenant`).
 *
 * - An integer (a safe-integer number, a bigint, or a string of an optional `-` and ASCII
 *   digits) is the key itself, as a bigint. Leading zeros are ignored (`"007"` → `7n`).
 * - A UUID string (8-4-4-4-12 hex digits, any case) gives two int32 keys, AshEvents'
 *   derivation: bytes 0-3 and bytes 8-11 of the UUID, each read big-endian as a signed
 *   32-bit integer. Postgres shows them as classid and objid (unsigned), objsubid 2.
 * - Any other string is hashed with 64-bit FNV-1a over its UTF-8 bytes: start from the
 *   offset basis `0xcbf29ce484222325`; for each byte, XOR it into the hash, then multiply
 *   by the prime `0x100000001b3` modulo 2^64. The unsigned result is reinterpreted as a
 *   signed 64-bit integer (two's complement). Different tenants may share a key: that
 *   only serializes their writes, it never mixes their data.
 *
 * @param tenant the tenant id
 * @returns a bigint, or a frozen pair of int32 numbers
 * @throws {RangeError} when an integer tenant does not fit a signed 64-bit integer, or a
 *   number tenant is not a safe integer
 * @throws {TypeError} when `tenant` is not a string, number or bigint
 * @example
 * ```ts
 * tenantLockKey(42) // => 42n
 * tenantLockKey("f81d4fae-7dec-11d0-a765-00a0c91e6bf6") // => [-132296786, -1486552928]
 * tenantLockKey("acme") // => 514768821131075087n (FNV-1a 0x0724d383f4f6de0f)
 * tenantLockKey("a") // => -5808556873153909620n (FNV-1a 0xaf63dc4c8601ec8c)
 * ```
 */
export function tenantLockKey(tenant: string | number | bigint): LockKey {
  if (typeof tenant === "bigint") return int64(tenant, "A bigint tenant");
  if (typeof tenant === "number") {
    if (!Number.isSafeInteger(tenant)) {
      throw new RangeError("A number tenant must be a safe integer; pass larger ids as a bigint or a string");
    }
    return BigInt(tenant);
  }
  if (typeof tenant !== "string") throw new TypeError("A tenant must be a string, a number or a bigint");
  if (INTEGER.test(tenant)) return int64(BigInt(tenant), "An integer tenant");
  if (isUuid(tenant)) {
    const hex = tenant.replaceAll("-", "");
    return Object.freeze([int32At(hex, 0), int32At(hex, 16)] as const);
  }
  return fnv1a64(tenant);
}

/**
 * The key of the advisory lock a write takes under the log's `lock` option: the custom
 * function's key (validated), the tenant's key under scope `tenant` when the write has a
 * tenant, else {@link GLOBAL_LOCK_KEY}. Calls and adoption take their keys here alike.
 *
 * @throws {TypeError} / {RangeError} when a custom function returns an invalid key
 */
export function writeLockKey(
  lock: LockOption,
  write: { readonly resource: string; readonly action: string; readonly tenant: string | null },
): LockKey {
  if ("key" in lock) {
    return validateLockKey(
      lock.key({ resource: write.resource, action: write.action, tenant: write.tenant ?? undefined }),
    );
  }
  return lock.scope === "tenant" && write.tenant !== null ? tenantLockKey(write.tenant) : GLOBAL_LOCK_KEY;
}

/**
 * The key of the lock that orders a hash chain (docs/integrity.md), taken by every write of a
 * chained log beside its own key: the global key for a global chain and for events without a
 * tenant, else the tenant's key. Under the matching lock scope it is the write's own key, and
 * the prelude takes it once; under a custom `lock.key` function it keeps the chain in order
 * whatever keys the function returns.
 *
 * @returns the key, or undefined for a log without a chain
 * @example
 * ```ts
 * chainLockKey({ chain: true, chainScope: "tenant" }, "acme") // => 514768821131075087n
 * chainLockKey({ chain: false }, "acme") // => undefined
 * ```
 */
export function chainLockKey(integrity: Integrity, tenant: string | null): LockKey | undefined {
  if (!integrity.chain) return undefined;
  return integrity.chainScope === "tenant" && tenant !== null ? tenantLockKey(tenant) : GLOBAL_LOCK_KEY;
}

/**
 * The advisory-lock key of one record of an event-only resource, taken beside the write's
 * key under a custom `lock.key` function (whose keys need not be the same for every action of
 * a record): 64-bit FNV-1a (as {@link tenantLockKey}) of the resource, tenant and record id,
 * NUL-separated. Two records may share a key: that only serializes their writes.
 *
 * @example
 * ```ts
 * recordLockKey({ resource: "counter", tenant: undefined, recordId: "c1" }) // a bigint
 * ```
 */
export function recordLockKey(
  record: { readonly resource: string; readonly tenant: string | undefined; readonly recordId: string },
): bigint {
  return fnv1a64(`record\0${record.resource}\0${record.tenant ?? ""}\0${record.recordId}`);
}

/**
 * Validate the result of a custom lock-key function.
 *
 * @param key what the function returned
 * @returns the same bigint, or a frozen copy of the pair
 * @throws {TypeError} when `key` is neither a bigint nor a pair of integer numbers
 * @throws {RangeError} when a bigint does not fit int64 or a pair member does not fit int32
 * @example
 * ```ts
 * validateLockKey(7n) // => 7n
 * validateLockKey([1, -2]) // => [1, -2]
 * validateLockKey(7) // throws TypeError: write 7n
 * ```
 */
export function validateLockKey(key: unknown): LockKey {
  if (typeof key === "bigint") return int64(key, "A bigint lock key");
  if (Array.isArray(key) && key.length === 2) {
    const [key1, key2] = key as [unknown, unknown];
    if (!Number.isInteger(key1) || !Number.isInteger(key2)) {
      throw new TypeError("A two-part lock key must hold two integer numbers");
    }
    const pair = [key1 as number, key2 as number] as const;
    if (pair.some((k) => k < INT32_MIN || k > INT32_MAX)) {
      throw new RangeError("Each part of a two-part lock key must fit a signed 32-bit integer");
    }
    return Object.freeze(pair);
  }
  if (typeof key === "number") {
    throw new TypeError("A lock key must be a bigint, not a number: write the literal with an n suffix (42n)");
  }
  throw new TypeError("A lock key must be a bigint or a pair of int32 numbers");
}

function int64(value: bigint, what: string): bigint {
  if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${what} must fit a signed 64-bit integer`);
  return value;
}

/** The signed int32 in the 8 hex digits from `start`. */
function int32At(hex: string, start: number): number {
  return Number.parseInt(hex.slice(start, start + 8), 16) | 0;
}

function fnv1a64(text: string): bigint {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(text)) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * FNV_PRIME);
  }
  return BigInt.asIntN(64, hash);
}
