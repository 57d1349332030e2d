/**
 * Turning raw text rows (arrays in column order) into decoded row objects.
 * @module
 */
import type { Row } from "../../core/executor.ts";
import { decodeValue } from "./decode-value.ts";

/** What a driver reports about one result column. */
export interface RawField {
  /** The column name; duplicates are allowed. */
  readonly name: string;
  /** The column's type OID. */
  readonly dataTypeID: number;
}

/**
 * Decode raw rows into objects keyed by column name. A later column with the same name
 * as an earlier one wins, as in node-postgres.
 *
 * @param fields the result columns, in order
 * @param rows each row as an array of Postgres text values (`null` for SQL NULL)
 * @returns the decoded rows
 * @throws {SyntaxError} when a value does not match its type
 * @throws {TypeError} when the driver did not hand over raw text (a misconfigured driver)
 * @example
 * ```ts
 * decodeRows([{ name: "n", dataTypeID: 20 }], [["1"]]) // => [{ n: 1n }]
 * ```
 */
export function decodeRows(fields: readonly RawField[], rows: readonly (readonly unknown[])[]): Row[] {
  return rows.map((raw) =>
    Object.fromEntries(
      fields.map((field, index) => {
        const text = raw[index];
        if (text === null || text === undefined) return [field.name, null];
        if (typeof text !== "string") throw new TypeError("The driver returned a value that is not Postgres text");
        return [field.name, decodeValue(text, field.dataTypeID)];
      }),
    )
  );
}
