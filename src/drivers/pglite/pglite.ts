/**
 * The Executor over PGlite, Postgres compiled to WebAssembly: the embedded default.
 * @module
 */
import type { BatchOptions, Executor, QueryResult, Row, SqlStatement } from "../../core/executor.ts";
import { StorageError } from "../../core/errors.ts";
import { checkBatchOptions, transactionModesSql } from "../batch-options.ts";
import { decodeAnswer, driverCall, postgresStorageError } from "../failure/mod.ts";
import { type EncodedParam, encodeParams } from "../pg-text/mod.ts";
import type { PgliteLike, PgliteQueryOptions, PgliteRawResult } from "./pglite-like.ts";

const rawText = (value: string): string => value;

/**
 * Create an {@link Executor} over a PGlite instance.
 *
 * PGlite has one connection, so the adapter runs one call at a time, in call order: a
 * batch never interleaves with other queries or batches made through this executor. A
 * batch runs in PGlite's `transaction()` (BEGIN, `SET TRANSACTION` for the options, the
 * statements, COMMIT; ROLLBACK on the first error). Values are decoded the same way as in
 * every other adapter, whatever the instance's parsers are.
 *
 * @param db the PGlite instance; the caller owns it and closes it (`await instance.close()`:
 *   an open instance keeps a script alive for about 10 s after its last line)
 * @returns the executor (`kind` is `pglite`)
 * @throws {StorageError} (code `STORAGE_FAILURE`, from `query`/`batch`) when a statement fails
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { pglite } from "edge-events/pglite";
 *
 * const instance = new PGlite(); // in memory; new PGlite("./data") keeps it on disk
 * const db = pglite(instance);
 * // ... createEventStore({ db, ... }) and use it ...
 * await instance.close(); // then the process exits at once
 * ```
 */
export function pglite(db: PgliteLike): Executor {
  const exclusive = createQueue();
  return Object.freeze({
    kind: "pglite",
    async query<R extends Row = Row>(statement: SqlStatement): Promise<QueryResult<R>> {
      const params = encodeParams(statement.params);
      return await exclusive(async () => {
        const raw = await driverCall(
          async () => db.query(statement.text, params, await rawTextOptions(db)),
          (e) => pgliteFailure(e, params),
        );
        return decode(raw) as QueryResult<R>;
      });
    },
    async batch(statements: readonly SqlStatement[], options: BatchOptions = {}): Promise<QueryResult[]> {
      checkBatchOptions(options);
      if (statements.length === 0) return [];
      const encoded = statements.map((statement) => encodeParams(statement.params));
      return await exclusive(async () => {
        const raws = await driverCall(
          () => runTransaction(db, statements, encoded, options),
          (e) => pgliteFailure(e, encoded.flat()),
        );
        return raws.map(decode);
      });
    },
  });
}

async function runTransaction(
  db: PgliteLike,
  statements: readonly SqlStatement[],
  encoded: readonly EncodedParam[][],
  options: BatchOptions,
): Promise<PgliteRawResult[]> {
  const queryOptions = await rawTextOptions(db);
  const modes = transactionModesSql(options);
  return await db.transaction(async (tx) => {
    if (modes !== "") await tx.query(`SET TRANSACTION ${modes}`, [], queryOptions);
    const raws: PgliteRawResult[] = [];
    for (const [index, statement] of statements.entries()) {
      raws.push(await tx.query(statement.text, encoded[index]!, queryOptions));
    }
    return raws;
  });
}

/** Run tasks one after another, in call order, whether earlier ones fail or not. */
function createQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
}

/**
 * Identity parsers and serializers for every OID the instance would otherwise convert.
 * Read per call: the instance adds array types at start-up and on `refreshArrayTypes()`.
 */
async function rawTextOptions(db: PgliteLike): Promise<PgliteQueryOptions> {
  await db.waitReady;
  return { rowMode: "array", parsers: identityFor(db.parsers), serializers: identityFor(db.serializers) };
}

function identityFor(table: Readonly<Record<number | string, unknown>>): Record<number, typeof rawText> {
  const out: Record<number, typeof rawText> = {};
  for (const key of Object.keys(table)) {
    const oid = Number(key);
    if (Number.isInteger(oid)) out[oid] = rawText;
  }
  return out;
}

function pgliteFailure(error: unknown, params: readonly EncodedParam[]): StorageError {
  return (
    postgresStorageError(error, params) ??
      new StorageError("PGlite failed; the outcome is unknown", { cause: error, outcomeUnknown: true })
  );
}

/** PGlite types its array-mode rows loosely; they are arrays of raw text. */
function decode(raw: PgliteRawResult): QueryResult {
  return decodeAnswer({ ...raw, rows: raw.rows as readonly (readonly unknown[])[] });
}
