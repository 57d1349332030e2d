/**
 * Builds the JSON of one statement's result (spec §5.1) from backend protocol messages, in the
 * same pass that reads rows, so the response limit can stop a query early.
 * @module
 */

import { textToJson } from "./json-output.ts";
import type { ResponseBudget } from "./response-budget.ts";

/** One column of a RowDescription, as node-postgres and PGlite parse it. */
export interface FieldDescription {
  readonly name: string;
  readonly tableID: number;
  readonly columnID: number;
  readonly dataTypeID: number;
  readonly dataTypeSize: number;
  readonly dataTypeModifier: number;
}

/** How values and rows are written. */
export interface OutputMode {
  /** Rows as arrays (true) or objects keyed by column name. */
  readonly arrayMode: boolean;
  /** Values as the exact Postgres text (true) or converted to JSON (§5.3). */
  readonly rawText: boolean;
}

/**
 * Split a CommandComplete tag into Neon's `command` and `rowCount`: the first word, and the
 * count (`INSERT oid n` gives n; `WORD n` gives n; anything else null).
 *
 * @param tag the command tag, e.g. `INSERT 0 3`
 * @returns command and row count
 */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const words = tag.split(" ");
  const countWord = words[0] === "INSERT" ? words[2] : words[1];
  const rowCount = countWord !== undefined && /^\d+$/.test(countWord) ? Number(countWord) : null;
  return { command: words[0] ?? "", rowCount };
}

/** Accumulates one statement's result; `json()` gives exactly Neon's five keys. */
export class ResultWriter {
  readonly #budget: ResponseBudget;
  readonly #mode: OutputMode;
  #fields: readonly FieldDescription[] = [];
  #names: readonly string[] = [];
  readonly #rows: string[] = [];
  #command = "";
  #rowCount: number | null = null;

  constructor(budget: ResponseBudget, mode: OutputMode) {
    this.#budget = budget;
    this.#mode = mode;
  }

  /** Record the RowDescription. */
  describe(fields: readonly FieldDescription[]): void {
    this.#fields = fields;
    this.#names = fields.map((field) => JSON.stringify(field.name));
  }

  /**
   * Add one DataRow.
   *
   * @param values the raw text values, `null` for SQL NULL
   * @returns false once the response is over its size limit
   */
  row(values: readonly (string | null)[]): boolean {
    const { arrayMode, rawText } = this.#mode;
    // What the driver asks for (arrays of raw text): the row is its values as a JSON array, one
    // native call rather than one per cell (a feed page is 1,000 rows of about 20 columns).
    if (arrayMode && rawText) {
      const json = JSON.stringify(values);
      this.#rows.push(json);
      return this.#budget.add(json);
    }
    const cells = values.map((value, i) => {
      if (value === null) return "null";
      return rawText ? JSON.stringify(value) : textToJson(value, this.#fields[i]?.dataTypeID ?? 0);
    });
    const json = arrayMode
      ? `[${cells.join(",")}]`
      : `{${cells.map((cell, i) => `${this.#names[i] ?? '""'}:${cell}`).join(",")}}`;
    this.#rows.push(json);
    return this.#budget.add(json);
  }

  /**
   * The error for a response over its size limit.
   *
   * @returns the 507 error of this writer's budget
   */
  tooLarge(): Error {
    return this.#budget.exceeded();
  }

  /** Record the CommandComplete tag. */
  complete(tag: string): void {
    ({ command: this.#command, rowCount: this.#rowCount } = parseCommandTag(tag));
  }

  /**
   * The statement's result object as JSON text, counted against the budget.
   *
   * @returns the JSON, or `null` when the response went over its size limit
   */
  json(): string | null {
    const fields = this.#fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: "text",
    }));
    const head = `{"fields":${JSON.stringify(fields)},"command":${JSON.stringify(this.#command)},` +
      `"rowCount":${JSON.stringify(this.#rowCount)},"rowAsArray":${this.#mode.arrayMode},"rows":[`;
    if (!this.#budget.add(head)) return null;
    return `${head}${this.#rows.join(",")}]}`;
  }
}
