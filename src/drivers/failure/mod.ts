/**
 * Mapping driver failures to {@link StorageError}, shared by every adapter. Internal.
 * @module
 */
export { decodeAnswer, decodeFailure } from "./decode-failure.ts";
export { driverCall } from "./driver-call.ts";
export { postgresStorageError, sqlStateOf } from "./postgres-error.ts";
export { redactMessage } from "./redact-message.ts";
