/**
 * Inputs of the SQL injection suites: identifiers that definitions must refuse, and values
 * that must travel only as bind parameters and come back unchanged.
 * @module
 */

/**
 * Values that would change a statement if they were pasted into its text: quotes, statement
 * ends and comments, tautologies, placeholders, backslash escapes, dollar quotes, and
 * non-ASCII text (no NUL: Postgres text cannot hold it). Each is distinctive enough that SQL
 * text written by the builders never contains it by accident.
 */
export const HOSTILE_VALUES: readonly string[] = Object.freeze([
  "it's",
  `say "hi"`,
  "x;-- y",
  "' OR 1=1 --",
  `"; DROP TABLE events; --`,
  "$1 OR $2",
  "back\\slash\\",
  "E'\\x41\\n'",
  "$$ dollar $fn$",
  "/* c */ */",
  "héllo wörld ß 中文 🌍 \u2028 \u00a0",
  "tab\there\nnew line\r\n",
]);

/**
 * Identifiers that every definition must refuse with a TypeError: quotes, statement ends,
 * comments, spaces, non-ASCII letters, a leading digit, the empty name, and one byte too many.
 */
export const HOSTILE_IDENTIFIERS: readonly string[] = Object.freeze([
  `a"b`,
  `x"; DROP TABLE events; --`,
  "x;--",
  "' OR 1=1 --",
  "a b",
  "tab\tname",
  "café",
  "名前",
  "1abc",
  "",
  "a-b",
  "x".repeat(64),
]);

/**
 * Text that no stored value may carry: NUL (Postgres text and jsonb cannot hold it) and lone
 * surrogates (no UTF-8 form). Every place a call writes must refuse each with
 * VALIDATION_FAILED before sending. Each ends in the offending code unit.
 */
export const UNSTORABLE_TEXT: readonly string[] = Object.freeze([
  "\u0000",
  "a\u0000",
  "\uD800",
  "a\uDBFF",
  "\uDC00",
  "\uDFFF",
]);
