/**
 * The HTTP responses of the SQL handler: JSON with Neon's headers, the CORS preflight, and the
 * wrong-route answer (spec §1). Neon answers `Access-Control-Allow-Origin: *`; this server
 * names an allowed origin only (see `access.ts`), which the handler adds.
 * @module
 */

import { TOKEN_HEADER } from "./access.ts";
import { isPostgresError, postgresErrorBody, ProxyError, proxyErrorBody } from "./errors.ts";

/** A superset of Neon's list: Neon omits `Neon-Batch-Deferrable`, `Content-Type` and the token. */
const ALLOWED_HEADERS = [
  "Authorization",
  "Neon-Connection-String",
  "Neon-Raw-Text-Output",
  "Neon-Array-Mode",
  "Neon-Pool-Opt-In",
  "Neon-Batch-Read-Only",
  "Neon-Batch-Isolation-Level",
  "Neon-Batch-Deferrable",
  "Content-Type",
  TOKEN_HEADER,
].join(", ");

/**
 * A JSON response with Neon's common headers.
 *
 * @param status the HTTP status
 * @param body the JSON text
 * @param extra more headers (the batch echo headers)
 * @returns the response
 */
export function jsonResponse(status: number, body: string, extra: readonly [string, string][] = []): Response {
  const headers = new Headers([...extra]);
  headers.set("Content-Type", "application/json");
  headers.set("Neon-Request-Id", crypto.randomUUID());
  return new Response(body, { status, headers });
}

/**
 * The answer to `OPTIONS /sql`: 200, empty body, the allowed headers, and
 * `Access-Control-Allow-Origin` when the origin is allowed (with Chrome's private network access
 * answer when the preflight asks for it).
 *
 * @param request the preflight
 * @param cors `Access-Control-Allow-Origin` and `Vary` for an allowed origin, else nothing
 * @returns the response
 */
export function preflightResponse(request: Request, cors: readonly [string, string][]): Response {
  const headers = new Headers([
    ["Allow", "OPTIONS, POST"],
    ["Access-Control-Allow-Headers", ALLOWED_HEADERS], // grant nothing without an allowed origin
    ["Access-Control-Max-Age", "86400"],
  ]);
  if (cors.length > 0) {
    for (const [name, value] of cors) headers.set(name, value);
    if (request.headers.get("access-control-request-private-network") === "true") {
      headers.set("Access-Control-Allow-Private-Network", "true");
    }
  }
  return new Response(null, { status: 200, headers });
}

/**
 * The answer to any other path or method: 400 with the JSON string `"query is not supported"`.
 *
 * @returns the response
 */
export function unsupportedResponse(): Response {
  return jsonResponse(400, JSON.stringify("query is not supported"));
}

/**
 * The response for an error: 400 with every field for Postgres errors, the error's status for
 * proxy errors, 500 for anything else (without its message, which may hold details).
 *
 * @param err what was thrown
 * @returns the response
 */
export function errorResponse(err: unknown): Response {
  if (err instanceof ProxyError) return jsonResponse(err.status, JSON.stringify(proxyErrorBody(err.message, err.code)));
  if (isPostgresError(err)) return jsonResponse(400, JSON.stringify(postgresErrorBody(err)));
  return jsonResponse(500, JSON.stringify(proxyErrorBody("internal error of the local SQL-over-HTTP server")));
}
