/**
 * `revealEvent(store, event)`: an event with its encrypted values decrypted, each wrapped in
 * a {@link Sensitive} so that printing the event still shows none of them.
 * @module
 */
import type { JsonObject } from "../core/json.ts";
import { Sensitive } from "../core/sensitive-value.ts";
import { isEncrypted, isErased } from "../core/sensitive-markers.ts";
import { type EventPart, reveal } from "../core/sensitive-values.ts";
import { markOf, type SensitiveOptions } from "../core/sensitivity.ts";
import type { EventStore } from "../core/store-types.ts";
import type { StoredEvent } from "../core/stored-event.ts";

/** What {@link revealEvent} reads from the store (any `EventStore` has it). */
export type RevealStore = Pick<EventStore, "log" | "resources" | "keyring">;

/** An event as {@link revealEvent} returns it: sensitive values wrapped, markers as stored. */
export interface RevealedEvent extends Omit<StoredEvent, "data" | "changes" | "metadata"> {
  /** The input; each decrypted value a `Sensitive`, redacted ones `{ "$redacted": true }`, erased ones `{ "$erased": true }`. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The changes, the same way. */
  readonly changes: Readonly<Record<string, unknown>>;
  /** The metadata, the same way. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

async function revealPart(
  store: RevealStore,
  event: StoredEvent,
  part: EventPart,
  marks: SensitiveOptions,
): Promise<Readonly<Record<string, unknown>>> {
  const value: JsonObject = event[part];
  const clear = await reveal(value, part, marks, store.keyring, event.id);
  if (clear === value) return value;
  const out: Record<string, unknown> = { ...clear };
  for (const key of Object.keys(value)) {
    if (markOf(marks, key) !== undefined && isEncrypted(value[key]) && clear[key] !== undefined) {
      // Erased values stay the marker: there is nothing left to protect.
      if (!isErased(clear[key])) out[key] = new Sensitive(clear[key]);
    }
  }
  return Object.freeze(out);
}

/**
 * Decrypt an event's encrypted values with the store's keyring, each into a
 * {@link Sensitive} (it prints as `[sensitive]`; `reveal()` gives the value). A value whose key
 * was destroyed reads as `{ "$erased": true }`; redacted values stay `{ "$redacted": true }`.
 * Events as read (`readEvents`, `history`, the feed) hold the envelopes as stored.
 *
 * @param store the store (its log, resources and keyring)
 * @param event an event of the store's log
 * @returns the event with its sensitive values readable through `reveal()`
 * @throws {DecryptionError} code `DECRYPTION_FAILED` naming the event and field of an
 *   envelope that does not open under its key (altered)
 * @example
 * ```ts
 * import { type EventStore, revealEvent, Sensitive } from "edge-events";
 *
 * async function emailOf(store: EventStore, userId: string): Promise<string | undefined> {
 *   const [created] = await store.readEvents({ resource: "user", recordId: userId, limit: 1 });
 *   if (created === undefined) return undefined;
 *   const email = (await revealEvent(store, created)).data["email"];
 *   return email instanceof Sensitive ? String(email.reveal()) : undefined;
 * }
 * ```
 */
export async function revealEvent(store: RevealStore, event: StoredEvent): Promise<RevealedEvent> {
  const marks = store.resources.get(event.resource)?.sensitive ?? {};
  return Object.freeze({
    ...event,
    data: await revealPart(store, event, "data", marks),
    changes: await revealPart(store, event, "changes", marks),
    metadata: await revealPart(store, event, "metadata", store.log.sensitiveMetadata),
  });
}
