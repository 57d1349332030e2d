/**
 * Building frozen `{ text, params }` statements.
 * @module
 */
import type { SqlParam, SqlStatement } from "../core/executor.ts";

/**
 * Freeze a statement so that it can be shared and compared safely.
 * @example
 * ```ts
 * statement("SELECT $1::int AS n", [1])
 * ```
 */
export function statement(text: string, params: readonly SqlParam[] = []): SqlStatement {
  return Object.freeze({ text, params: Object.freeze([...params]) });
}

/**
 * Collects parameters while a builder writes SQL text: `add(value)` returns the next
 * `$n` placeholder for that value.
 */
export class ParamList {
  readonly #params: SqlParam[] = [];

  /** Bind a value and return its placeholder (`$1`, `$2`, ...). */
  add(value: SqlParam): string {
    this.#params.push(value);
    return `$${this.#params.length}`;
  }

  /** The statement made of `text` and the values bound so far. */
  build(text: string): SqlStatement {
    return statement(text, this.#params);
  }
}
