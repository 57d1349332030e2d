/**
 * Text that Postgres stores exactly: no NUL, and well-formed UTF-16 (no lone surrogates).
 * @module
 */
import { validationError } from "./validation.ts";

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a
// high one. (`String.prototype.isWellFormed` is not in Node 20.)
// The NUL in the pattern is the point: Postgres text cannot hold it.
// deno-lint-ignore no-control-regex
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What keeps `text` from being stored exactly, or undefined when nothing does.
 *
 * Postgres `text` and `jsonb` cannot hold U+0000, and a lone surrogate has no UTF-8 form:
 * the drivers would send U+FFFD instead, so `"a\uD800"` and `"a\uFFFD"` would become one value.
 *
 * @param text any string
 * @returns a short reason, or undefined for text that round-trips exactly
 * @example
 * ```ts
 * textProblem("a\u0000b") // => "contains NUL (U+0000)"
 * textProblem("🌍") // => undefined
 * ```
 */
export function textProblem(text: string): string | undefined {
  const match = BAD_TEXT.exec(text);
  if (match === null) return undefined;
  return match[0] === "\u0000" ? "contains NUL (U+0000)" : "is not well-formed Unicode (a lone surrogate)";
}

/**
 * Refuse text that Postgres cannot store exactly (see {@link textProblem}).
 *
 * @param text the text
 * @param path the field path to name in the issue
 * @param what what the text is, for the message (`Text`, `An object key`)
 * @throws {ValidationError} code `VALIDATION_FAILED`, kind `text`, naming `path`
 */
export function checkText(text: string, path: string | undefined, what = "Text"): void {
  const problem = textProblem(text);
  if (problem !== undefined) {
    throw validationError(`${what}${path === undefined ? "" : ` at ${path}`} ${problem}`, path, "text");
  }
}
