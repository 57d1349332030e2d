/**
 * Keeping values out of error messages: Postgres echoes some inputs in its primary message
 * (`invalid input syntax for type integer: "..."`), and proxies may echo URLs.
 * @module
 */
import { parseArrayLiteral } from "../pg-text/mod.ts";

/** Parameters shorter than this are not searched for: too short to be secret, too common to cut. */
const MIN_REDACTED_LENGTH = 4;
const REDACTED = "[redacted]";
const identity = (text: string): string => text;

/** `...: "<value>"` at the end of a message: how Postgres quotes rejected input. */
const TRAILING_QUOTED_VALUE = /: ".*"$/s;
/** `value "<value>" is out of range for type ...`. */
const OUT_OF_RANGE_VALUE = /^value ".*" is out of range/s;
const URL = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/**
 * Remove values from a database error message so that it can be logged.
 *
 * Cuts, in order: every occurrence of a bound parameter's text, or of an element of an array
 * parameter (4 characters or longer),
 * the quoted input at the end of messages such as `invalid input syntax for type x: "..."`
 * or `value "..." is out of range`, and anything that looks like a URL (connection strings).
 * Identifiers quoted inside the message (relation, column, constraint names) are kept.
 *
 * @param message the driver's primary message
 * @param params the text of every parameter sent with the failing request
 * @returns the message with values replaced by `[redacted]`
 * @example
 * ```ts
 * redactMessage('invalid input syntax for type integer: "hunter2"', ["hunter2"])
 * // => 'invalid input syntax for type integer: "[redacted]"'
 * ```
 */
export function redactMessage(message: string, params: readonly (string | null)[]): string {
  let out = message;
  const secrets = params
    .flatMap((param) => (param === null ? [] : [param, ...arrayElements(param)]))
    .filter((text) => text.length >= MIN_REDACTED_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const secret of secrets) out = out.replaceAll(secret, REDACTED);
  return out
    .replace(TRAILING_QUOTED_VALUE, `: "${REDACTED}"`)
    .replace(OUT_OF_RANGE_VALUE, `value "${REDACTED}" is out of range`)
    .replace(URL, REDACTED);
}

/** The elements of an array parameter (a `{...}` literal), flattened; none for other text. */
function arrayElements(param: string): string[] {
  if (!param.startsWith("{")) return [];
  try {
    return parseArrayLiteral(param, identity).flat(Number.POSITIVE_INFINITY).filter((e) => typeof e === "string");
  } catch {
    return [];
  }
}
