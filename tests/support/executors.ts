/**
 * The shared executor cases: how to set up each executor a behaviour suite runs on, each run in
 * a fresh schema of its own. Suites do not loop over them themselves: they call
 * `describeEachExecutor` (`each-executor.ts`), which runs the suite on every case and states
 * each skip once, with its reason.
 *
 * @module
 */
import { neon } from "@neondatabase/serverless";
import pg from "pg";
import type { Executor } from "../../src/core/executor.ts";
import { neonHttp } from "../../src/drivers/neon/mod.ts";
import { pgPool } from "../../src/drivers/pg-pool/mod.ts";
import { pglite } from "../../src/drivers/pglite/mod.ts";
import { databaseUrl, localServerUrl, uniqueSchemaName } from "./database.ts";
import { leaseLocalServer, type LocalServer, neonRequestCount } from "./local-server.ts";
import { newPglite } from "./pglite-snapshot.ts";

/** The executors the suites can run against. */
export type ExecutorCaseName = "pglite" | "neon-http" | "pg-pool";

/** One executor, ready for a suite. */
export interface ExecutorFixture {
  /** Which case this is. */
  readonly name: ExecutorCaseName;
  /** The executor under test. */
  readonly db: Executor;
  /** A schema created for this fixture alone (empty, unquoted-safe); `close()` drops it. */
  readonly schema: string;
  /**
   * HTTP requests this fixture's executor has sent since `setup()` returned (neon-http), or
   * undefined for executors that do not speak HTTP.
   */
  requests(): number | undefined;
  /** The local SQL-over-HTTP server behind the executor (neon-http only): faults, stats. */
  readonly server: LocalServer | undefined;
  /** Drop the schema and release everything the fixture holds. Safe to call twice. */
  close(): Promise<void>;
}

/** A named way to set up a fixture. */
export interface ExecutorCase {
  /** The executor's name, for test titles. */
  readonly name: ExecutorCaseName;
  /** Create a fixture: a fresh executor (or a share of the process's server) and schema. */
  setup(): Promise<ExecutorFixture>;
}

const SETUPS: Readonly<Record<ExecutorCaseName, () => Promise<ExecutorFixture>>> = {
  "pglite": setupPglite,
  "neon-http": setupNeonHttp,
  "pg-pool": setupPgPool,
};

/**
 * The executor cases to run a suite over. The default is the design's pair: PGlite in
 * process, and Postgres through the local SQL-over-HTTP server with the real `neon()` driver.
 *
 * @param names which cases, in order; `pg-pool` (node-postgres over TCP) on request
 * @returns the cases
 * @example
 * ```ts
 * for (const testCase of executorCases(["pglite", "neon-http", "pg-pool"])) { ... }
 * ```
 */
export function executorCases(
  names: readonly ExecutorCaseName[] = ["pglite", "neon-http"],
): ExecutorCase[] {
  return names.map((name) => ({ name, setup: SETUPS[name] }));
}

async function setupPglite(): Promise<ExecutorFixture> {
  // An empty cluster of its own, loaded from a snapshot rather than initialised (pglite-snapshot.ts).
  const instance = await newPglite();
  const db = pglite(instance);
  let schema: string;
  try {
    schema = await createSchema(db);
  } catch (error) {
    await instance.close();
    throw error;
  }
  return fixture("pglite", db, schema, {
    requests: () => undefined,
    server: undefined,
    release: () => instance.close(),
  });
}

async function setupPgPool(): Promise<ExecutorFixture> {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
  const db = pgPool(pool);
  let schema: string;
  try {
    schema = await createSchema(db);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return fixture("pg-pool", db, schema, {
    requests: () => undefined,
    server: undefined,
    release: () => pool.end(),
  });
}

async function setupNeonHttp(): Promise<ExecutorFixture> {
  const lease = await leaseLocalServer();
  const applicationName = uniqueSchemaName("ee_app");
  // The role and database of DATABASE_URL: the only ones the local server serves.
  const url = localServerUrl(lease.server.port, { params: { application_name: applicationName } });
  const db = neonHttp(neon(url));
  let schema: string;
  try {
    schema = await createSchema(db);
  } catch (error) {
    await lease.release();
    throw error;
  }
  const baseline = neonRequestCount(applicationName);
  return fixture("neon-http", db, schema, {
    requests: () => neonRequestCount(applicationName) - baseline,
    server: lease.server,
    release: () => lease.release(),
  });
}

interface FixtureResources {
  requests(): number | undefined;
  readonly server: LocalServer | undefined;
  release(): Promise<void>;
}

function fixture(name: ExecutorCaseName, db: Executor, schema: string, resources: FixtureResources): ExecutorFixture {
  let closed: Promise<void> | undefined;
  return {
    name,
    db,
    schema,
    requests: resources.requests,
    server: resources.server,
    close() {
      closed ??= (async () => {
        try {
          await db.query({ text: `DROP SCHEMA IF EXISTS ${schema} CASCADE`, params: [] });
        } finally {
          await resources.release();
        }
      })();
      return closed;
    },
  };
}

async function createSchema(db: Executor): Promise<string> {
  const schema = uniqueSchemaName();
  await db.query({ text: `CREATE SCHEMA ${schema}`, params: [] });
  return schema;
}
