/**
 * Executors for interleaving tests: one that pauses the first request matching a predicate
 * until the test releases it, one that records every statement it sends, and one that waits a
 * seeded random moment before each request.
 * @module
 */
import type { BatchOptions, Executor, QueryResult, Row, SqlStatement } from "../../src/core/executor.ts";

/** A pause point: `reached` resolves when the matching request arrives; `release()` lets it go on. */
export interface Gate {
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * Wrap `db` so that every request (a query or a batch) first awaits `before(statements)`.
 *
 * @param db the executor to wrap
 * @param before called with the statements of each request before it is sent
 * @returns the wrapped executor
 */
export function interceptedExecutor(
  db: Executor,
  before: (statements: readonly SqlStatement[]) => Promise<void> | void,
): Executor {
  return {
    kind: db.kind,
    async query<R extends Row = Row>(statement: SqlStatement): Promise<QueryResult<R>> {
      await before([statement]);
      return db.query<R>(statement);
    },
    async batch(statements: readonly SqlStatement[], options?: BatchOptions): Promise<QueryResult[]> {
      await before(statements);
      return db.batch(statements, options);
    },
  };
}

/**
 * Wrap `db` so that the first request whose statements match `match` waits, before it is
 * sent, until the gate is released. Later requests pass.
 *
 * @param db the executor to wrap
 * @param match which request to pause
 * @returns the wrapped executor and its gate
 */
export function gatedExecutor(
  db: Executor,
  match: (statements: readonly SqlStatement[]) => boolean,
): { db: Executor; gate: Gate } {
  let arrive!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (open = resolve));
  let armed = true;
  const gated = interceptedExecutor(db, async (statements) => {
    if (!armed || !match(statements)) return;
    armed = false;
    arrive();
    await released;
  });
  return { db: gated, gate: { reached, release: open } };
}

/**
 * Wrap `db` so that every statement text it sends is recorded, in order.
 *
 * @param db the executor to wrap
 * @returns the wrapped executor and the texts sent so far
 */
export function recordingExecutor(db: Executor): { db: Executor; sent: SqlStatement[][] } {
  const sent: SqlStatement[][] = [];
  return { db: interceptedExecutor(db, (statements) => void sent.push([...statements])), sent };
}

/**
 * Wrap `db` so that each request waits 0 to `maxMs` milliseconds first, drawn from `random`.
 *
 * @param db the executor to wrap
 * @param random a seeded generator of floats in [0, 1)
 * @param maxMs the longest wait
 * @returns the wrapped executor
 */
export function jitteredExecutor(db: Executor, random: () => number, maxMs: number): Executor {
  return interceptedExecutor(
    db,
    () => new Promise((resolve) => setTimeout(resolve, Math.floor(random() * (maxMs + 1)))),
  );
}
