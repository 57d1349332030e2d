/**
 * `edge-events/neon`: the Executor over Neon's serverless driver, speaking SQL over HTTP.
 *
 * Pass the query function from `neon()`; this module imports nothing from the driver.
 * @module
 */
export { neonHttp } from "./neon-http.ts";
export type { NeonQueryOptions, NeonRawResult, NeonSql, NeonTransactionOptions, NeonTypeParsers } from "./neon-sql.ts";
