/**
 * The opaque keyset cursor of history and audit pages: the last position a page returned and
 * the direction it reads in, bound to the read it came from (event table, tenant, the kind of
 * read and its filters) and checked on the way back in. Keyset, never OFFSET: a page after a
 * cursor is one index range scan however deep it is.
 * @module
 */
import { fnv1a32, fromBase64Url, toBase64Url } from "../core/cursor-text.ts";
import { ValidationError } from "../core/errors.ts";

const PREFIX = "p1.";
// A literal, not (1n << 63n) - 1n: a bundler keeps top-level expressions it cannot prove pure.
const POSITION_MAX = 9223372036854775807n;
const MAX_LENGTH = 256;
const BODY = /^(0|[1-9][0-9]{0,18})\.([fb])\.([0-9a-f]{8})$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Which way a page reads: `forward` in position order, `backward` newest first. */
export type Direction = "forward" | "backward";

/** What a cursor is bound to: the read that returned it. */
export interface CursorScope {
  /** The event table, as quoted SQL. */
  readonly table: string;
  /** The tenant filter: a tenant id, `null` (events without a tenant) or `undefined` (all tenants). */
  readonly tenant: string | null | undefined;
  /** The kind of read (`history`, `audit`, ...). */
  readonly read: string;
  /** The read's filters, JSON-encodable (bigints as strings): a cursor works only with the same ones. */
  readonly filters: unknown;
}

/** A decoded cursor: read after (forward) or before (backward) `position`. */
export interface CursorPoint {
  readonly position: bigint;
  readonly direction: Direction;
}

function check(scope: CursorScope, position: bigint, direction: Direction): string {
  const tenant = scope.tenant === undefined ? ["all"] : scope.tenant === null ? ["none"] : ["one", scope.tenant];
  return fnv1a32(JSON.stringify([1, scope.table, tenant, scope.read, scope.filters, String(position), direction]));
}

/** Encode the cursor that continues a read of `scope` from `point`. */
export function encodePositionCursor(scope: CursorScope, point: CursorPoint): string {
  const d = point.direction === "forward" ? "f" : "b";
  return PREFIX + toBase64Url(`${point.position}.${d}.${check(scope, point.position, point.direction)}`);
}

function invalid(path: string): ValidationError {
  const message = `${path} is not a cursor returned by this read (same table, tenant, filters and direction)`;
  return new ValidationError(message, [{ path, message, kind: "cursor" }]);
}

/**
 * Decode a cursor that a read of `scope` returned.
 * @throws {ValidationError} (at `path`, `cursor` by default) when it is not one: malformed,
 *   edited, from another read, another tenant or other filters
 */
export function decodePositionCursor(scope: CursorScope, cursor: unknown, path = "cursor"): CursorPoint {
  if (typeof cursor !== "string" || cursor.length > MAX_LENGTH || !cursor.startsWith(PREFIX)) throw invalid(path);
  const encoded = cursor.slice(PREFIX.length);
  if (!BASE64URL.test(encoded)) throw invalid(path);
  const body = fromBase64Url(encoded);
  const match = body === undefined ? null : BODY.exec(body);
  if (match === null || toBase64Url(body!) !== encoded) throw invalid(path);
  const position = BigInt(match[1]!);
  const direction: Direction = match[2] === "f" ? "forward" : "backward";
  if (position > POSITION_MAX || match[3] !== check(scope, position, direction)) throw invalid(path);
  return Object.freeze({ position, direction });
}
