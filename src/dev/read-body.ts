/**
 * Reading the request body under the size limit (spec §8: 413 beyond it).
 * @module
 */

import { ProxyError } from "./errors.ts";

function tooLarge(max: number): ProxyError {
  return new ProxyError(413, `request is too large (max is ${max} bytes)`);
}

/**
 * Read a request body as UTF-8 text, failing as soon as it grows beyond `max` bytes.
 *
 * @param request the request
 * @param max the limit in bytes
 * @returns the body text
 * @throws {ProxyError} 413 when the body is too large, 400 when it is not UTF-8
 */
export async function readBody(request: Request, max: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) throw tooLarge(max);
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ProxyError(400, "could not parse the HTTP request body: the body is not valid UTF-8");
  }
}
