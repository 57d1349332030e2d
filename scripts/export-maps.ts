/**
 * Compares the JSR manifest (deno.json) with the npm manifest (package.json), as pure
 * functions so that the rules can be tested with fixtures. `check-exports.ts` applies
 * them to the repository.
 *
 * deno.json exports TypeScript sources; package.json exports what `npm run build` emits
 * under `dist/`: `./dist/X.js` and `./dist/X.d.ts` both stand for `./X.ts`.
 * @module
 */

/** The parts of deno.json the check reads. */
export interface DenoManifest {
  readonly version?: unknown;
  readonly exports?: unknown;
  readonly imports?: unknown;
}

/** The parts of package.json the check reads. */
export interface NpmManifest {
  readonly name?: unknown;
  readonly version?: unknown;
  readonly exports?: unknown;
  readonly bin?: unknown;
  readonly files?: unknown;
  readonly dependencies?: unknown;
  readonly devDependencies?: unknown;
}

/**
 * Exports on JSR only, each with the one target it may have. `./cli` is the command line for
 * Deno users (`deno run -A jsr:@edge-events/edge-events/cli ...`): a module that runs the CLI
 * and exits when imported, so on npm it is no export; npm users get it as package.json "bin",
 * which the check then requires.
 */
export const JSR_ONLY_EXPORTS: Readonly<Record<string, string>> = Object.freeze({ "./cli": "./src/cli/run.ts" });

/** What the check may ask of the file system. */
export interface CompareOptions {
  /** Whether a repository-relative path (`./x/y.ts`) exists. */
  readonly exists: (path: string) => boolean;
  /** When true, the built files under dist/ must exist too (after `npm run build`). */
  readonly built?: boolean;
}

/**
 * The source file an npm export target stands for: `./dist/X.js` and `./dist/X.d.ts` map
 * to `./X.ts`; any other target maps to itself.
 *
 * @example
 * ```ts
 * sourceOf("./dist/src/drivers/neon/mod.js") // => "./src/drivers/neon/mod.ts"
 * ```
 */
export function sourceOf(target: string): string {
  const m = /^\.\/dist\/(.+?)(\.d\.ts|\.d\.mts|\.js|\.mjs)$/.exec(target);
  return m === null ? target : `./${m[1]}.ts`;
}

function entries(exports: unknown): Array<[string, unknown]> {
  if (typeof exports === "string") return [[".", exports]];
  if (typeof exports !== "object" || exports === null) return [];
  const keys = Object.keys(exports);
  // A conditions object at the top level stands for ".".
  if (keys.length > 0 && keys.every((k) => !k.startsWith("."))) return [[".", exports]];
  return Object.entries(exports);
}

// Every target string of one export entry, with the condition path that leads to it.
function leaves(value: unknown, path = ""): Array<{ condition: string; target: string }> {
  if (typeof value === "string") return [{ condition: path || "(default)", target: value }];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
}

/**
 * Every problem between the two manifests; an empty list means they agree.
 *
 * @param deno the parsed deno.json
 * @param npm the parsed package.json
 * @param options file-system access
 */
export function compareManifests(deno: DenoManifest, npm: NpmManifest, options: CompareOptions): string[] {
  return [
    ...compareVersions(deno, npm),
    ...compareExports(deno, npm, options),
    ...checkBin(npm, options),
    ...compareImports(deno, npm),
    ...compareSelfImports(deno, npm),
  ];
}

function compareVersions(deno: DenoManifest, npm: NpmManifest): string[] {
  if (typeof deno.version !== "string" || typeof npm.version !== "string") {
    return ["both deno.json and package.json need a version"];
  }
  return deno.version === npm.version
    ? []
    : [`versions differ: deno.json ${deno.version}, package.json ${npm.version}`];
}

function compareExports(deno: DenoManifest, npm: NpmManifest, options: CompareOptions): string[] {
  const problems: string[] = [];
  const denoMap = new Map(entries(deno.exports));
  const npmMap = new Map(entries(npm.exports));
  for (const [key, target] of denoMap) {
    if (npmMap.has(key)) continue;
    const jsrOnly = JSR_ONLY_EXPORTS[key];
    if (jsrOnly === undefined) problems.push(`export "${key}" is in deno.json but not in package.json`);
    else if (target !== jsrOnly) problems.push(`deno.json export "${key}" (JSR only) must point to ${jsrOnly}`);
    else if (npm.bin === undefined) {
      problems.push(`deno.json export "${key}" is the CLI on JSR: package.json needs its "bin" for npm`);
    }
  }
  for (const key of npmMap.keys()) {
    if (!denoMap.has(key)) problems.push(`export "${key}" is in package.json but not in deno.json`);
  }
  const files = Array.isArray(npm.files) ? npm.files.filter((f): f is string => typeof f === "string") : [];
  for (const [key, denoTarget] of denoMap) {
    if (typeof denoTarget !== "string") {
      problems.push(`deno.json export "${key}" must be a path`);
      continue;
    }
    if (!options.exists(denoTarget)) {
      problems.push(`deno.json export "${key}" points to ${denoTarget}, which does not exist`);
    }
    const npmValue = npmMap.get(key);
    if (npmValue === undefined) continue;
    problems.push(...compareNpmEntry(key, denoTarget, npmValue, files, options));
  }
  return problems;
}

function compareNpmEntry(
  key: string,
  denoTarget: string,
  value: unknown,
  files: string[],
  options: CompareOptions,
): string[] {
  const problems: string[] = [];
  const found = leaves(value);
  if (found.length === 0) problems.push(`package.json export "${key}" has no target`);
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    if (!keys.includes("types")) problems.push(`package.json export "${key}" has no "types" condition`);
    else if (keys[0] !== "types") problems.push(`package.json export "${key}": "types" must be the first condition`);
  }
  for (const { condition, target } of found) {
    const where = `package.json export "${key}" (${condition})`;
    if (sourceOf(target) !== denoTarget) {
      problems.push(`${where} points to ${target}, but deno.json exports ${denoTarget}`);
    }
    if (condition.split(".").includes("types") !== /\.d\.m?ts$/.test(target)) {
      problems.push(`${where} points to ${target}: "types" takes a .d.ts file and only it does`);
    }
    if (options.built === true && !options.exists(target)) {
      problems.push(`${where} points to ${target}, which the build did not emit`);
    }
    if (!isShipped(target, files)) problems.push(`${where} points to ${target}, which package.json "files" leaves out`);
  }
  return problems;
}

function isShipped(target: string, files: readonly string[]): boolean {
  if (files.length === 0) return true; // no "files": npm ships everything not ignored
  const path = target.replace(/^\.\//, "");
  return files.some((f) => {
    const entry = f.replace(/^\.\//, "").replace(/\/$/, "");
    return path === entry || path.startsWith(`${entry}/`);
  });
}

function checkBin(npm: NpmManifest, options: CompareOptions): string[] {
  const bin = typeof npm.bin === "string" ? { bin: npm.bin } : npm.bin;
  if (typeof bin !== "object" || bin === null) return [];
  const files = Array.isArray(npm.files) ? npm.files.filter((f): f is string => typeof f === "string") : [];
  return Object.entries(bin).flatMap(([name, target]) => {
    if (typeof target !== "string") return [`bin "${name}" must be a path`];
    const rel = target.startsWith("./") ? target : `./${target}`;
    const problems: string[] = [];
    if (!options.exists(rel)) problems.push(`bin "${name}" points to ${target}, which does not exist`);
    if (!isShipped(rel, files)) {
      problems.push(`bin "${name}" points to ${target}, which package.json "files" leaves out`);
    }
    return problems;
  });
}

// deno.json maps each bare specifier to npm:NAME@RANGE; that range must be the one npm
// installs for development (devDependencies, else dependencies), and every runtime
// dependency needs a mapping or Deno cannot resolve it.
function compareImports(deno: DenoManifest, npm: NpmManifest): string[] {
  const problems: string[] = [];
  const imports = typeof deno.imports === "object" && deno.imports !== null
    ? (deno.imports as Record<string, unknown>)
    : {};
  const deps = asRecord(npm.dependencies);
  const dev = asRecord(npm.devDependencies);
  for (const [name, target] of Object.entries(imports)) {
    const m = typeof target === "string" ? /^npm:((?:@[^/@]+\/)?[^/@]+)@([^/]+)$/.exec(target) : null;
    if (m === null) continue;
    const [, pkg, range] = m as unknown as [string, string, string];
    const npmRange = dev[pkg] ?? deps[pkg];
    if (npmRange === undefined) {
      problems.push(`deno.json imports ${pkg} (as "${name}"), which package.json does not list`);
    } else if (npmRange !== range) problems.push(`${pkg}: deno.json wants ${range}, package.json ${npmRange}`);
  }
  for (const pkg of Object.keys(deps)) {
    if (!(pkg in imports)) problems.push(`dependency ${pkg} has no entry in deno.json "imports"`);
  }
  return problems;
}

// deno.json may map the package's own npm name and subpaths to its sources, so that JSDoc
// examples import what a user imports ("edge-events/pglite"). Each such mapping must point
// to the export of its subpath, and once there is one, every export needs one.
function compareSelfImports(deno: DenoManifest, npm: NpmManifest): string[] {
  if (typeof npm.name !== "string") return [];
  const name = npm.name;
  const imports = asRecord(deno.imports);
  const exports = new Map(entries(deno.exports));
  const self = Object.keys(imports).filter((k) => k === name || k.startsWith(`${name}/`));
  if (self.length === 0) return [];
  const problems: string[] = [];
  for (const key of self) {
    const subpath = key === name ? "." : `.${key.slice(name.length)}`;
    const target = exports.get(subpath);
    if (target === undefined) problems.push(`deno.json imports "${key}", which names no export of the package`);
    else if (imports[key] !== target) {
      problems.push(`deno.json imports "${key}" as ${imports[key]}, but exports "${subpath}" as ${String(target)}`);
    }
  }
  for (const subpath of exports.keys()) {
    if (JSR_ONLY_EXPORTS[subpath] !== undefined) continue; // not importable as a module, on either side
    const key = subpath === "." ? name : `${name}${subpath.slice(1)}`;
    if (!(key in imports)) problems.push(`deno.json export "${subpath}" has no "${key}" entry in "imports"`);
  }
  return problems;
}

function asRecord(value: unknown): Record<string, string> {
  return typeof value === "object" && value !== null ? (value as Record<string, string>) : {};
}
