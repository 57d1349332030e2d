/**
 * One behaviour suite over every executor: `describeEachExecutor` runs a suite once per
 * executor case (PGlite in process; Postgres through the real `neon()` driver and the local
 * SQL-over-HTTP server; Postgres through the node-postgres pool), each run in a fresh schema of
 * its own, and skips a case only for a need it cannot meet, with the reason stated once here.
 *
 * ```ts
 * describeEachExecutor("rename()", { needs: ["concurrency"] }, (fx) => {
 *   let store: EventStore;
 *   before(async () => { store = createEventStore({ db: fx.db, ... }); await store.migrate(...) });
 *   test("writes one event", async () => { ... `${fx.schema}.events` ... });
 * });
 * ```
 *
 * The suite's title is `${title} [${case}]`; a skipped case is one skipped test of that title
 * whose skip message is the reason. The fixture is set up in a `before` hook registered ahead of
 * the body's hooks and closed in an `after` hook registered behind them, so the body's own
 * `before` hooks see it ready and its `after` hooks run while it is still open.
 * @module
 */
import { after, before, describe, test } from "node:test";
import type { LocalServer } from "./local-server.ts";
import { type ExecutorCaseName, executorCases, type ExecutorFixture } from "./executors.ts";

/**
 * What a suite needs of its executor beyond running SQL.
 *
 * - `concurrency`: two sessions at once on real Postgres (racing writers, a second client, locks
 *   held across calls, pg_locks / pg_stat_activity).
 * - `http-requests`: an executor that sends HTTP requests the fixture counts (`fx.requests()`).
 * - `http-faults`: the local server in front of the executor, to inject HTTP faults (`fx.server`).
 */
export type ExecutorNeed = "concurrency" | "http-requests" | "http-faults";

/** Every executor case, in the order the suites run them. */
export const EVERY_EXECUTOR: readonly ExecutorCaseName[] = ["pglite", "neon-http", "pg-pool"];

/** Why a case cannot meet a need; a case absent from a need's entry meets it. */
const CANNOT: Readonly<Record<ExecutorNeed, Partial<Record<ExecutorCaseName, string>>>> = {
  "concurrency": {
    "pglite": "PGlite runs one statement at a time: there is no second session to race or to hold a lock",
  },
  "http-requests": {
    "pglite": "PGlite runs in process and sends no HTTP requests to count",
    "pg-pool": "node-postgres speaks the wire protocol over TCP and sends no HTTP requests to count",
  },
  "http-faults": {
    "pglite": "no local SQL-over-HTTP server stands in front of PGlite to inject HTTP faults",
    "pg-pool": "no local SQL-over-HTTP server stands in front of the pg pool to inject HTTP faults",
  },
};

/** Options of a suite run over every executor. */
export interface EachExecutorOptions {
  /** What the suite needs; a case that cannot meet one is skipped with the reason. */
  readonly needs?: readonly ExecutorNeed[];
}

/**
 * Why a case is skipped for `needs`, or undefined if it runs.
 *
 * @param name the executor case
 * @param needs what the suite needs
 * @returns the reasons, joined, or undefined
 */
export function skipReason(name: ExecutorCaseName, needs: readonly ExecutorNeed[]): string | undefined {
  const reasons = [...new Set(needs.map((need) => CANNOT[need][name]).filter((r) => r !== undefined))];
  return reasons.length === 0 ? undefined : reasons.join("; ");
}

/**
 * Describe `body` once per executor case, each with a fixture of its own (fresh schema).
 *
 * @param title the suite's title; the case's name is appended in brackets
 * @param options what the suite needs of its executor
 * @param body the suite: registers hooks and tests; `fx` is usable from its `before` hooks on
 */
export function describeEachExecutor(
  title: string,
  options: EachExecutorOptions,
  body: (fx: ExecutorFixture) => void,
): void {
  for (const testCase of executorCases(EVERY_EXECUTOR)) {
    const name = `${title} [${testCase.name}]`;
    const reason = skipReason(testCase.name, options.needs ?? []);
    if (reason !== undefined) {
      // A skipped test, not a skipped describe(): Bun does not report an empty skipped suite.
      test(name, { skip: reason }, () => {});
      continue;
    }
    describe(name, () => {
      let current: ExecutorFixture | undefined;
      const live = (): ExecutorFixture => {
        if (current === undefined) throw new Error(`the ${testCase.name} fixture is used before its before() hook ran`);
        return current;
      };
      before(async () => {
        current = await testCase.setup();
      });
      body({
        name: testCase.name,
        get db() {
          return live().db;
        },
        get schema() {
          return live().schema;
        },
        requests: () => live().requests(),
        // Undefined before setup too, so that an after() hook may clear faults after a failed before().
        get server(): LocalServer | undefined {
          return current?.server;
        },
        close: () => live().close(),
      });
      after(() => current?.close());
    });
  }
}

/**
 * Test options that skip one test of a suite on a case that cannot meet `needs`, with the
 * reason: for a suite whose other tests run everywhere.
 *
 * @param fx the suite's fixture
 * @param needs what the test needs
 * @returns `{ skip: reason }`, or `{}` when the case meets every need
 */
export function needing(fx: ExecutorFixture, needs: readonly ExecutorNeed[]): { skip?: string } {
  const reason = skipReason(fx.name, needs);
  return reason === undefined ? {} : { skip: reason };
}
