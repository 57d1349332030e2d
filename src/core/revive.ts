/**
 * Turning JSON from the event log back into the values a valibot schema expects: ISO
 * strings into Dates, decimal strings into bigints, `\x` hex strings into bytes.
 * @module
 */
import type { JsonValue } from "./json.ts";

interface SchemaNode {
  readonly type?: string;
  readonly wrapped?: SchemaNode;
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly item?: SchemaNode;
  readonly options?: readonly SchemaNode[];
}

const WRAPPERS = new Set([
  "optional",
  "exact_optional",
  "nullable",
  "nullish",
  "non_nullable",
  "non_nullish",
  "non_optional",
  "undefinedable",
]);

function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  while (current?.type !== undefined && WRAPPERS.has(current.type) && current.wrapped !== undefined) {
    current = current.wrapped;
  }
  return current;
}

function hexToBytes(text: string): Uint8Array {
  const hex = text.slice(2);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Revive `value` for `schema`: walks objects, arrays and wrappers; converts strings where
 * the schema wants a date, a bigint or bytes. Anything else is returned as is.
 */
export function revive(schema: unknown, value: JsonValue | undefined): unknown {
  const node = unwrap(schema as SchemaNode | undefined);
  if (node === undefined || value === null || value === undefined) return value;
  switch (node.type) {
    case "date":
      return typeof value === "string" ? new Date(value) : value;
    case "bigint":
      return typeof value === "string" && /^-?\d+$/.test(value) ? BigInt(value) : value;
    case "blob":
    case "instance":
      return typeof value === "string" && value.startsWith("\\x") ? hexToBytes(value) : value;
    case "array":
      return Array.isArray(value) ? value.map((item) => revive(node.item, item)) : value;
    case "union":
    case "variant": {
      const dated = node.options?.some((o) => unwrap(o)?.type === "date");
      return dated && typeof value === "string" && !Number.isNaN(Date.parse(value)) ? new Date(value) : value;
    }
    default: {
      if (node.entries === undefined || typeof value !== "object" || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = revive(node.entries[key], item);
      return out;
    }
  }
}
