/**
 * Postgres column types inferred from valibot schemas, where the mapping is unambiguous.
 * @module
 */
import type * as v from "valibot";

/** A column type inferred from a schema. */
export interface InferredColumnType {
  /** The Postgres type, as written in DDL (`text`, `double precision`, `jsonb`, ...). */
  readonly type: string;
  /** Whether the column must accept NULL (the schema allows null or a missing value). */
  readonly nullable: boolean;
}

/** The parts of valibot's schema and action objects that inference reads. */
interface Node {
  readonly kind: string;
  readonly type: string;
  readonly pipe?: readonly Node[];
  readonly wrapped?: Node;
  readonly default?: unknown;
  readonly options?: readonly unknown[];
  readonly literal?: unknown;
  readonly requirement?: unknown;
}

interface Found {
  readonly type: string;
  readonly null: boolean;
  readonly undef: boolean;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;

const JSON_TYPES = new Set([
  "object",
  "loose_object",
  "strict_object",
  "object_with_rest",
  "record",
  "array",
  "tuple",
  "loose_tuple",
  "strict_tuple",
  "tuple_with_rest",
]);
const SCALAR_TYPES: ReadonlyMap<string, string> = new Map([
  ["string", "text"],
  ["number", "double precision"],
  ["bigint", "bigint"],
  ["boolean", "boolean"],
  ["date", "timestamptz"],
]);
const WRAPPERS = new Set([
  "nullable",
  "nullish",
  "optional",
  "exact_optional",
  "undefinedable",
  "non_nullable",
  "non_nullish",
  "non_optional",
]);
/** Transformations whose output has the same type as their input. */
const TYPE_PRESERVING = new Set([
  "trim",
  "trim_start",
  "trim_end",
  "to_lower_case",
  "to_upper_case",
  "normalize",
  "to_camel_case",
  "to_kebab_case",
  "to_pascal_case",
  "to_snake_case",
  "to_min_value",
  "to_max_value",
  "brand",
  "flavor",
  "readonly",
  "guard",
  "filter_items",
  "sort_items",
]);

/**
 * Infer the Postgres column type of a valibot schema, or `undefined` when the mapping is
 * ambiguous and the caller must supply the type.
 *
 * | schema | column type |
 * |---|---|
 * | `string()` | `text`; `uuid` when its pipe has `uuid()` |
 * | `number()` | `double precision`; `integer` with `integer()`; `bigint` with `safeInteger()` or with `integer()` and a min/max bound outside int32 (but `integer` when both bounds lie inside int32) |
 * | `bigint()`, `boolean()`, `date()` | `bigint`, `boolean`, `timestamptz` |
 * | `literal`, `picklist`, `enum` | all strings: `text`; all booleans: `boolean`; all int32 integers: `integer`; all other finite numbers: `double precision`; all bigints: `bigint` |
 * | objects, records, arrays, tuples (every flavour) | `jsonb` |
 * | `union`, `variant` | the one type all members share (`null()`/`undefined()` members make it nullable) |
 *
 * Wrappers unwrap: `nullable`, `nullish`, `optional`, `exact_optional` and `undefinedable`
 * make the column nullable unless they carry a default (a default function is assumed to
 * return a value); `non_nullable`, `non_nullish` and `non_optional` undo that. A pipe is
 * followed to its last schema; a transformation that may change the type (`transform`,
 * `toNumber`, `parseJson`, ...) makes the result `undefined`. Everything else (`any`,
 * `unknown`, `lazy`, `custom`, `map`, `intersect`, mixed unions, ...) is `undefined`.
 *
 * Note: Postgres returns `uuid` in lowercase, and the executors decode `bigint` columns as
 * JS bigints, so a `number()` schema stored as `bigint` must be converted back on read.
 *
 * @param schema a valibot schema (sync or async)
 * @returns the column type and nullability, frozen, or `undefined` when ambiguous
 * @example
 * ```ts
 * import * as v from "valibot";
 *
 * inferColumnType(v.pipe(v.string(), v.uuid())) // => { type: "uuid", nullable: false }
 * inferColumnType(v.optional(v.pipe(v.number(), v.integer()))) // => { type: "integer", nullable: true }
 * inferColumnType(v.unknown()) // => undefined
 * ```
 */
export function inferColumnType(schema: v.GenericSchema | v.GenericSchemaAsync): InferredColumnType | undefined {
  const found = infer(schema as unknown as Node);
  return found === undefined ? undefined : Object.freeze({ type: found.type, nullable: found.null || found.undef });
}

function infer(node: Node): Found | undefined {
  const steps = flatten(node);
  const last = steps.findLastIndex((step) => step.kind === "schema");
  const base = last < 0 ? undefined : inferBare(steps[last] as Node);
  return base === undefined ? undefined : refine(base, steps.slice(last + 1));
}

/** A schema and its pipe as one list: schemas and actions in the order they run. */
function flatten(node: Node): Node[] {
  if (node.kind !== "schema" || node.pipe === undefined) return [node];
  const [root, ...rest] = node.pipe;
  return root === undefined ? [] : [...flatten(root), ...rest.flatMap(flatten)];
}

function inferBare(node: Node): Found | undefined {
  const scalar = SCALAR_TYPES.get(node.type);
  if (scalar !== undefined) return { type: scalar, null: false, undef: false };
  if (JSON_TYPES.has(node.type)) return { type: "jsonb", null: false, undef: false };
  if (node.type === "literal") return sameType([node.literal]);
  if (node.type === "picklist" || node.type === "enum") return sameType(node.options ?? []);
  if (node.type === "union" || node.type === "variant") return union((node.options ?? []) as Node[]);
  if (WRAPPERS.has(node.type) && node.wrapped !== undefined) return unwrap(node, node.wrapped);
  return undefined;
}

function literalType(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return "text";
    case "boolean":
      return "boolean";
    case "bigint":
      return "bigint";
    case "number":
      if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return "integer";
      return Number.isFinite(value) ? "double precision" : undefined;
    default:
      return undefined;
  }
}

function sameType(values: readonly unknown[]): Found | undefined {
  const types = new Set(values.map(literalType));
  const [type] = types;
  return types.size === 1 && type !== undefined ? { type, null: false, undef: false } : undefined;
}

function union(options: readonly Node[]): Found | undefined {
  let type: string | undefined;
  let isNull = false;
  let undef = false;
  for (const option of options) {
    if (option.type === "null") isNull = true;
    else if (option.type === "undefined") undef = true;
    else {
      const found = infer(option);
      if (found === undefined || (type !== undefined && found.type !== type)) return undefined;
      type = found.type;
      isNull ||= found.null;
      undef ||= found.undef;
    }
  }
  return type === undefined ? undefined : { type, null: isNull, undef };
}

function unwrap(node: Node, wrapped: Node): Found | undefined {
  const inner = infer(wrapped);
  if (inner === undefined) return undefined;
  // A default replaces the missing value; a default of null replaces it with null.
  const fills = node.default !== undefined && node.default !== null;
  const nullDefault = node.default === null;
  switch (node.type) {
    case "nullable":
      return { ...inner, null: fills ? inner.null : true };
    case "nullish":
      return { ...inner, null: fills ? inner.null : true, undef: fills || nullDefault ? inner.undef : true };
    case "non_nullable":
      return { ...inner, null: false };
    case "non_nullish":
      return { ...inner, null: false, undef: false };
    case "non_optional":
      return { ...inner, undef: false };
    default:
      return { ...inner, null: inner.null || nullDefault, undef: fills || nullDefault ? inner.undef : true };
  }
}

/** Apply the pipe actions that follow the last schema. */
function refine(base: Found, actions: readonly Node[]): Found | undefined {
  let uuid = false;
  let integer = false;
  let safe = false;
  let low = -Infinity;
  let high = Infinity;
  for (const action of actions) {
    if (action.kind === "transformation" && !TYPE_PRESERVING.has(action.type)) return undefined;
    if (action.kind !== "validation") continue;
    const bound = typeof action.requirement === "number" ? action.requirement : undefined;
    if (action.type === "uuid") uuid = true;
    else if (action.type === "integer") integer = true;
    else if (action.type === "safe_integer") safe = true;
    else if (bound !== undefined && (action.type === "min_value" || action.type === "gt_value")) {
      low = Math.max(low, bound);
    } else if (bound !== undefined && (action.type === "max_value" || action.type === "lt_value")) {
      high = Math.min(high, bound);
    }
  }
  if (base.type === "text" && uuid) return { ...base, type: "uuid" };
  if (base.type !== "double precision" || !(integer || safe)) return base;
  const lowSet = Number.isFinite(low);
  const highSet = Number.isFinite(high);
  // No integer column holds bounds beyond int64: let the caller choose (numeric?).
  if ((lowSet && low < -INT64_LIMIT) || (highSet && high >= INT64_LIMIT)) return undefined;
  if (low >= INT32_MIN && high <= INT32_MAX) return { ...base, type: "integer" };
  const outside = (bound: number): boolean => bound < INT32_MIN || bound > INT32_MAX;
  const wide = (lowSet && outside(low)) || (highSet && outside(high));
  return { ...base, type: safe || wide ? "bigint" : "integer" };
}
