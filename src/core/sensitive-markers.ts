/**
 * The JSON forms a sensitive value takes in the log, and when read back:
 *
 * - `{ "$redacted": true }`: stored in place of a value marked `redact`; the value was never sent;
 * - `{ "$enc": "v1", "kid": "...", "iv": "...", "ct": "..." }`: a value marked `encrypt`,
 *   AES-256-GCM (see `envelope.ts` for every byte);
 * - `{ "$erased": true }`: what an encrypted value reads as once its key is gone (crypto-
 *   shredding). Never stored: the envelope stays in the log.
 *
 * All three are plain JSON, so a stored event stays a plain JSON value (what a hash chain
 * hashes), prints without a secret and crosses `eventToJson` unchanged.
 * @module
 */
import type { JsonObject, JsonValue } from "./json.ts";

/** How a sensitive attribute, input or metadata key is stored. */
export type SensitiveMode = "redact" | "encrypt";

/** The marker stored in place of a redacted value. */
export interface RedactedMarker {
  /** Always `true`. */
  readonly $redacted: true;
}

/** What an encrypted value reads as once its key was destroyed. */
export interface ErasedMarker {
  /** Always `true`. */
  readonly $erased: true;
}

/** An encrypted value as stored: version, key id, nonce and ciphertext (base64url, no padding). */
export interface EncryptedValue {
  /** The envelope version: `"v1"`. */
  readonly $enc: "v1";
  /** The id of the key it was encrypted with, as the keyring named it. */
  readonly kid: string;
  /** The 96-bit AES-GCM nonce, base64url. */
  readonly iv: string;
  /** The ciphertext with its 128-bit tag appended, base64url. */
  readonly ct: string;
}

/**
 * The redaction marker, as stored and as read.
 *
 * @example
 * ```ts
 * import { REDACTED } from "edge-events";
 *
 * JSON.stringify(REDACTED); // '{"$redacted":true}'
 * ```
 */
export const REDACTED: RedactedMarker = /* @__PURE__ */ Object.freeze({ $redacted: true });

/**
 * The erasure marker: an encrypted value whose key the keyring no longer has.
 *
 * @example
 * ```ts
 * import { ERASED } from "edge-events";
 *
 * JSON.stringify(ERASED); // '{"$erased":true}'
 * ```
 */
export const ERASED: ErasedMarker = /* @__PURE__ */ Object.freeze({ $erased: true });

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasExactly(value: Readonly<Record<string, unknown>>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

/**
 * Whether `value` is the redaction marker (`{ "$redacted": true }`).
 *
 * @example
 * ```ts
 * import { isRedacted, type StoredEvent } from "edge-events";
 *
 * function passwordWasGiven(event: StoredEvent): boolean {
 *   return isRedacted(event.data["password"]);
 * }
 * ```
 */
export function isRedacted(value: unknown): value is RedactedMarker {
  return isObject(value) && value["$redacted"] === true && hasExactly(value, ["$redacted"]);
}

/**
 * Whether `value` is the erasure marker (`{ "$erased": true }`): an encrypted value whose key
 * was destroyed.
 *
 * @example
 * ```ts
 * import { isErased } from "edge-events";
 *
 * function show(value: unknown): string {
 *   return isErased(value) ? "(erased)" : String(value);
 * }
 * ```
 */
export function isErased(value: unknown): value is ErasedMarker {
  return isObject(value) && value["$erased"] === true && hasExactly(value, ["$erased"]);
}

/**
 * Whether `value` is an encrypted value's envelope.
 *
 * @example
 * ```ts
 * import { isEncrypted, type StoredEvent } from "edge-events";
 *
 * function encryptedKeys(event: StoredEvent): string[] {
 *   return Object.keys(event.data).filter((key) => isEncrypted(event.data[key]));
 * }
 * ```
 */
export function isEncrypted(value: unknown): value is EncryptedValue {
  return isObject(value) && value["$enc"] === "v1" && typeof value["kid"] === "string" &&
    typeof value["iv"] === "string" && typeof value["ct"] === "string" &&
    hasExactly(value, ["$enc", "kid", "iv", "ct"]);
}

/** Whether `value` is a marker (redacted or erased): a value the log cannot give back. */
export function isMarker(value: unknown): value is RedactedMarker | ErasedMarker {
  return isRedacted(value) || isErased(value);
}

/** The JSON form of a marker or envelope, for a `JsonObject`. */
export function markerJson(value: RedactedMarker | ErasedMarker | EncryptedValue): JsonValue {
  return value as unknown as JsonObject;
}
