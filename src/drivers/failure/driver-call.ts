/**
 * Running a driver call so that whatever it throws leaves the adapter as a StorageError.
 * @module
 */
import type { StorageError } from "../../core/errors.ts";

/**
 * Await `run()`; when it throws, throw what `failure` maps the error to instead (each driver
 * has its own mapping: which errors came from Postgres, which may have committed).
 *
 * @param run the driver call
 * @param failure the driver's mapping of a thrown value to a StorageError
 * @returns what `run` resolved to
 * @throws {StorageError} (code `STORAGE_FAILURE`) when `run` fails
 */
export async function driverCall<T>(run: () => PromiseLike<T>, failure: (error: unknown) => StorageError): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw failure(error);
  }
}
