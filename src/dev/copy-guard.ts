/**
 * COPY detection. Neon's proxy fails COPY (its row stream treats CopyIn/CopyOut as unexpected
 * messages); a node-postgres or PGlite based server would run it, so it is refused up front.
 * @module
 */

/** Skip whitespace, `--` comments and (nested) block comments from `start`. */
function skipTrivia(text: string, start: number): number {
  let i = start;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? "")) i++;
    if (text.startsWith("--", i)) {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end + 1;
    } else if (text.startsWith("/*", i)) {
      let depth = 0;
      do {
        if (text.startsWith("/*", i)) (depth++, i += 2);
        else if (text.startsWith("*/", i)) (depth--, i += 2);
        else i++;
      } while (depth > 0 && i < text.length);
    } else {
      return i;
    }
  }
}

/**
 * Tell whether a statement is a COPY command (its first keyword, after comments).
 *
 * @param text the SQL text of one statement
 * @returns true for `COPY ...`
 */
export function isCopyStatement(text: string): boolean {
  const i = skipTrivia(text, 0);
  return /^copy\b/i.test(text.slice(i, i + 5));
}
