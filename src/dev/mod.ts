/**
 * `edge-events/dev`: a local server that speaks Neon's SQL-over-HTTP protocol in front of a
 * real Postgres (node-postgres) or an embedded PGlite, so that the real `neon()` driver runs
 * locally and in tests. Runs on Node, Bun and Deno. Never imported by the core.
 * @module
 */

export { startSqlOverHttpServer } from "./server.ts";
export type { SqlOverHttpServer, SqlOverHttpServerOptions } from "./server.ts";
export { createSqlOverHttpHandler } from "./handler.ts";
export type { SqlOverHttpHandler, SqlOverHttpHandlerOptions, SqlOverHttpStats } from "./handler.ts";
export { createLocalFetchEndpoint, localFetchEndpoint } from "./local-fetch-endpoint.ts";
export type { FetchEndpoint } from "./local-fetch-endpoint.ts";
export type { ConnectionStats } from "./connection-pool.ts";
export { DroppedResponseError } from "./faults.ts";
export type { FaultInjector, FaultMode, FaultOptions, FaultRule } from "./faults.ts";
export type { AccessOptions } from "./access.ts";
export type { PgBackendOptions } from "./pg-backend.ts";
export type { PgliteOption } from "./pglite-backend.ts";
export { MissingPeerError } from "./optional-peer.ts";
export type { OptionalPeer } from "./optional-peer.ts";
