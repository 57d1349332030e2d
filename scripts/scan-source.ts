/**
 * A small TypeScript/JavaScript scanner for the repository checks: it finds the
 * imports of a module and the identifiers it uses, with comments, string contents and
 * regular expressions left out. It is a heuristic, not a parser; it errs on the side of
 * reporting, and the checks built on it say so in their messages.
 * @module
 */

/** One token of source text. */
export interface Token {
  /** What kind of token this is. */
  readonly kind: "ident" | "string" | "template" | "number" | "regex" | "punct";
  /** The identifier or punctuator; for strings, the text between the quotes. */
  readonly value: string;
  /** 1-based line of the token's start. */
  readonly line: number;
}

/** One import of a module, static or dynamic. */
export interface ImportRef {
  /** The module specifier, or undefined for a dynamic import or require of a non-literal. */
  readonly specifier: string | undefined;
  /** True for `import type` / `export type ... from` and `typeof import("x")`. */
  readonly typeOnly: boolean;
  /** True for `import("x")`, which loads the module only when it runs (not for `require`). */
  readonly dynamic: boolean;
  /** 1-based line. */
  readonly line: number;
}

// After these tokens a `/` starts a regular expression, not a division.
const REGEX_AFTER_KEYWORD = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);
const DIVISION_AFTER_PUNCT = new Set([")", "]", "}"]);
const IDENT_START = /[\p{ID_Start}$_\\]/u;
const IDENT_PART = /[\p{ID_Continue}$_\u200c\u200d\\]/u;
const PUNCT3 = new Set(["...", "?.", "=>"]);

/**
 * Split source text into tokens, dropping comments and whitespace.
 *
 * @param source TypeScript or JavaScript text
 * @returns the tokens in order
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // One entry per open `{`: true when it is a template literal's `${`.
  const braces: boolean[] = [];
  let i = 0;
  let line = 1;
  const push = (kind: Token["kind"], value: string, startLine: number): void => {
    tokens.push({ kind, value, line: startLine });
  };
  const scanTemplate = (): void => {
    // i is just after "`" or after the "}" closing a substitution.
    const start = line;
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        push("template", "", start);
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2;
        braces.push(true);
        push("template", "", start);
        return;
      } else {
        if (c === "\n") line++;
        i++;
      }
    }
  };
  while (i < source.length) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      for (let j = i; j < stop; j++) if (source[j] === "\n") line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      const start = i + 1;
      i++;
      while (i < source.length && source[i] !== c && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      push("string", source.slice(start, i), line);
      i++;
    } else if (c === "`") {
      i++;
      scanTemplate();
    } else if (c === "}" && braces.length > 0 && braces[braces.length - 1] === true) {
      braces.pop();
      i++;
      scanTemplate();
    } else if (c === "/" && startsRegex(tokens[tokens.length - 1])) {
      const start = line;
      i = skipRegex(source, i);
      push("regex", "", start);
    } else if (IDENT_START.test(c)) {
      const start = i;
      i++;
      while (i < source.length && IDENT_PART.test(source[i] as string)) i++;
      push("ident", source.slice(start, i), line);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next ?? ""))) {
      const start = i;
      i++;
      while (i < source.length && /[0-9A-Za-z_.]/.test(source[i] as string)) i++;
      push("number", source.slice(start, i), line);
    } else {
      const three = source.slice(i, i + 3);
      const two = source.slice(i, i + 2);
      const value = PUNCT3.has(three)
        ? three
        : PUNCT3.has(two) && !(two === "?." && /[0-9]/.test(source[i + 2] ?? ""))
        ? two
        : c;
      if (value === "{") braces.push(false);
      else if (value === "}") braces.pop();
      push("punct", value, line);
      i += value.length;
    }
  }
  return tokens;
}

function startsRegex(prev: Token | undefined): boolean {
  if (prev === undefined) return true;
  if (prev.kind === "ident") return REGEX_AFTER_KEYWORD.has(prev.value);
  if (prev.kind === "punct") return !DIVISION_AFTER_PUNCT.has(prev.value);
  return false;
}

function skipRegex(source: string, from: number): number {
  let i = from + 1;
  let inClass = false;
  while (i < source.length && source[i] !== "\n") {
    const c = source[i];
    if (c === "\\") i += 2;
    else {
      if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) break;
      i++;
    }
  }
  i++;
  while (i < source.length && /[a-z]/.test(source[i] as string)) i++;
  return i;
}

/**
 * The imports of a module: static imports, re-exports, dynamic `import()` and `require()`.
 *
 * @param tokens the module's tokens, from {@link tokenize}
 * @returns every import with its specifier and whether it is type-only
 */
export function findImports(tokens: readonly Token[]): ImportRef[] {
  const refs: ImportRef[] = [];
  tokens.forEach((token, i) => {
    if (token.kind !== "ident" || isMemberName(tokens, i)) return;
    if (token.value === "import") {
      const ref = readImport(tokens, i);
      if (ref !== undefined) refs.push(ref);
    } else if (token.value === "export") {
      const ref = readReexport(tokens, i);
      if (ref !== undefined) refs.push(ref);
    } else if (token.value === "require" && isPunct(tokens[i + 1], "(")) {
      const arg = tokens[i + 2];
      const literal = arg?.kind === "string" && isPunct(tokens[i + 3], ")");
      refs.push({ specifier: literal ? arg.value : undefined, typeOnly: false, dynamic: false, line: token.line });
    }
  });
  return refs;
}

function readImport(tokens: readonly Token[], i: number): ImportRef | undefined {
  const line = (tokens[i] as Token).line;
  const next = tokens[i + 1];
  if (next === undefined || isPunct(next, ".")) return undefined; // import.meta
  if (isPunct(next, "(")) {
    const arg = tokens[i + 2];
    const literal = arg?.kind === "string" && (isPunct(tokens[i + 3], ")") || isPunct(tokens[i + 3], ","));
    const typeOnly = isIdent(tokens[i - 1], "typeof");
    return { specifier: literal ? arg.value : undefined, typeOnly, dynamic: true, line };
  }
  if (next.kind === "string") return { specifier: next.value, typeOnly: false, dynamic: false, line };
  const after = tokens[i + 2];
  const typeOnly = isIdent(next, "type") && !isIdent(after, "from") && !isPunct(after, ",") && !isPunct(after, "=");
  const specifier = findFromSpecifier(tokens, i + 1);
  if (specifier !== undefined) return { specifier, typeOnly, dynamic: false, line };
  // `import x = require("y")` is reported by the require branch.
  return undefined;
}

function readReexport(tokens: readonly Token[], i: number): ImportRef | undefined {
  let j = i + 1;
  const typeOnly = isIdent(tokens[j], "type");
  if (typeOnly) j++;
  if (!isPunct(tokens[j], "{") && !isPunct(tokens[j], "*")) return undefined;
  const specifier = findFromSpecifier(tokens, j);
  return specifier === undefined ? undefined : { specifier, typeOnly, dynamic: false, line: (tokens[i] as Token).line };
}

// The string after `from` that ends an import or export clause starting at `from`.
function findFromSpecifier(tokens: readonly Token[], start: number): string | undefined {
  let depth = 0;
  for (let j = start; j < tokens.length; j++) {
    const t = tokens[j] as Token;
    if (isPunct(t, "{")) depth++;
    else if (isPunct(t, "}")) depth--;
    else if (depth === 0 && (isPunct(t, ";") || isPunct(t, "=") || isPunct(t, "("))) return undefined;
    else if (depth === 0 && isIdent(t, "from") && tokens[j + 1]?.kind === "string") return tokens[j + 1]?.value;
  }
  return undefined;
}

/**
 * Uses of the given global names: not property names after `.`, not object keys or
 * parameter/property declarations followed by `:`, not method declarations. Also reports
 * `globalThis.X` and `globalThis["X"]`.
 *
 * @param tokens the module's tokens, from {@link tokenize}
 * @param names the globals to look for
 * @returns one entry per use, with its name and line
 */
export function findGlobalUses(
  tokens: readonly Token[],
  names: ReadonlySet<string>,
): Array<{ readonly name: string; readonly line: number }> {
  const uses: Array<{ readonly name: string; readonly line: number }> = [];
  tokens.forEach((token, i) => {
    if (token.kind === "ident" && names.has(token.value)) {
      const viaGlobalThis = isMemberName(tokens, i) && isGlobalObject(tokens[i - 2]);
      if (viaGlobalThis || (!isMemberName(tokens, i) && !isDeclaredName(tokens, i))) {
        uses.push({ name: token.value, line: token.line });
      }
    } else if (token.kind === "string" && names.has(token.value) && isPunct(tokens[i - 1], "[")) {
      if (isGlobalObject(tokens[i - 2]) && isPunct(tokens[i + 1], "]")) {
        uses.push({ name: token.value, line: token.line });
      }
    }
  });
  return uses;
}

function isGlobalObject(t: Token | undefined): boolean {
  return t?.kind === "ident" && (t.value === "globalThis" || t.value === "self" || t.value === "window");
}

function isMemberName(tokens: readonly Token[], i: number): boolean {
  const prev = tokens[i - 1];
  return isPunct(prev, ".") || isPunct(prev, "?.") || isPunct(prev, "#");
}

// `{ process: 1 }`, `(process: X)`, `process?: X`, `process() {}`, `process(): T {}`.
function isDeclaredName(tokens: readonly Token[], i: number): boolean {
  const prev = tokens[i - 1];
  const next = tokens[i + 1];
  const ternary = isPunct(prev, "?") || isIdent(prev, "case");
  if (!ternary && (isPunct(next, ":") || (isPunct(next, "?") && isPunct(tokens[i + 2], ":")))) return true;
  if (!isPunct(next, "(")) return false;
  let depth = 0;
  for (let j = i + 1; j < tokens.length; j++) {
    const t = tokens[j] as Token;
    if (isPunct(t, "(")) depth++;
    else if (isPunct(t, ")") && --depth === 0) {
      const after = tokens[j + 1];
      return isPunct(after, "{") || (isPunct(after, ":") && !ternary);
    }
  }
  return false;
}

function isPunct(t: Token | undefined, value: string): boolean {
  return t?.kind === "punct" && t.value === value;
}

function isIdent(t: Token | undefined, value: string): boolean {
  return t?.kind === "ident" && t.value === value;
}
