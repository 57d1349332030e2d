/**
 * SQL expressions written by users for atomic updates (`balance = balance + $amount`).
 * The tagged template keeps every interpolated value a bind parameter; attribute names
 * are referenced through {@link ref} and quoted with the resource's column mapping.
 * @module
 */
import type { SqlParam } from "../core/executor.ts";

/**
 * A reference to an attribute of the record being updated; resolved to its quoted column.
 * `TName` is the attribute's name as a literal type, so that an update's `set` can only
 * reference attributes of its resource.
 */
export interface AttributeRef<TName extends string = string> {
  /** Discriminator. */
  readonly kind: "attribute-ref";
  /** The attribute name. */
  readonly attribute: TName;
}

/**
 * A piece of SQL from the {@link sql} tag: literal text parts and the values between them.
 * `TRefs` is the union of the attribute names it references (checked against the resource
 * where the fragment is used).
 */
export interface SqlFragment<TRefs extends string = string> {
  /** Discriminator. */
  readonly kind: "sql-fragment";
  /** The literal text parts (the template's strings, written by the developer). */
  readonly strings: readonly string[];
  /** The interpolated values: bind parameters, attribute references or nested fragments. */
  readonly values: readonly (SqlParam | AttributeRef<TRefs> | SqlFragment<TRefs>)[];
}

// `;` ends a statement, `--` and `/*` open comments, `$1` is a placeholder of ours, and `$$` or
// `$tag$` opens a dollar-quoted string that could hide any of them.
const FORBIDDEN = /;|--|\/\*|\$\d|\$[A-Za-z_]*\$/;

// Brands set only by `sql` and `ref`. A structural check on `kind` alone would let a JSON
// request body forge a fragment (`{"kind":"sql-fragment","strings":["(SELECT ...)"]}`) that an
// update then renders as SQL text; JSON cannot make symbols. `Symbol.for` so that fragments
// made by another copy of the package are still recognized.
const FRAGMENT_BRAND = Symbol.for("edge-events.sql-fragment");
const REF_BRAND = Symbol.for("edge-events.attribute-ref");

/**
 * Tag an SQL expression. Interpolated values become parameters, never text; use
 * {@link ref} for columns. The literal parts may not contain `;`, comments, `$n` or dollar quotes.
 *
 * @throws {TypeError} when a literal part contains `;`, `--`, `/*` or a `$n` placeholder
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineResource, ref, sql } from "edge-events";
 *
 * const Account = defineResource({
 *   name: "account", table: "accounts",
 *   attributes: v.object({ id: v.string(), balance: v.number() }),
 *   actions: ({ update }) => ({
 *     deposit: update({
 *       input: v.object({ amount: v.number() }),
 *       set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }), // computed in the UPDATE
 *     }),
 *   }),
 * });
 * ```
 */
export function sql<TRefs extends string = never>(
  strings: TemplateStringsArray,
  ...values: (SqlParam | AttributeRef<TRefs> | SqlFragment<TRefs>)[]
): SqlFragment<TRefs> {
  for (const part of strings) {
    if (FORBIDDEN.test(part)) {
      throw new TypeError("SQL fragments may not contain ';', comments, $n placeholders or dollar quotes");
    }
  }
  return Object.freeze({
    kind: "sql-fragment",
    strings: Object.freeze([...strings]),
    values: Object.freeze([...values]),
    [FRAGMENT_BRAND]: true,
  });
}

/**
 * Reference an attribute of the record being updated inside an {@link sql} fragment.
 * @example
 * ```ts
 * import { ref, sql } from "edge-events";
 *
 * const withdrawal = (amount: number) => sql`${ref("balance")} - ${amount}`; // `amount` is a parameter
 * ```
 */
export function ref<TName extends string>(attribute: TName): AttributeRef<TName> {
  return Object.freeze({ kind: "attribute-ref", attribute, [REF_BRAND]: true });
}

/** Whether a value is an {@link SqlFragment} made by {@link sql} (not a look-alike object from input). */
export function isSqlFragment(value: unknown): value is SqlFragment {
  return typeof value === "object" && value !== null &&
    (value as { [FRAGMENT_BRAND]?: unknown })[FRAGMENT_BRAND] === true;
}

/** Whether a value is an {@link AttributeRef} made by {@link ref}. */
export function isAttributeRef(value: unknown): value is AttributeRef {
  return typeof value === "object" && value !== null && (value as { [REF_BRAND]?: unknown })[REF_BRAND] === true;
}

/**
 * Render a fragment into SQL text, adding its values to the statement's parameters.
 *
 * @param column maps an attribute to its quoted column (throws for unknown attributes)
 * @param bind adds a parameter and returns its `$n` placeholder
 */
export function renderFragment(
  fragment: SqlFragment,
  column: (attribute: string) => string,
  bind: (value: SqlParam) => string,
): string {
  let text = fragment.strings[0] ?? "";
  fragment.values.forEach((value, i) => {
    if (isSqlFragment(value)) text += `(${renderFragment(value, column, bind)})`;
    else if (isAttributeRef(value)) text += column(value.attribute);
    else text += bind(value);
    text += fragment.strings[i + 1] ?? "";
  });
  return text;
}
