/**
 * Decoding of the request body: one query or a batch (spec §3), an untagged union tried in
 * that order, unknown fields ignored.
 * @module
 */

import { ProxyError } from "./errors.ts";
import { jsonParamToText } from "./params.ts";

/** One statement to run, its parameters already converted to Postgres text. */
export interface Statement {
  /** The SQL text: exactly one statement. */
  readonly text: string;
  /** Text parameters, `null` for SQL NULL. */
  readonly params: readonly (string | null)[];
  /** The per-query `arrayMode`, when the body set one; it overrides `Neon-Array-Mode`. */
  readonly arrayMode: boolean | undefined;
}

/** A decoded body: a single query or a batch (which may be empty). */
export type Payload =
  | { readonly kind: "query"; readonly statement: Statement }
  | { readonly kind: "batch"; readonly statements: readonly Statement[] };

const PREFIX = "could not parse the HTTP request body: ";
const NO_VARIANT = "data did not match any variant of untagged enum Payload";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeQuery(value: unknown): Statement | null {
  if (!isRecord(value) || typeof value["query"] !== "string") return null;
  const params = value["params"];
  const arrayMode = value["arrayMode"];
  if (params !== undefined && !Array.isArray(params)) return null;
  if (arrayMode !== undefined && arrayMode !== null && typeof arrayMode !== "boolean") return null;
  return {
    text: value["query"],
    params: (params ?? []).map(jsonParamToText),
    arrayMode: typeof arrayMode === "boolean" ? arrayMode : undefined,
  };
}

/**
 * Decode an already JSON-parsed body.
 *
 * @param json the parsed body
 * @returns the payload
 * @throws {ProxyError} 400 `could not parse the HTTP request body: ...` for any other shape
 */
export function decodePayload(json: unknown): Payload {
  const single = decodeQuery(json);
  if (single !== null) return { kind: "query", statement: single };
  if (isRecord(json) && Array.isArray(json["queries"])) {
    const statements = json["queries"].map(decodeQuery);
    if (statements.every((s): s is Statement => s !== null)) return { kind: "batch", statements };
  }
  throw new ProxyError(400, PREFIX + NO_VARIANT);
}

/**
 * Parse the body text as JSON, ignoring any `Content-Type`.
 *
 * @param text the body
 * @returns the parsed JSON value
 * @throws {ProxyError} 400 when the body is not JSON; the message never quotes the body
 */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProxyError(400, `${PREFIX}the body is not valid JSON`);
  }
}
