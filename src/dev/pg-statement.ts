/**
 * One statement as a node-postgres "submittable": it writes exactly the messages Neon's proxy
 * pipelines (Parse, Describe statement, Bind with text parameters, Execute, Sync) and feeds
 * the raw replies to a {@link ResultWriter}.
 * @module
 */

import { isPostgresError, ProxyError } from "./errors.ts";
import type { FieldDescription, ResultWriter } from "./result-writer.ts";
import type { SessionStatement } from "./session.ts";

/** The part of node-postgres's `Connection` a statement writes to. */
export interface WireConnection {
  readonly stream: { cork?: () => void; uncork?: () => void };
  parse(query: { text: string; name: string; types: number[] }): void;
  describe(message: { type: "S" | "P"; name: string }): void;
  bind(config: { portal: string; statement: string; values: readonly (string | null)[]; binary: boolean }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}

/**
 * How a statement ended, reported once. `abandoned` means the connection is unusable or still
 * busy (connection failure, response too large, COPY): cancel what runs and discard it. Any
 * other error is a Postgres ErrorResponse, after which a ReadyForQuery follows.
 */
export interface StatementOutcome {
  /** The error, or `null` on success. */
  readonly error: unknown;
  /** True when the connection must be cancelled and discarded. */
  readonly abandoned: boolean;
}

/** A statement node-postgres can queue with `client.query(statement)`. */
export class PgStatement {
  readonly #statement: SessionStatement;
  readonly #writer: ResultWriter | null;
  readonly #settle: (outcome: StatementOutcome) => void;
  #settled = false;

  /**
   * @param statement the SQL text and text parameters
   * @param writer where rows go, or `null`
   * @param settle called once with the outcome
   */
  constructor(statement: SessionStatement, writer: ResultWriter | null, settle: (outcome: StatementOutcome) => void) {
    this.#statement = statement;
    this.#writer = writer;
    this.#settle = settle;
  }

  #finish(outcome: StatementOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle(outcome);
  }

  /** Write the pipelined messages. Called by node-postgres. */
  submit(connection: WireConnection): void {
    connection.stream.cork?.();
    try {
      connection.parse({ text: this.#statement.text, name: "", types: [] });
      connection.describe({ type: "S", name: "" });
      connection.bind({ portal: "", statement: "", values: this.#statement.params, binary: false });
      connection.execute({ portal: "", rows: 0 });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
  }

  /** RowDescription from the statement Describe. */
  handleRowDescription(message: { fields: FieldDescription[] }): void {
    if (!this.#settled) this.#writer?.describe(message.fields);
  }

  /** One DataRow; stops with a 507 once the response is too large. */
  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.#settled || this.#writer === null) return;
    if (!this.#writer.row(message.fields)) this.#finish({ error: this.#writer.tooLarge(), abandoned: true });
  }

  /** CommandComplete. */
  handleCommandComplete(message: { text: string }): void {
    if (!this.#settled) this.#writer?.complete(message.text);
  }

  /** EmptyQueryResponse: the result keeps `command: ""` and `rowCount: null`. */
  handleEmptyQuery(): void {}

  /** PortalSuspended never happens (Execute asks for all rows). */
  handlePortalSuspended(): void {}

  /** An ErrorResponse, or a connection failure reported by node-postgres. */
  handleError(error: unknown): void {
    this.#finish({ error, abandoned: !isPostgresError(error) });
  }

  /** ReadyForQuery after success. */
  handleReadyForQuery(): void {
    this.#finish({ error: null, abandoned: false });
  }

  /** COPY FROM STDIN slipped past the guard: give up on this connection. */
  handleCopyInResponse(): void {
    this.#finish({ error: new ProxyError(400, "COPY is not supported over SQL-over-HTTP"), abandoned: true });
  }

  /** COPY TO STDOUT data: refused the same way. */
  handleCopyData(): void {
    this.handleCopyInResponse();
  }
}
