/**
 * JSON responses of the router: bigints (record attributes of `bigint` columns) as decimal
 * strings, as positions are; `Cache-Control: private` (an answer depends on the caller's tenant
 * and grant, so no shared cache may keep it; `no-cache` makes a client revalidate with its ETag).
 * @module
 */

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * A JSON response.
 *
 * @param body anything JSON can hold, bigints included
 * @param status the status (200 by default)
 * @returns the response
 */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, replacer), {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "private, no-cache" },
  });
}
