/**
 * The arguments of one subcommand, parsed by `node:util`'s `parseArgs` (the same parser and
 * the same errors on Node, Bun and Deno), with errors worded for the command line.
 * @module
 */
import { parseArgs } from "node:util";

/** One option of a command: a string (possibly repeated) or a boolean flag. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** The option may be given several times; its value is the list. */
  readonly multiple?: boolean;
  /** A one-letter alias, e.g. `n` for `-n`. */
  readonly short?: string;
  /**
   * A string option whose value may be left out (`--pglite` or `--pglite ./data`): alone, or
   * followed by another option, its value is `""`.
   */
  readonly optionalValue?: boolean;
}

/** What a command was given. */
export interface ParsedArgs {
  /** Whether `-h` or `--help` was given (anywhere before `--`): show help, ignore the rest. */
  readonly help: boolean;
  /** Option values by name (without the dashes). */
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  /** The arguments that are no option. */
  readonly positionals: readonly string[];
}

function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "-h" || arg === "--help");
}

/** `--pglite` alone or before another option becomes `--pglite=`, which parseArgs reads as "". */
function fillOptionalValues(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): string[] {
  const optional = new Set(Object.entries(options).filter(([, spec]) => spec.optionalValue).map(([n]) => `--${n}`));
  return args.map((arg, i) => {
    if (!optional.has(arg)) return arg;
    const next = args[i + 1];
    return next === undefined || next.startsWith("-") ? `${arg}=` : arg;
  });
}

/** parseArgs' own errors, reworded: the option they name and what is wrong with it. */
function usageError(error: unknown): TypeError {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : String(error);
  const named = /'(-[^' ]+)/.exec(text)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new TypeError(`unknown option ${named}`);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return new TypeError(`unexpected argument ${/'([^']*)'/.exec(text)?.[1] ?? ""}`.trimEnd());
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return new TypeError(
      /does not take an argument/.test(text) ? `${named} takes no value` : `${named} needs a value`,
    );
  }
  return new TypeError(text, { cause: error });
}

/**
 * Parse a command's arguments: `--flag value` and `--flag=value`, short aliases, repeated
 * options, `--` before arguments that start with a dash. Unknown options are errors.
 *
 * @param args the arguments after the command's name
 * @param options the command's options by name (`help`/`-h` is added)
 * @param maxPositionals how many arguments that are no option the command takes (default 0)
 * @returns help, values and positionals
 * @throws {TypeError} naming the unknown option, the option whose value is missing, or the extra argument
 * @example
 * ```ts
 * parseCommandArgs(["--config=c.ts", "--json"], { config: { type: "string" }, json: { type: "boolean" } });
 * // => { help: false, values: { config: "c.ts", json: true }, positionals: [] }
 * ```
 */
export function parseCommandArgs(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
  maxPositionals = 0,
): ParsedArgs {
  if (asksForHelp(args)) return { help: true, values: {}, positionals: [] };
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [name, {
      type: spec.type,
      ...(spec.multiple === true ? { multiple: true } : {}),
      ...(spec.short === undefined ? {} : { short: spec.short }),
    }]),
  );
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: fillOptionalValues(args, options),
      options: config,
      strict: true,
      allowPositionals: maxPositionals > 0,
    });
  } catch (error) {
    throw usageError(error);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new TypeError(`unexpected argument ${parsed.positionals[maxPositionals]}`);
  }
  return {
    help: false,
    values: { ...parsed.values } as ParsedArgs["values"], // a plain object (parseArgs returns a null-prototype one)
    positionals: parsed.positionals,
  };
}
