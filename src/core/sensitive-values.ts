/**
 * Sensitive values on their way into the log (`protect`: redact or encrypt each marked
 * top-level key of `data`, `changes` or `metadata`) and back out (`reveal`: decrypt each
 * envelope, or the erasure marker when its key is gone). Only marked keys are touched, so a
 * value that merely looks like an envelope at another key stays what it is.
 * @module
 */
import { DecryptionError } from "./errors.ts";
import { openValue, sealValue } from "./envelope.ts";
import type { JsonObject } from "./json.ts";
import type { Keyring, KeyringKey } from "./keyring.ts";
import { ERASED, isEncrypted, isRedacted, markerJson, REDACTED } from "./sensitive-markers.ts";
import { markOf, type SensitiveOptions } from "./sensitivity.ts";

/** Which part of an event a value sits in. */
export type EventPart = "data" | "changes" | "metadata";

/** How to encrypt the values of one event: its id, and the key of its subject (fetched once). */
export interface ProtectTarget {
  readonly eventId: string;
  /** The keyring's current key of the event's subject; called at most once per event. */
  readonly key: () => Promise<KeyringKey>;
}

/** The key of an event's subject, fetched once however many values it encrypts. */
export function subjectKey(keyring: Keyring | undefined, subject: () => string): () => Promise<KeyringKey> {
  let key: Promise<KeyringKey> | undefined;
  return () => {
    if (keyring === undefined) {
      return Promise.reject(
        new TypeError("A value marked encrypt needs the store's keyring (createEventStore({ keyring }))"),
      );
    }
    return key ??= Promise.resolve(keyring.currentKey(subject()));
  };
}

/**
 * `value` with each marked key redacted or encrypted. Unmarked keys, and objects without a
 * marked key, are returned as they are (the same object).
 */
export async function protect(
  value: JsonObject,
  part: EventPart,
  marks: SensitiveOptions,
  target: ProtectTarget,
): Promise<JsonObject> {
  let out: JsonObject | undefined;
  for (const key of Object.keys(value)) {
    const mode = markOf(marks, key);
    if (mode === undefined) continue;
    out ??= { ...value };
    out[key] = mode === "redact" ? markerJson(REDACTED) : markerJson(
      await sealValue(await target.key(), value[key]!, { eventId: target.eventId, field: `${part}.${key}` }),
    );
  }
  return out ?? value;
}

/**
 * `value` with each marked key's envelope decrypted: its JSON value, or {@link ERASED} when the
 * keyring no longer has its key. Redaction markers and values stored in clear (before the key
 * was marked) stay as they are.
 * @throws {DecryptionError} when a key exists and the envelope does not open under it
 * @throws {TypeError} when an envelope is found and the store has no keyring
 */
export async function reveal(
  value: JsonObject,
  part: EventPart,
  marks: SensitiveOptions,
  keyring: Keyring | undefined,
  eventId: string,
): Promise<JsonObject> {
  let out: JsonObject | undefined;
  for (const key of Object.keys(value)) {
    const stored = value[key];
    if (markOf(marks, key) === undefined || !isEncrypted(stored)) continue;
    if (keyring === undefined) {
      throw new TypeError("The log holds encrypted values: give the store its keyring (createEventStore({ keyring }))");
    }
    out ??= { ...value };
    const field = `${part}.${key}`;
    const cryptoKey = await keyring.keyFor(stored.kid);
    if (cryptoKey === null) {
      out[key] = markerJson(ERASED);
      continue;
    }
    try {
      out[key] = await openValue(cryptoKey, stored, { eventId, field });
    } catch (error) {
      throw new DecryptionError(eventId, field, { cause: error });
    }
  }
  return out ?? value;
}

/** Whether `value` holds a redaction marker or envelope at a marked key (something to reveal). */
export function holdsProtected(value: JsonObject, marks: SensitiveOptions): boolean {
  for (const key of Object.keys(marks)) {
    const stored = Object.hasOwn(value, key) ? value[key] : undefined;
    if (stored !== undefined && (isEncrypted(stored) || isRedacted(stored))) return true;
  }
  return false;
}
