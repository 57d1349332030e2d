/**
 * The two ports between the HTTP handler and a database: a {@link Session} runs statements on
 * one connection; a {@link Backend} lends sessions (a node-postgres pool or a PGlite instance).
 * @module
 */

import type { ConnectionInfo } from "./connection-string.ts";
import type { ResultWriter } from "./result-writer.ts";

/** SQL text with text parameters, run through Parse/Describe/Bind/Execute/Sync. */
export interface SessionStatement {
  readonly text: string;
  readonly params: readonly (string | null)[];
}

/** One backend connection, used by one request at a time. */
export interface Session {
  /**
   * Run one statement with the extended protocol (unnamed statement, text results).
   *
   * @param statement the statement
   * @param writer receives the RowDescription, DataRows and tag; `null` to discard them
   * @throws the Postgres error, or a 507 `ProxyError` when the writer's budget runs out
   */
  run(statement: SessionStatement, writer: ResultWriter | null): Promise<void>;
}

/** Something that lends sessions: a pool per role and database, or an embedded database. */
export interface Backend {
  /**
   * Run `work` on a session for this connection info. The backend cancels the running query
   * when `signal` aborts and never reuses a connection that is not idle afterwards.
   *
   * @param info who connects, to which database, with which startup parameters
   * @param signal aborts when the HTTP client goes away
   * @param work what to do with the session
   * @returns what `work` returns
   */
  withSession<T>(info: ConnectionInfo, signal: AbortSignal, work: (session: Session) => Promise<T>): Promise<T>;
  /** Close every connection. */
  close(): Promise<void>;
}
