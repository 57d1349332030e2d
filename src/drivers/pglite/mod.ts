/**
 * `edge-events/pglite`: the Executor over PGlite, Postgres embedded in WebAssembly, in
 * memory or on disk. Imports nothing from `@electric-sql/pglite`.
 * @module
 */
export { pglite } from "./pglite.ts";
export type { PgliteLike, PgliteQueryOptions, PgliteRawResult, PgliteTransactionLike } from "./pglite-like.ts";
