/**
 * Type OIDs of the built-in Postgres types that edge-events decodes, and the element type
 * of each built-in array type it knows.
 * @module
 */

/** OIDs of the scalar types with a dedicated decoding (see `decodeValue`). */
export const TYPE_OID: Readonly<{
  bool: 16;
  bytea: 17;
  int8: 20;
  int2: 21;
  int4: 23;
  oid: 26;
  json: 114;
  float4: 700;
  float8: 701;
  date: 1082;
  timestamp: 1114;
  timestamptz: 1184;
  numeric: 1700;
  jsonb: 3802;
}> = Object.freeze({
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
});

/** The `box[]` OID: the one built-in array whose literal separates elements with `;`. */
export const BOX_ARRAY_OID = 1020;

/**
 * Array type OID → element type OID, for the built-in arrays (`pg_type.typarray`).
 * Arrays of other types (enums, extension types) are not recognised and come back as text.
 */
export const ARRAY_ELEMENT_OID: ReadonlyMap<number, number> = new Map([
  [1000, 16], // _bool
  [1001, 17], // _bytea
  [1002, 18], // _char
  [1003, 19], // _name
  [1016, 20], // _int8
  [1005, 21], // _int2
  [1007, 23], // _int4
  [1008, 24], // _regproc
  [1009, 25], // _text
  [1028, 26], // _oid
  [1010, 27], // _tid
  [1011, 28], // _xid
  [1012, 29], // _cid
  [199, 114], // _json
  [143, 142], // _xml
  [1017, 600], // _point
  [1018, 601], // _lseg
  [1019, 602], // _path
  [1020, 603], // _box
  [1027, 604], // _polygon
  [629, 628], // _line
  [1021, 700], // _float4
  [1022, 701], // _float8
  [719, 718], // _circle
  [791, 790], // _money
  [1040, 829], // _macaddr
  [775, 774], // _macaddr8
  [1041, 869], // _inet
  [651, 650], // _cidr
  [1034, 1033], // _aclitem
  [1014, 1042], // _bpchar
  [1015, 1043], // _varchar
  [1182, 1082], // _date
  [1183, 1083], // _time
  [1115, 1114], // _timestamp
  [1185, 1184], // _timestamptz
  [1187, 1186], // _interval
  [1270, 1266], // _timetz
  [1561, 1560], // _bit
  [1563, 1562], // _varbit
  [1231, 1700], // _numeric
  [2201, 1790], // _refcursor
  [2207, 2202], // _regprocedure
  [2208, 2203], // _regoper
  [2209, 2204], // _regoperator
  [2210, 2205], // _regclass
  [2211, 2206], // _regtype
  [4097, 4096], // _regrole
  [4090, 4089], // _regnamespace
  [2951, 2950], // _uuid
  [3221, 3220], // _pg_lsn
  [3643, 3614], // _tsvector
  [3645, 3615], // _tsquery
  [3644, 3642], // _gtsvector
  [3735, 3734], // _regconfig
  [3770, 3769], // _regdictionary
  [3807, 3802], // _jsonb
  [4073, 4072], // _jsonpath
  [2949, 2970], // _txid_snapshot
  [5039, 5038], // _pg_snapshot
  [271, 5069], // _xid8
  [3905, 3904], // _int4range
  [3907, 3906], // _numrange
  [3909, 3908], // _tsrange
  [3911, 3910], // _tstzrange
  [3913, 3912], // _daterange
  [3927, 3926], // _int8range
  [4192, 4191], // _regcollation
  [6150, 4451], // _int4multirange
  [6151, 4532], // _nummultirange
  [6152, 4533], // _tsmultirange
  [6153, 4534], // _tstzmultirange
  [6155, 4535], // _datemultirange
  [6157, 4536], // _int8multirange
  [1263, 2275], // _cstring
]);
