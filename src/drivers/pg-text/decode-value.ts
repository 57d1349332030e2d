/**
 * Decoding one Postgres text value by its type OID: the canonical row value shapes that
 * every edge-events adapter returns (documented on `Row` in `src/core/executor.ts`).
 * @module
 */
import { decodeBytea } from "./bytea-hex.ts";
import { parseArrayLiteral } from "./parse-array-literal.ts";
import { parseTimestamp } from "./parse-timestamp.ts";
import { ARRAY_ELEMENT_OID, BOX_ARRAY_OID, TYPE_OID } from "./type-oids.ts";

type Decoder = (text: string) => unknown;

const number: Decoder = (text) => Number(text);
const json: Decoder = (text) => JSON.parse(text) as unknown;

const SCALAR_DECODERS: ReadonlyMap<number, Decoder> = new Map<number, Decoder>([
  [TYPE_OID.int2, number],
  [TYPE_OID.int4, number],
  [TYPE_OID.oid, number],
  [TYPE_OID.float4, number],
  [TYPE_OID.float8, number],
  [TYPE_OID.int8, (text) => BigInt(text)],
  [TYPE_OID.bool, (text) => text === "t"],
  [TYPE_OID.json, json],
  [TYPE_OID.jsonb, json],
  [TYPE_OID.timestamp, parseTimestamp],
  [TYPE_OID.timestamptz, parseTimestamp],
  [TYPE_OID.bytea, decodeBytea],
]);

/**
 * Decode one non-NULL value from its Postgres text output.
 *
 * int2/int4/oid/float4/float8 → number (`NaN`, `±Infinity` included); int8 → bigint;
 * bool → boolean; json/jsonb → parsed JSON; timestamp/timestamptz → Date (see
 * `parseTimestamp`); bytea → Uint8Array; built-in arrays → arrays of decoded elements;
 * everything else (numeric, date, uuid, text, interval, enums, ...) → the text unchanged.
 *
 * @param text the value as Postgres printed it
 * @param typeOid the column's type OID (`dataTypeID`)
 * @returns the decoded value
 * @throws {SyntaxError} when the text does not match its type (a driver bug, not user input)
 * @example
 * ```ts
 * decodeValue("9007199254740993", 20) // => 9007199254740993n
 * decodeValue("{1,NULL}", 1007) // => [1, null]
 * ```
 */
export function decodeValue(text: string, typeOid: number): unknown {
  const scalar = SCALAR_DECODERS.get(typeOid);
  if (scalar !== undefined) return scalar(text);
  const elementOid = ARRAY_ELEMENT_OID.get(typeOid);
  if (elementOid === undefined) return text;
  const delimiter = typeOid === BOX_ARRAY_OID ? ";" : ",";
  return parseArrayLiteral(text, (element) => decodeValue(element, elementOid), delimiter);
}
