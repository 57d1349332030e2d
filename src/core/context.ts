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
   * The event id (a ULID) and idempotency key. Repeating a call with the same event id
   * returns the original outcome and writes nothing new. Generated when omitted.
   */
  readonly eventId?: string;
}
