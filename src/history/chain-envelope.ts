/**
 * The envelope of a chained event (rule `edge-events/chain/1`, docs/integrity.md) built in
 * TypeScript, byte for byte what the database's chain trigger builds (`src/sql/chain-ddl.ts`),
 * and its SHA-256 through Web Crypto.
 * @module
 */

/** The first element of every envelope: the rule's name and version. */
export const CHAIN_RULE_V1 = "edge-events/chain/1";

/**
 * One event as the chain sees it: every envelope field as text exactly as stored, the jsonb
 * payloads as Postgres prints them. It is the line format of a chain export, too
 * (`edge-events export`), so a verifier never re-encodes JSON.
 */
export interface ChainedEvent {
  /** The event id. */
  readonly id: string;
  /** The position, decimal digits. */
  readonly position: string;
  /** The tenant, or null. */
  readonly tenant: string | null;
  /** The resource name. */
  readonly resource: string;
  /** The record id as text. */
  readonly recordId: string;
  /** The action name as stored. */
  readonly action: string;
  /** `create`, `update` or `destroy`. */
  readonly actionType: string;
  /** The action version. */
  readonly version: number;
  /** `occurred_at` in UTC with six fraction digits: `2024-05-01T12:00:00.123456Z`. */
  readonly occurredAt: string;
  /** The correlation id. */
  readonly correlationId: string;
  /** The causation id, or null. */
  readonly causationId: string | null;
  /** The parent event's id (a link of `parentEventId`), or null. */
  readonly parentId: string | null;
  /** The actor columns that hold a value, by column name, each as the column's text. */
  readonly actors: Readonly<Record<string, string>>;
  /** `data` as Postgres prints the jsonb value (`{"a": 1}`). */
  readonly data: string;
  /** `changes`, printed the same way. */
  readonly changes: string;
  /** `metadata`, printed the same way. */
  readonly metadata: string;
  /** The stored previous hash (lowercase hex); null at a chain's genesis or on an unchained event. */
  readonly prevHash: string | null;
  /** The stored hash (lowercase hex); null on an event written before the chain started. */
  readonly hash: string | null;
}

/**
 * The envelope text of `event`, chained to `prevHash` (null: genesis): a JSON array with no
 * whitespace between its elements, strings escaped as `JSON.stringify` (and Postgres's
 * `to_json`) escape them, the payloads as stored.
 *
 * @example
 * ```ts
 * import type { ChainedEvent } from "./chain-envelope.ts";
 * declare const event: ChainedEvent;
 * const text: string = chainEnvelope(event, event.prevHash);
 * ```
 */
export function chainEnvelope(event: ChainedEvent, prevHash: string | null): string {
  const s = (value: string | null): string => (value === null ? "null" : JSON.stringify(value));
  const actors = Object.keys(event.actors).sort().map((column) => `${s(column)}:${s(event.actors[column]!)}`);
  return "[" + [
    s(CHAIN_RULE_V1),
    s(prevHash),
    s(event.id),
    event.position,
    s(event.tenant),
    s(event.resource),
    s(event.recordId),
    s(event.action),
    s(event.actionType),
    String(event.version),
    s(event.occurredAt),
    s(event.correlationId),
    s(event.causationId),
    s(event.parentId ?? null),
    `{${actors.join(",")}}`,
    event.data,
    event.changes,
    event.metadata,
  ].join(",") + "]";
}

/** Lowercase hex of bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * SHA-256 of the UTF-8 envelope of `event` chained to `prevHash`, as lowercase hex: the hash the
 * chain trigger stores for it.
 *
 * @example
 * ```ts
 * import type { ChainedEvent } from "./chain-envelope.ts";
 * declare const event: ChainedEvent;
 * const intact = (await chainHash(event, event.prevHash)) === event.hash;
 * ```
 */
export async function chainHash(event: ChainedEvent, prevHash: string | null): Promise<string> {
  const bytes = new TextEncoder().encode(chainEnvelope(event, prevHash));
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}
