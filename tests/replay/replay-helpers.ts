/**
 * Helpers of the replay suites: exact table snapshots, a ticking clock, hand-inserted
 * (legacy) events, a seeded PRNG and outcome capture.
 * @module
 */
import type { Executor, SqlParam } from "../../src/core/executor.ts";
import { newEventId } from "../../src/core/ids.ts";

/** Every table's rows as exact JSON text (microseconds, jsonb, bigints and all), sorted. */
export type Snapshot = Record<string, string[]>;

/**
 * Snapshot tables row by row: each row as `to_jsonb(row)::text`, so timestamps compare to the
 * microsecond and types compare by their database text, not by what a driver decodes.
 *
 * @param db the executor
 * @param tables trusted, qualified table names
 * @returns the rows of each table, sorted
 */
export async function snapshot(db: Executor, tables: readonly string[]): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const table of tables) {
    const result = await db.query({
      text: `SELECT to_jsonb(t)::text AS row FROM ${table} AS t ORDER BY 1`,
      params: [],
    });
    out[table] = result.rows.map((row) => String(row["row"]));
  }
  return out;
}

/**
 * A deterministic clock: every call is one second after the previous one.
 *
 * @param start the first time
 * @returns the clock
 */
export function tickingClock(start: Date = new Date("2024-03-01T09:00:00.000Z")): () => Date {
  let next = start.getTime();
  return () => {
    const now = new Date(next);
    next += 1_000;
    return now;
  };
}

/** The columns of a hand-written event row. */
export interface LegacyEvent {
  readonly resource: string;
  readonly recordId: string;
  readonly action: string;
  readonly actionType: "create" | "update" | "destroy";
  readonly version: number;
  readonly data?: Record<string, unknown>;
  readonly changes?: Record<string, unknown>;
  readonly tenant?: string | null;
  readonly occurredAt?: Date;
  readonly id?: string;
}

/**
 * The statement that appends an event row by hand, as an old version of the app would
 * have written it (the log forbids UPDATE and DELETE, not INSERT).
 *
 * @param table the trusted, qualified event table
 * @param event the event
 * @returns the statement and the event id
 */
export function legacyEventSql(table: string, event: LegacyEvent): { text: string; params: SqlParam[]; id: string } {
  const id = event.id ?? newEventId();
  return {
    id,
    text:
      `INSERT INTO ${table} (id, occurred_at, resource, record_id, action, action_type, version, data, changes, tenant, correlation_id) ` +
      `VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7::int, $8::jsonb, $9::jsonb, $10, $1)`,
    params: [
      id,
      event.occurredAt ?? new Date(),
      event.resource,
      event.recordId,
      event.action,
      event.actionType,
      event.version,
      JSON.stringify(event.data ?? {}),
      JSON.stringify(event.changes ?? {}),
      event.tenant ?? null,
    ],
  };
}

/**
 * Append an event row by hand.
 *
 * @returns the event id
 */
export async function insertLegacyEvent(db: Executor, table: string, event: LegacyEvent): Promise<string> {
  const { text, params, id } = legacyEventSql(table, event);
  await db.query({ text, params });
  return id;
}

/**
 * mulberry32: a tiny seeded PRNG with floats in [0, 1).
 *
 * @param seed a 32-bit seed
 * @returns the generator
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Settle a promise into its value or its error, never throwing.
 *
 * @returns `{ value }` or `{ error }`
 */
export async function settle<T>(
  promise: Promise<T>,
): Promise<{ value: T; error?: undefined } | { error: unknown; value?: undefined }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/**
 * How many rows of the replay state table have each status.
 *
 * @param db the executor
 * @param table the trusted, qualified replay state table (`<events>_replay`)
 * @returns counts by status
 */
export async function replayStatuses(db: Executor, table: string): Promise<Record<string, number>> {
  const rows =
    (await db.query({ text: `SELECT status, count(*)::int AS n FROM ${table} GROUP BY status`, params: [] })).rows;
  return Object.fromEntries(rows.map((row) => [String(row["status"]), Number(row["n"])]));
}
