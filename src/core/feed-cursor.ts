/**
 * The feed's opaque cursor: the last `(tx_id, position)` a reader has seen, bound to the read
 * it came from (event table, tenant scope, resource filter) and checked on the way back in.
 *
 * The cursor is not a secret and grants nothing: the tenant a read returns comes from the
 * store, never from the cursor. The check catches cursors that were cut, edited, mixed up
 * between feeds or made by hand, before anything is sent.
 * @module
 */
import type { FeedPoint } from "../sql/read-events.ts";
import { ValidationError } from "./errors.ts";
import { fnv1a32, fromBase64Url, toBase64Url } from "./cursor-text.ts";

const PREFIX = "f1.";
const XID8_MAX = (1n << 64n) - 1n;
const POSITION_MAX = (1n << 63n) - 1n;
const MAX_LENGTH = 256;
const BODY = /^(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,18})\.([0-9a-f]{8})$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** What a cursor is bound to: the read that returned it. */
export interface FeedScope {
  /** The event table, as quoted SQL. */
  readonly table: string;
  /** The tenant filter: a tenant id, `null` (events without a tenant) or `undefined` (all tenants). */
  readonly tenant: string | null | undefined;
  /** The resource filter, if any. */
  readonly resource: string | undefined;
}

/** The start of the feed (before every event). */
export const FEED_START: FeedPoint = Object.freeze({ txId: "0", position: 0n });

function check(scope: FeedScope, txId: string, position: bigint): string {
  const tenant = scope.tenant === undefined ? ["all"] : scope.tenant === null ? ["none"] : ["one", scope.tenant];
  return fnv1a32(JSON.stringify([1, scope.table, tenant, scope.resource ?? null, txId, String(position)]));
}

/** Encode the cursor of `point` for reads of `scope`. */
export function encodeFeedCursor(scope: FeedScope, point: FeedPoint): string {
  return PREFIX + toBase64Url(`${point.txId}.${point.position}.${check(scope, point.txId, point.position)}`);
}

function invalid(): ValidationError {
  const message = "after is not a cursor returned by this feed (same table, tenant and resource filter)";
  return new ValidationError(message, [{ path: "after", message, kind: "cursor" }]);
}

/**
 * Decode a cursor that a read of `scope` returned.
 * @throws {ValidationError} (path `after`) when it is not one: malformed, edited, or from another feed
 */
export function decodeFeedCursor(scope: FeedScope, cursor: unknown): FeedPoint {
  if (typeof cursor !== "string" || cursor.length > MAX_LENGTH || !cursor.startsWith(PREFIX)) throw invalid();
  const encoded = cursor.slice(PREFIX.length);
  if (!BASE64URL.test(encoded)) throw invalid();
  const body = fromBase64Url(encoded);
  const match = body === undefined ? null : BODY.exec(body);
  if (match === null || toBase64Url(body!) !== encoded) throw invalid();
  const txId = match[1]!;
  const position = BigInt(match[2]!);
  if (BigInt(txId) > XID8_MAX || position > POSITION_MAX || match[3] !== check(scope, txId, position)) throw invalid();
  return Object.freeze({ txId, position });
}
