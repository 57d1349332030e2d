/**
 * Definition options are closed: a key that no option has (a typo such as `defualts`) is a
 * `TypeError` at definition time, never silently ignored.
 * @module
 */

/** The allowed keys of an options object, as `{ key: true }` (so `satisfies` can check completeness). */
export type OptionKeys = Readonly<Record<string, true>>;

/**
 * Throw when `value` has a key that `allowed` does not list.
 *
 * @param value the options as given (anything that is not an object is left to the other checks)
 * @param allowed the option names
 * @param what where the options were given, e.g. `defineResource() of "invoice"`
 * @throws {TypeError} naming the unknown key and the allowed ones
 */
export function checkOptionKeys(value: unknown, allowed: OptionKeys, what: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(allowed, key)) {
      throw new TypeError(`${what} has no option "${key}"; the options are: ${Object.keys(allowed).join(", ")}`);
    }
  }
}
