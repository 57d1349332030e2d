/**
 * The rules of the two documentation checks of `npm test`, as pure functions so that they can
 * be tested with fixtures; `check-docs.ts` applies them to the repository.
 *
 * - `doc-lint`: `deno doc --lint` over every public entry. Its `private-type-ref` rule also
 *   fires on a type that lives in a dependency (valibot's `ObjectSchema`, PGlite's `PGlite`):
 *   Deno skips such references for jsr: and https: modules only, not for npm packages, which
 *   it reads from node_modules as local files (denoland/deno#27364). Those are the dependency's
 *   to document; every other finding fails the check.
 * - `doc-examples`: `deno check --doc-only` over mod.ts and every file of src, under a config that keeps
 *   the strict options of tsconfig.json but not `noUnusedLocals`: Deno adds to each example an
 *   import of every export of the documented module, which that option would flag.
 * @module
 */

/** One finding of `deno doc --lint`. */
export interface DocLintFinding {
  /** The rule, e.g. `missing-jsdoc` or `private-type-ref`. */
  readonly rule: string;
  /** The first line of the finding, e.g. `public type 'X' references private type 'Y'`. */
  readonly message: string;
  /** For `private-type-ref`: the name of the referenced type. */
  readonly referenced: string | undefined;
  /** The whole text of the finding, as Deno printed it. */
  readonly text: string;
}

/**
 * The findings in the output of `deno doc --lint` (without colours).
 *
 * @param output what the command printed on stdout and stderr
 * @returns one entry per `error[rule]: ...` block, in order
 * @example
 * ```ts
 * const [finding] = parseDocLint("error[missing-jsdoc]: exported symbol is missing JSDoc documentation\n");
 * console.log(finding?.rule); // "missing-jsdoc"
 * ```
 */
export function parseDocLint(output: string): DocLintFinding[] {
  const findings: DocLintFinding[] = [];
  const blocks = output.split(/^(?=error\[)/m).filter((block) => block.startsWith("error["));
  for (const block of blocks) {
    const m = /^error\[([a-z-]+)\]: (.*)$/m.exec(block);
    if (m === null) continue;
    const [, rule, message] = m as unknown as [string, string, string];
    const ref = /references private type '([^']+)'/.exec(message);
    // The summary line ("error: Found N documentation lint errors.") is no block of its own.
    const text = block.replace(/\n?error: Found \d+ documentation lint errors?\.\s*$/s, "").trimEnd();
    findings.push({ rule, message, referenced: ref?.[1], text });
  }
  return findings;
}

/**
 * Whether a finding is a `private-type-ref` to a type that none of the repository's own
 * sources declares, that is a type of a dependency.
 *
 * @param finding one finding of {@link parseDocLint}
 * @param declared the type names the repository's sources declare, exported or not
 * @returns true for a reference into a dependency, which the check lets pass
 * @example
 * ```ts
 * const [finding] = parseDocLint("error[private-type-ref]: public type 'A' references private type 'ObjectSchema'\n");
 * console.log(finding !== undefined && isDependencyTypeRef(finding, new Set(["A"]))); // true
 * ```
 */
export function isDependencyTypeRef(finding: DocLintFinding, declared: ReadonlySet<string>): boolean {
  return finding.rule === "private-type-ref" && finding.referenced !== undefined && !declared.has(finding.referenced);
}

/**
 * The names a TypeScript source declares at its top level or in a namespace (interfaces, type
 * aliases, classes, enums, functions, variables), exported or not.
 *
 * @param source the text of one .ts file
 * @returns the declared names
 * @example
 * ```ts
 * console.log(declaredNames("type A = 1;\nexport interface B {}\n")); // ["A", "B"]
 * ```
 */
export function declaredNames(source: string): string[] {
  const re =
    /^\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:interface|type|class|enum|function\*?|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;
  return [...source.matchAll(re)].map((m) => m[1] as string);
}

/** The parts of tsconfig.json and deno.json that the examples' config is made of. */
export interface DocExamplesInput {
  /** The parsed deno.json. */
  readonly deno: { readonly imports?: unknown; readonly nodeModulesDir?: unknown };
  /** The parsed tsconfig.json. */
  readonly tsconfig: { readonly compilerOptions?: Record<string, unknown> };
}

// The options that make an example stricter without concerning files: the rest (module
// resolution, emit, isolatedDeclarations, the node types) is Deno's business or tsc's.
const EXAMPLE_OPTIONS = [
  "lib",
  "strict",
  "exactOptionalPropertyTypes",
  "noUncheckedIndexedAccess",
  "noImplicitOverride",
  "noImplicitReturns",
  "noFallthroughCasesInSwitch",
];

/**
 * The Deno config under which the examples are checked: the imports of deno.json (the package
 * names map to the sources, so an example imports what a user imports) and the strict options
 * of tsconfig.json, without `noUnusedLocals` and `noUnusedParameters` (see the module docs).
 *
 * @param input the parsed deno.json and tsconfig.json
 * @returns the config, ready for JSON.stringify
 * @example
 * ```ts
 * const config = docExamplesConfig({ deno: { imports: {} }, tsconfig: { compilerOptions: { strict: true, noUnusedLocals: true } } });
 * console.log(config.compilerOptions); // { strict: true }
 * ```
 */
export function docExamplesConfig(input: DocExamplesInput): {
  imports: unknown;
  nodeModulesDir: unknown;
  compilerOptions: Record<string, unknown>;
} {
  const options = input.tsconfig.compilerOptions ?? {};
  const compilerOptions: Record<string, unknown> = {};
  for (const key of EXAMPLE_OPTIONS) if (key in options) compilerOptions[key] = options[key];
  return { imports: input.deno.imports ?? {}, nodeModulesDir: input.deno.nodeModulesDir ?? "manual", compilerOptions };
}
