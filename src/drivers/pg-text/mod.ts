/**
 * Postgres text format: decoding result values by type OID into the canonical row shapes,
 * and encoding parameters to the text every driver binds. Shared by the adapters; Web APIs only.
 * @module
 */
export { decodeBytea, encodeByteaHex } from "./bytea-hex.ts";
export { decodeResult, type RawResult } from "./decode-result.ts";
export { decodeRows, type RawField } from "./decode-rows.ts";
export { decodeValue } from "./decode-value.ts";
export { type EncodedParam, encodeParam, encodeParams } from "./encode-params.ts";
export { type ArrayValue, parseArrayLiteral } from "./parse-array-literal.ts";
export { parseTimestamp } from "./parse-timestamp.ts";
export { ARRAY_ELEMENT_OID, BOX_ARRAY_OID, TYPE_OID } from "./type-oids.ts";
