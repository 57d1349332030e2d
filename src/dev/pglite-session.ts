/**
 * A {@link Session} over PGlite's wire-protocol API (`execProtocol`), which returns the raw
 * RowDescription (all seven attributes), DataRow text and command tags, like a socket would.
 * @module
 */

import type { PGlite } from "@electric-sql/pglite";
import type { FieldDescription, ResultWriter } from "./result-writer.ts";
import type { Session, SessionStatement } from "./session.ts";

/** The subset of PGlite this server uses (also satisfied by `PGliteInterface`). */
export type PgliteLike = Pick<PGlite, "execProtocol" | "runExclusive" | "close"> & {
  readonly waitReady?: Promise<void>;
};

/**
 * PGlite's message serializer (`protocol.serialize`), passed in by the backend, which loads the
 * package lazily: importing this module must not need `@electric-sql/pglite`.
 */
export type PgliteSerialize = typeof import("@electric-sql/pglite")["protocol"]["serialize"];

type Message = { name: string } & Record<string, unknown>;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Runs statements one at a time on the single PGlite connection; the caller holds its lock. */
export class PgliteSession implements Session {
  readonly #db: PgliteLike;
  readonly #serialize: PgliteSerialize;
  #status = "I";

  constructor(db: PgliteLike, serialize: PgliteSerialize) {
    this.#db = db;
    this.#serialize = serialize;
  }

  /** The transaction status of the last ReadyForQuery: `I`, `T` or `E`. */
  get status(): string {
    return this.#status;
  }

  async run(statement: SessionStatement, writer: ResultWriter | null): Promise<void> {
    const serialize = this.#serialize;
    const message = concat([
      serialize.parse({ text: statement.text, types: [] }),
      serialize.describe({ type: "S" }),
      serialize.bind({ values: [...statement.params] }),
      serialize.execute({}),
      serialize.sync(),
    ]);
    const { messages } = await this.#db.execProtocol(message, { throwOnError: false });
    let error: unknown = null;
    let tooLarge = false;
    for (const msg of messages as unknown as Message[]) {
      if (msg.name === "readyForQuery") this.#status = String(msg["status"]);
      else if (msg.name === "error") error = msg;
      else if (writer === null || tooLarge) continue;
      else if (msg.name === "rowDescription") writer.describe(msg["fields"] as FieldDescription[]);
      else if (msg.name === "dataRow") tooLarge = !writer.row(msg["fields"] as (string | null)[]);
      else if (msg.name === "commandComplete") writer.complete(String(msg["text"]));
    }
    if (error !== null) throw error;
    if (tooLarge && writer !== null) throw writer.tooLarge();
  }
}
