/**
 * `bytea` text conversions without `Buffer`: the hex format both ways, and the legacy
 * escape format for reading.
 * @module
 */

const HEX_DIGITS = "0123456789abcdef";

/**
 * Write bytes as a Postgres `bytea` hex literal.
 *
 * @param bytes the bytes
 * @returns `\x` followed by two lower-case hex digits per byte
 * @example
 * ```ts
 * encodeByteaHex(new Uint8Array([0xde, 0xad])) // => "\\xdead"
 * ```
 */
export function encodeByteaHex(bytes: Uint8Array): string {
  let out = "\\x";
  for (const byte of bytes) out += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
  return out;
}

/**
 * Read the text output of a `bytea` value: the hex format (`\xdead`, the default
 * `bytea_output`) or the escape format (`a\000\\b`).
 *
 * @param text the `bytea` text
 * @returns the bytes
 * @throws {SyntaxError} when `text` is not a valid `bytea` literal
 * @example
 * ```ts
 * decodeBytea("\\xdead") // => Uint8Array [0xde, 0xad]
 * ```
 */
export function decodeBytea(text: string): Uint8Array {
  return text.startsWith("\\x") ? decodeHex(text) : decodeEscape(text);
}

function decodeHex(text: string): Uint8Array {
  const digits = text.length - 2;
  if (digits % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text.slice(2))) throw malformed();
  const bytes = new Uint8Array(digits / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = Number.parseInt(text.slice(2 + i * 2, 4 + i * 2), 16);
  }
  return bytes;
}

function decodeEscape(text: string): Uint8Array {
  const bytes: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < text.length;) {
    if (text[i] !== "\\") {
      const codePoint = text.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      bytes.push(...utf8.encode(char));
      i += char.length;
    } else if (text[i + 1] === "\\") {
      bytes.push(0x5c);
      i += 2;
    } else if (/^[0-3][0-7]{2}$/.test(text.slice(i + 1, i + 4))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
      i += 4;
    } else {
      throw malformed();
    }
  }
  return Uint8Array.from(bytes);
}

function malformed(): SyntaxError {
  return new SyntaxError("Malformed Postgres bytea literal");
}
