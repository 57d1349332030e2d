/**
 * `Sensitive`: a decrypted value that does not print. Whatever prints it (`console.log`,
 * Node's `util.inspect`, Deno's `Deno.inspect`, `JSON.stringify`, a template string) sees
 * `[sensitive]`; only {@link Sensitive.reveal} gives the value.
 * @module
 */

const SHOWN = "[sensitive]";

// Both runtimes look these up with Symbol.for, so no runtime module is needed to honour them.
const NODE_INSPECT = Symbol.for("nodejs.util.inspect.custom");
const DENO_INSPECT = Symbol.for("Deno.customInspect");

/**
 * A sensitive value read back from the log. It prints, inspects and serializes as
 * `[sensitive]`; call `reveal()` where the value is really needed.
 *
 * @example
 * ```ts
 * import { Sensitive } from "edge-events";
 *
 * const email = new Sensitive("ada@example.com");
 * console.log(email); // [sensitive]
 * JSON.stringify({ email }); // '{"email":"[sensitive]"}'
 * email.reveal(); // "ada@example.com"
 * ```
 */
export class Sensitive<T = unknown> {
  readonly #value: T;

  /**
   * Wrap a value.
   *
   * @param value the value to keep from printing
   */
  constructor(value: T) {
    this.#value = value;
    for (const symbol of [NODE_INSPECT, DENO_INSPECT]) {
      Object.defineProperty(this, symbol, { value: () => SHOWN, enumerable: false });
    }
  }

  /** The value itself. */
  reveal(): T {
    return this.#value;
  }

  /** `[sensitive]`, for `JSON.stringify`. */
  toJSON(): string {
    return SHOWN;
  }

  /** `[sensitive]`, for string conversion. */
  toString(): string {
    return SHOWN;
  }
}
