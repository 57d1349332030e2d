/**
 * The failure of decoding a result the database did send, and the decoding every adapter
 * runs with it.
 * @module
 */
import { StorageError } from "../../core/errors.ts";
import type { QueryResult } from "../../core/executor.ts";
import { decodeResult, type RawResult } from "../pg-text/mod.ts";

/**
 * A {@link StorageError} for a result that arrived but could not be decoded (an unexpected
 * text format, such as a non-ISO `DateStyle`). The statement ran, so `outcomeUnknown` is true.
 *
 * @param error the decoding error
 * @returns the StorageError, with the decoding error as `cause`
 * @example
 * ```ts
 * import type { QueryResult } from "edge-events";
 * import { decodeResult, type RawResult } from "../pg-text/mod.ts";
 *
 * function decoded(raw: RawResult): QueryResult {
 *   try {
 *     return decodeResult(raw);
 *   } catch (err) {
 *     throw decodeFailure(err);
 *   }
 * }
 * ```
 */
export function decodeFailure(error: unknown): StorageError {
  return new StorageError("The database answered but its result could not be decoded", {
    cause: error,
    outcomeUnknown: true,
  });
}

/**
 * Decode a driver's raw result ({@link decodeResult}); a result that cannot be decoded
 * throws the {@link decodeFailure} StorageError instead of the decoding error.
 *
 * @param raw the driver's result, in array mode with raw text values
 * @returns the decoded result
 * @throws {StorageError} (code `STORAGE_FAILURE`, `outcomeUnknown` true) when a value does not decode
 */
export function decodeAnswer(raw: RawResult): QueryResult {
  try {
    return decodeResult(raw);
  } catch (error) {
    throw decodeFailure(error);
  }
}
