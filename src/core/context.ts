/**
 * The per-call context of an action: who, why, for which tenant, and how it links to
 * other events.
 * @module
 */

/** An actor id value: a string (uuid/text columns) or an integer (bigint/integer columns). */
export type ActorId = string | number | bigint;

/**
 * What an action call carries besides its input. `TActor` is the union of the actor type
 * names the event log declares, so that `actor: { usr: id }` does not compile against a log
 * whose actor is `user`.
 */
export interface ActionContext<TActor extends string = string> {
  /**
   * Who performs the action: at most one declared actor type, e.g. `{ user: userId }`.
   * Omit (or pass `{}`) for an anonymous action.
   */
  readonly actor?: [TActor] extends [never] ? { readonly [type: string]: never } : { readonly [K in TActor]?: ActorId };
  /**
   * JSON stored with the event as given (`{ source: "api", requestId }`). Values JSON cannot
   * hold exactly (NaN, text with NUL or lone surrogates, Maps, deeper than 64 levels, ...) are
   * refused with `VALIDATION_FAILED`; own `__proto__` keys stay plain data.
   */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * The tenant, required for multi-tenant resources. A tenant in the UUID text form is
   * stored, locked and replayed in lower case; text with NUL or a lone surrogate is refused.
   */
  readonly tenant?: string | number | bigint;
  /** Correlation id (non-empty, well-formed text) shared by a request's events. Generated (a ULID) when omitted. */
  readonly correlationId?: string;
  /** The id of the event that caused this one (set for actions called from `after` hooks). */
  readonly causationId?: string;
  /**
   * The parent of this call's event (a ULID): an earlier event of the same record, for
   * branching histories (a chat tree, a document's alternative edits). Stored in the event's
   * `parent_id`; the database refuses an event of another record or tenant, or none, with
   * `VALIDATION_FAILED` naming `parentEventId`, and nothing is written. See `ancestors`.
   */
  readonly parentEventId?: string;
  /**
   * The event id (a ULID) and idempotency key. Repeating a call with the same event id
   * returns the original outcome and writes nothing new. Generated when omitted.
   */
  readonly eventId?: string;
}

/**
 * The context of an update or destroy call: an {@link ActionContext} plus an optional
 * precondition on the record, for optimistic concurrency (an HTTP `If-Match`).
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineResource, type EventStore } from "edge-events";
 *
 * const Account = defineResource({
 *   name: "account", table: "accounts",
 *   attributes: v.object({ id: v.string(), balance: v.number() }),
 *   actions: ({ create, update }) => ({
 *     open: create({ defaults: { balance: 0 } }),
 *     double: update({ change: (account) => ({ balance: account.balance * 2 }) }),
 *   }),
 * });
 *
 * async function openAndDouble(store: EventStore): Promise<void> {
 *   const accounts = store.resource(Account);
 *   const opened = await accounts.open();
 *   // One round trip: the record and position held replace the read of a change function,
 *   // and the write happens only if no other event touched the account since.
 *   const doubled = await accounts.double(opened.record.id, {}, {
 *     expectedPosition: opened.event!.position,
 *     record: opened.record,
 *   });
 *   console.log(doubled.event!.position); // the position to expect next
 * }
 * ```
 */
export interface ChangeCallContext<TAttrs = Record<string, unknown>, TActor extends string = string>
  extends ActionContext<TActor> {
  /**
   * Write only if the record's last event is at this position (the `event.position` of the
   * result that last touched it; `0n`: the record has no event, as after an ignored create).
   * Checked in the write batch, under the write locks: when it moved, nothing is written and
   * the call rejects with `STALE_RECORD` (a `StaleRecordError`), never retried. A bigint
   * from 0 to 2^63 - 1, else `VALIDATION_FAILED` naming `expectedPosition`.
   *
   * An event id the store already holds wins over the position: a call repeated with its
   * `eventId` returns its first outcome (`duplicate: true`), although its own event moved the
   * record on.
   */
  readonly expectedPosition?: bigint;
  /**
   * The record as it was at `expectedPosition` (only with it): a change-function update then
   * computes from it instead of reading the record first, so the call is one round trip. It is
   * validated against the resource's attributes (`VALIDATION_FAILED` naming `record.<path>`)
   * and compared with the stored row in the write itself, attribute by attribute (timestamps at
   * millisecond precision): a record that is not the stored one is `STALE_RECORD` and nothing
   * is written, so a record from an untrusted client cannot steer the change. Calls that do not
   * read (no change function) ignore it, and so do event-only resources (`table: false`), which
   * read the record's events first.
   */
  readonly record?: TAttrs;
}
