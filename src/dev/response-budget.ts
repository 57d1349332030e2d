/**
 * The response size limit (spec §8): checked while rows are serialized, cumulative across the
 * statements of a batch, answered with 507.
 * @module
 */

import { Buffer } from "node:buffer";
import { ProxyError } from "./errors.ts";

/** Counts the bytes of one response as it is built. */
export class ResponseBudget {
  /** The limit in bytes. */
  readonly max: number;
  #used = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** Bytes counted so far. */
  get used(): number {
    return this.#used;
  }

  /**
   * Count a piece of the JSON response.
   *
   * @param json the serialized piece
   * @returns false once the total exceeds the limit
   */
  add(json: string): boolean {
    this.#used += Buffer.byteLength(json, "utf8");
    return this.#used <= this.max;
  }

  /**
   * The error to answer with once the limit is exceeded.
   *
   * @returns a 507 error with Neon's message
   */
  exceeded(): ProxyError {
    return new ProxyError(507, `response is too large (max is ${this.max} bytes)`);
  }
}
