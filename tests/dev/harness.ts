/**
 * Shared pieces of the dev-server suites: the upstream URL, unique names, an oracle comparison
 * of driver results with node-postgres results, and error capture.
 * @module
 */
import assert from "node:assert/strict";
import { neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { databaseName, databaseUrl } from "../support/database.ts";
import { localFetchEndpoint, type SqlOverHttpServer, startSqlOverHttpServer } from "../../src/dev/mod.ts";

/** The upstream Postgres: `DATABASE_URL`, or the local trust-auth default. */
export const DATABASE_URL: string = databaseUrl();

/** The database name of {@link DATABASE_URL}. */
export const DATABASE: string = databaseName();

/**
 * A name unique across processes and runs, safe unquoted.
 *
 * @param prefix the start of the name
 * @returns e.g. `eedev_1a2b3c4d5e6f`
 */
export function uniqueName(prefix = "eedev"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * A comparable form of a decoded value: dates as ISO text, byte arrays as hex, class instances
 * as plain objects tagged with their class name (the driver bundles its own pg-types, so the
 * prototypes differ from node-postgres's while the class names and data agree).
 *
 * @param value a decoded value
 * @returns its canonical form
 */
export function canonical(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? "invalid" : value.toISOString() };
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { $bytes: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
  }
  if (Array.isArray(value)) return value.map(canonical);
  const out: Record<string, unknown> = { $class: value.constructor?.name ?? "Object" };
  for (const [key, inner] of Object.entries(value)) out[key] = canonical(inner);
  return out;
}

/** The result fields that must agree between the driver (`fullResults`) and node-postgres. */
export function resultShape(result: {
  fields: object[];
  rows: unknown[];
  command: string | null;
  rowCount: number | null;
}): unknown {
  return {
    fields: result.fields.map((field) => ({ ...field })),
    rows: canonical(result.rows),
    command: result.command,
    rowCount: result.rowCount,
  };
}

/** The exact keys of a driver `fullResults` object: Neon's five plus the driver's three. */
export const FULL_RESULT_KEYS: readonly string[] = [
  "_parsers",
  "_types",
  "command",
  "fields",
  "rowAsArray",
  "rowCount",
  "rows",
  "viaNeonFetch",
];

/** The fields of a Postgres error that the driver copies. */
export const ERROR_KEYS: readonly string[] = [
  "message",
  "code",
  "severity",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
];

/**
 * Await a promise that must reject and return its error.
 *
 * @param promise the operation
 * @returns the rejection reason
 */
export async function rejection(promise: PromiseLike<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown> & Error;
  }
  assert.fail("expected the operation to reject");
}

/**
 * The error fields of {@link ERROR_KEYS}, for comparisons.
 *
 * @param err an error
 * @returns the picked fields
 */
export function errorFields(err: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(ERROR_KEYS.map((key) => [key, err[key]]));
}

/**
 * Run `body` with some `neonConfig` globals replaced, restoring them afterwards.
 *
 * @param patch the globals to set
 * @param body what to run meanwhile
 * @returns what `body` returns
 */
export async function withNeonConfig<T>(
  patch: { fetchEndpoint?: typeof neonConfig.fetchEndpoint; fetchFunction?: unknown; poolQueryViaFetch?: boolean },
  body: () => Promise<T>,
): Promise<T> {
  const saved = {
    fetchEndpoint: neonConfig.fetchEndpoint,
    fetchFunction: neonConfig.fetchFunction as unknown,
    poolQueryViaFetch: neonConfig.poolQueryViaFetch,
  };
  Object.assign(neonConfig, patch);
  try {
    return await body();
  } finally {
    Object.assign(neonConfig, saved);
  }
}

/** Wait a little, for things that settle asynchronously on the server. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A dev server of a suite's own, a node-postgres oracle and a Neon `sql` pointed at the server. */
export interface LocalRig {
  /** The suite's own server (its faults and stats are the suite's alone). */
  server: SqlOverHttpServer;
  /** A node-postgres client on the upstream database. */
  oracle: pg.Client;
  /** The Neon driver's `sql`, through the server. */
  sql: ReturnType<typeof neon>;
}

/**
 * Start a server of the suite's own on a free port, point `neonConfig` at it, connect the
 * oracle and create `schema` through it. The suite closes all of it in its own `after`.
 *
 * @param schema a fresh schema name (from `uniqueName`)
 * @returns the rig
 */
export async function startLocalRig(schema: string): Promise<LocalRig> {
  const server = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0 });
  neonConfig.fetchEndpoint = localFetchEndpoint;
  const oracle = new pg.Client({ connectionString: DATABASE_URL });
  await oracle.connect();
  await oracle.query(`CREATE SCHEMA ${schema}`);
  const sql: ReturnType<typeof neon> = neon(
    `postgres://postgres:pw@localhost:${server.port}/${encodeURIComponent(DATABASE)}`,
  );
  return { server, oracle, sql };
}
