/**
 * The JSON value conversion used when `Neon-Raw-Text-Output` is not `true` (spec §5.3).
 * The driver always asks for raw text, so this serves other clients only.
 * @module
 */

const BOOL = 16;
const INT2 = 21;
const INT4 = 23;
const FLOAT4 = 700;
const FLOAT8 = 701;
const JSON_OID = 114;
const JSONB = 3802;

/** Builtin array types whose elements are converted by a non-string rule. */
const TYPED_ARRAYS: ReadonlyMap<number, number> = new Map([
  [1000, BOOL],
  [1005, INT2],
  [1007, INT4],
  [1021, FLOAT4],
  [1022, FLOAT8],
  [199, JSON_OID],
  [3807, JSONB],
]);

/** Every other builtin array type of PostgreSQL 15 (elements stay strings); 1020 is `box[]`. */
const STRING_ARRAYS: ReadonlySet<number> = new Set([
  143,
  210,
  270,
  271,
  272,
  273,
  629,
  651,
  719,
  775,
  791,
  1001,
  1002,
  1003,
  1006,
  1008,
  1009,
  1010,
  1011,
  1012,
  1013,
  1014,
  1015,
  1016,
  1017,
  1018,
  1019,
  1020,
  1027,
  1028,
  1034,
  1040,
  1041,
  1115,
  1182,
  1183,
  1185,
  1187,
  1231,
  1263,
  1270,
  1561,
  1563,
  2201,
  2207,
  2208,
  2209,
  2210,
  2211,
  2949,
  2951,
  3221,
  3643,
  3644,
  3645,
  3735,
  3770,
  3905,
  3907,
  3909,
  3911,
  3913,
  3927,
  4073,
  4090,
  4097,
  4192,
  5039,
  6150,
  6151,
  6152,
  6153,
  6155,
  6157,
]);

function scalarToJson(text: string, oid: number): string {
  switch (oid) {
    case BOOL:
      return text === "t" ? "true" : "false";
    case INT2:
    case INT4:
      return text;
    case FLOAT4:
    case FLOAT8:
      return text === "NaN" || text === "Infinity" || text === "-Infinity" ? JSON.stringify(text) : text;
    case JSON_OID:
    case JSONB:
      return text;
    default:
      return JSON.stringify(text);
  }
}

/** Parse an array literal (bounds decoration dropped, `,` as delimiter) into JSON text. */
function arrayToJson(literal: string, elementOid: number): string {
  let i = literal.startsWith("[") ? literal.indexOf("=") + 1 : 0;
  const parseLevel = (): string => {
    i++; // "{"
    const items: string[] = [];
    while (i < literal.length && literal[i] !== "}") {
      if (literal[i] === "{") {
        items.push(parseLevel());
      } else if (literal[i] === '"') {
        let value = "";
        i++;
        while (i < literal.length && literal[i] !== '"') {
          if (literal[i] === "\\") i++;
          value += literal[i] ?? "";
          i++;
        }
        i++;
        items.push(scalarToJson(value, elementOid));
      } else {
        const start = i;
        while (i < literal.length && literal[i] !== "," && literal[i] !== "}") i++;
        const raw = literal.slice(start, i).trim();
        items.push(raw === "NULL" ? "null" : scalarToJson(raw, elementOid));
      }
      if (literal[i] === ",") i++;
    }
    i++; // "}"
    return `[${items.join(",")}]`;
  };
  return parseLevel();
}

/**
 * Convert one non-NULL text value to JSON text by its type: bool, int2/int4, float4/float8
 * (`NaN` and infinities stay strings), json/jsonb embedded, builtin arrays parsed; everything
 * else a JSON string. Arrays of non-builtin types stay strings (a documented deviation).
 *
 * @param text the Postgres text output
 * @param oid the column's type OID
 * @returns JSON text
 */
export function textToJson(text: string, oid: number): string {
  const element = TYPED_ARRAYS.get(oid);
  if (element !== undefined) return arrayToJson(text, element);
  if (STRING_ARRAYS.has(oid)) return arrayToJson(text, 0);
  return scalarToJson(text, oid);
}
