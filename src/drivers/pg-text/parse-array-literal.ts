/**
 * Parsing Postgres array literals (the text output of any array type).
 * @module
 */

/** A decoded array: elements or nested arrays; SQL NULL elements are `null`. */
export type ArrayValue = unknown[];

/**
 * Parse the text output of a Postgres array into nested JavaScript arrays.
 *
 * Handles quoted elements with `\"` and `\\` escapes, unquoted `NULL` (a quoted `"NULL"`
 * stays the string), nested (multi-dimensional) arrays, empty arrays and the bounds
 * decoration Postgres writes when a lower bound is not 1 (`[0:2]={...}`, dropped).
 *
 * @param text the array literal exactly as Postgres printed it
 * @param decodeElement turns each non-NULL element's text into a value
 * @param delimiter the element separator: `,` for every built-in type but `box` (`;`)
 * @returns the decoded elements
 * @throws {SyntaxError} when `text` is not an array literal
 * @example
 * ```ts
 * parseArrayLiteral('{{1,2},{3,NULL}}', Number) // => [[1, 2], [3, null]]
 * parseArrayLiteral('{"a b","x\\"y",NULL}', (s) => s) // => ["a b", 'x"y', null]
 * ```
 */
export function parseArrayLiteral(
  text: string,
  decodeElement: (text: string) => unknown,
  delimiter = ",",
): ArrayValue {
  const cursor = { text, at: skipBounds(text), decodeElement, delimiter };
  const value = parseArray(cursor);
  skipSpace(cursor);
  if (cursor.at !== text.length) throw malformed();
  return value;
}

interface Cursor {
  readonly text: string;
  at: number;
  readonly decodeElement: (text: string) => unknown;
  readonly delimiter: string;
}

function skipBounds(text: string): number {
  if (!text.startsWith("[")) return 0;
  const equals = text.indexOf("=");
  if (equals < 0) throw malformed();
  return equals + 1;
}

function parseArray(cursor: Cursor): ArrayValue {
  skipSpace(cursor);
  if (cursor.text[cursor.at] !== "{") throw malformed();
  cursor.at++;
  const items: unknown[] = [];
  skipSpace(cursor);
  if (cursor.text[cursor.at] === "}") {
    cursor.at++;
    return items;
  }
  for (;;) {
    skipSpace(cursor);
    items.push(parseItem(cursor));
    skipSpace(cursor);
    const next = cursor.text[cursor.at];
    cursor.at++;
    if (next === "}") return items;
    if (next !== cursor.delimiter) throw malformed();
  }
}

function parseItem(cursor: Cursor): unknown {
  const first = cursor.text[cursor.at];
  if (first === "{") return parseArray(cursor);
  if (first === '"') return cursor.decodeElement(parseQuoted(cursor));
  const raw = parseUnquoted(cursor);
  return raw.toUpperCase() === "NULL" ? null : cursor.decodeElement(raw);
}

function parseQuoted(cursor: Cursor): string {
  const { text } = cursor;
  let out = "";
  let at = cursor.at + 1;
  for (;;) {
    const char = text[at];
    if (char === undefined) throw malformed();
    if (char === '"') break;
    if (char === "\\") {
      at++;
      const escaped = text[at];
      if (escaped === undefined) throw malformed();
      out += escaped;
    } else {
      out += char;
    }
    at++;
  }
  cursor.at = at + 1;
  return out;
}

function parseUnquoted(cursor: Cursor): string {
  const { text, delimiter } = cursor;
  const start = cursor.at;
  let at = start;
  while (at < text.length) {
    const char = text[at];
    if (char === delimiter || char === "}") break;
    if (char === "{" || char === '"') throw malformed();
    at++;
  }
  if (at === start) throw malformed();
  cursor.at = at;
  return text.slice(start, at).trim();
}

function skipSpace(cursor: Cursor): void {
  while (/\s/.test(cursor.text[cursor.at] ?? "")) cursor.at++;
}

function malformed(): SyntaxError {
  return new SyntaxError("Malformed Postgres array literal");
}
