/**
 * Encrypting one JSON value into its envelope and back, with Web Crypto only (AES-GCM):
 *
 * - plaintext: the UTF-8 bytes of the value's JSON text (`JSON.stringify` of its stored form);
 * - nonce: 12 random bytes per value (`iv`);
 * - additional data: the UTF-8 bytes of `edge-events/v1`, NUL, the event id, NUL, the place
 *   (`data.email`): a ciphertext moved to another event or field fails to decrypt;
 * - `ct`: the ciphertext with the 16-byte tag appended, as Web Crypto returns it;
 * - `iv` and `ct` in base64url without padding (RFC 4648 §5).
 * @module
 */
import type { JsonValue } from "./json.ts";
import type { KeyringKey } from "./keyring.ts";
import type { EncryptedValue } from "./sensitive-markers.ts";

const encoder = /* @__PURE__ */ new TextEncoder();
const decoder = /* @__PURE__ */ new TextDecoder("utf-8", { fatal: true });

/** The additional authenticated data of a value: its event and its place. */
export function envelopeAad(eventId: string, field: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`edge-events/v1\u0000${eventId}\u0000${field}`);
}

/** Bytes as base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (padding optional) as bytes; undefined for anything else. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "="));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Encrypt `value` (already in its JSON form) for `field` of event `eventId`.
 *
 * @returns the envelope to store in place of the value
 */
export async function sealValue(
  key: KeyringKey,
  value: JsonValue,
  where: { readonly eventId: string; readonly field: string },
): Promise<EncryptedValue> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: envelopeAad(where.eventId, where.field) },
    key.key,
    encoder.encode(JSON.stringify(value)),
  );
  return Object.freeze({ $enc: "v1", kid: key.kid, iv: toBase64Url(iv), ct: toBase64Url(new Uint8Array(ct)) });
}

/**
 * Decrypt an envelope with its key.
 *
 * @throws {Error} (from Web Crypto, or a malformed envelope) when the envelope does not open
 *   under this key, event and field; the caller turns it into a `DecryptionError`
 */
export async function openValue(
  key: CryptoKey,
  envelope: EncryptedValue,
  where: { readonly eventId: string; readonly field: string },
): Promise<JsonValue> {
  const iv = fromBase64Url(envelope.iv);
  const ct = fromBase64Url(envelope.ct);
  if (iv === undefined || ct === undefined || iv.length !== 12) throw new TypeError("Malformed envelope");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: envelopeAad(where.eventId, where.field) },
    key,
    ct,
  );
  return JSON.parse(decoder.decode(plain)) as JsonValue;
}
