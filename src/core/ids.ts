/**
 * Identifiers: ULIDs for events, UUIDv7 for records, and their validators.
 *
 * Both generators are monotonic within one JavaScript realm (isolate, worker): ids made
 * in the same millisecond still sort in creation order. Randomness comes from
 * `crypto.getRandomValues` only, and none is drawn at import time (workerd forbids
 * random values outside a request).
 * @module
 */
import { decodeTime, monotonicFactory } from "ulid";

const POOL_SIZE = 256;
let pool: Uint8Array<ArrayBuffer> | undefined;
let poolIndex = POOL_SIZE;

/** One random byte from a pooled `crypto.getRandomValues` buffer. */
function randomByte(): number {
  if (pool === undefined) pool = new Uint8Array(POOL_SIZE);
  if (poolIndex >= POOL_SIZE) {
    crypto.getRandomValues(pool);
    poolIndex = 0;
  }
  return pool[poolIndex++] as number;
}

// Passing a PRNG skips the package's environment detection, which looks for `window`,
// `global` or `self` and, in its Node build, `node:crypto`. A byte / 256 maps to one of
// the 32 Crockford characters uniformly (256 is a multiple of 32).
const nextUlid = monotonicFactory(() => randomByte() / 256);

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Make a new event id: a ULID from a monotonic factory.
 *
 * @returns 26 uppercase Crockford base32 characters; 48-bit millisecond time, then 80
 *   bits that are random for the first id of a millisecond and incremented for the next
 * @example
 * ```ts
 * newEventId() // => "01JD8X3M5Q7ZK2N4P6R8T0V2W4"
 * ```
 */
export function newEventId(): string {
  return nextUlid();
}

/**
 * Whether a value is a ULID in canonical form: 26 Crockford base32 characters, uppercase,
 * the first one 0-7 (so the time fits 48 bits). Lowercase is rejected on purpose: event
 * ids are text keys, and `01h...` and `01H...` would be two keys that sort apart.
 *
 * @param value anything
 * @returns true when `value` is a canonical ULID string
 * @example
 * ```ts
 * isUlid("01ARZ3NDEKTSV4RRFFQ69G5FAV") // => true
 * isUlid("01arz3ndektsv4rrffq69g5fav") // => false
 * ```
 */
export function isUlid(value: unknown): value is string {
  return typeof value === "string" && ULID.test(value);
}

/**
 * The time embedded in a ULID.
 *
 * @param id a canonical ULID (see {@link isUlid})
 * @returns the Date of its 48-bit millisecond timestamp
 * @throws {TypeError} when `id` is not a canonical ULID
 * @example
 * ```ts
 * ulidTime("01ARYZ6S41TSV4RRFFQ69G5FAV").getTime() // => 1469918176385
 * ```
 */
export function ulidTime(id: string): Date {
  if (!isUlid(id)) throw new TypeError("Expected a ULID: 26 uppercase Crockford base32 characters");
  return new Date(decodeTime(id));
}

let lastMs = -1;
let counter = 0;

/**
 * Make a new UUIDv7 (RFC 9562): 48-bit Unix millisecond time, version 7, a 12-bit
 * counter in `rand_a`, variant `10`, and 62 random bits.
 *
 * Within one millisecond the counter starts at a random value below 2048 and increments,
 * so ids sort in creation order. Should it overflow, or the clock step back, the
 * timestamp is carried forward by one millisecond (RFC 9562 section 6.2, method 1).
 *
 * @returns a lowercase hyphenated UUID
 * @example
 * ```ts
 * newUuidV7() // => "01936f4e-8a2b-7c01-9f3e-5d2a7b1c4e60"
 * ```
 */
export function newUuidV7(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const seed = (((bytes[6] as number) << 8) | (bytes[7] as number)) & 0x7ff;
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = seed;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = seed;
  }
  const high = Math.floor(lastMs / 2 ** 32);
  const low = lastMs >>> 0;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes[2] = low >>> 24;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Whether a value is a UUID string: 8-4-4-4-12 hexadecimal digits, any case, any version
 * (the nil and max UUIDs included).
 *
 * @param value anything
 * @returns true when `value` has the UUID text form
 * @example
 * ```ts
 * isUuid("017F22E2-79B0-7CC3-98C4-DC0C0C07398F") // => true
 * isUuid("017f22e279b07cc398c4dc0c0c07398f") // => false (no dashes)
 * ```
 */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/**
 * The time embedded in a UUIDv7.
 *
 * @param id a UUID whose version is 7 and variant `10`
 * @returns the Date of its 48-bit millisecond timestamp
 * @throws {TypeError} when `id` is not a UUIDv7
 * @example
 * ```ts
 * uuidV7Time("017f22e2-79b0-7cc3-98c4-dc0c0c07398f").toISOString() // => "2022-02-22T19:22:22.000Z"
 * ```
 */
export function uuidV7Time(id: string): Date {
  if (!isUuid(id) || id[14] !== "7" || !"89abAB".includes(id[19] as string)) {
    throw new TypeError("Expected a UUIDv7: version 7, variant 10");
  }
  return new Date(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
