/**
 * The text of opaque cursors: a base64url body with a check over what the cursor is bound to.
 * Shared by the feed's cursor (`feed-cursor.ts`) and the history and audit cursors
 * (`src/history/position-cursor.ts`). The check is no secret and grants nothing; it catches
 * cursors that were cut, edited or used with another read before anything is sent.
 * @module
 */

/** FNV-1a (32 bits) of the UTF-8 bytes of `text`, as 8 hex digits. */
export function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

/** base64url of ASCII text, without padding. */
export function toBase64Url(ascii: string): string {
  return btoa(ascii).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The ASCII text of a base64url string, or undefined when it is not one. */
export function fromBase64Url(text: string): string | undefined {
  try {
    return atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return undefined;
  }
}
