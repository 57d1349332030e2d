/**
 * The size of randomized stress and property tests: bounded by default, so that `npm test`
 * (CI included) stays within its time budget on a 2-core machine; full with
 * `EDGE_EVENTS_STRESS=full`, for a long run before a release or after touching the write path.
 *
 * Only the number of random rounds, iterations or cases shrinks; the shape of each round
 * (how many writers race at once, what each asserts) is the same in both sizes.
 * @module
 */
import process from "node:process";

/** True when `EDGE_EVENTS_STRESS=full` asks for the long runs. */
export const FULL_STRESS: boolean = process.env["EDGE_EVENTS_STRESS"] === "full";

/**
 * A count of random rounds: `full` under `EDGE_EVENTS_STRESS=full`, else `bounded`.
 *
 * @param full the count of a long run
 * @param bounded the count `npm test` runs
 * @returns one of them
 * @example
 * ```ts
 * const ROUNDS = stressSize(20, 8);
 * ```
 */
export function stressSize(full: number, bounded: number): number {
  return FULL_STRESS ? full : bounded;
}
