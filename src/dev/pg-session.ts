/**
 * A {@link Session} over one node-postgres client checked out of a pool.
 * @module
 */

import type { PoolClient } from "pg";
import { ProxyError } from "./errors.ts";
import { PgStatement } from "./pg-statement.ts";
import type { ResultWriter } from "./result-writer.ts";
import type { Session, SessionStatement } from "./session.ts";

/** The node-postgres client internals this module reads (present since pg 8.11). */
interface ClientInternals {
  readonly readyForQuery?: boolean;
  readonly processID?: number | null;
  readonly secretKey?: number | null;
  getTransactionStatus?: () => string | null;
}

/** Resolve once the client has read the ReadyForQuery that follows an ErrorResponse. */
function whenReady(client: PoolClient): Promise<void> {
  if ((client as unknown as ClientInternals).readyForQuery === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      client.off("drain", done).off("end", done).off("error", done);
      resolve();
    };
    client.on("drain", done).on("end", done).on("error", done);
  });
}

/** One checked-out client, with what the pool needs to know when it comes back. */
export class PgSession implements Session {
  readonly #client: PoolClient;
  readonly #onAbandon: () => void;
  #abandoned = false;

  /**
   * @param client the checked-out client
   * @param onAbandon called when a statement leaves the connection busy or broken
   */
  constructor(client: PoolClient, onAbandon: () => void) {
    this.#client = client;
    this.#onAbandon = onAbandon;
  }

  /** The backend's key, for a CancelRequest; `null` before the startup completed. */
  get backendKey(): { processId: number; secretKey: number } | null {
    const { processID, secretKey } = this.#client as unknown as ClientInternals;
    return typeof processID === "number" && typeof secretKey === "number" ? { processId: processID, secretKey } : null;
  }

  /** True when the connection may go back to the pool: not abandoned and idle (`I`). */
  get reusable(): boolean {
    const status = (this.#client as unknown as ClientInternals).getTransactionStatus?.();
    return !this.#abandoned && status === "I";
  }

  /** Mark the connection as not reusable (after an abort). */
  abandon(): void {
    this.#abandoned = true;
  }

  run(statement: SessionStatement, writer: ResultWriter | null): Promise<void> {
    // An abandoned connection is closed on release, which also rolls back; queueing behind a
    // statement that is still being cancelled would only delay the answer.
    if (this.#abandoned) return Promise.reject(new ProxyError(500, "the connection was abandoned"));
    return new Promise((resolve, reject) => {
      const pgStatement = new PgStatement(statement, writer, ({ error, abandoned }) => {
        if (error === null) return resolve();
        if (abandoned) {
          this.#abandoned = true;
          this.#onAbandon();
          return reject(error);
        }
        // Wait for ReadyForQuery so that the transaction status is current afterwards.
        void whenReady(this.#client).then(() => reject(error));
      });
      this.#client.query(pgStatement as never);
    });
  }
}
