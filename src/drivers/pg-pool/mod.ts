/**
 * `edge-events/pg`: the Executor over a node-postgres compatible pool, `pg.Pool` over TCP
 * or Neon's WebSocket `Pool`. Imports neither package.
 * @module
 */
export { pgPool } from "./pg-pool.ts";
export type { PgPoolClientLike, PgPoolLike, PgQueryConfig, PgRawResult, PgTypeParsers } from "./pg-pool-like.ts";
