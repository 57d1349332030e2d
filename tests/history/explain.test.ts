// No read of the log scans the event table sequentially: on real Postgres (DATABASE_URL,
// through the pg pool), a log of 100,000 events loaded with one INSERT ... SELECT
// generate_series and ANALYZEd, every statement of the table below, built by the real
// builders, is EXPLAINed (FORMAT JSON) and its plan walked for a "Seq Scan" on the events
// table. The table is the list to extend: each read of the log (audit, summary, the feed,
// readEvents; history's reads after they merge) adds its statements by name.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { defineEventLog, type EventLog, type SqlStatement } from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { migrateBatch } from "../../src/sql/event-log-ddl.ts";
import { auditSql, summarySql } from "../../src/sql/audit-statements.ts";
import { readEventsSql, readFeedSql } from "../../src/sql/read-events.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";

const EVENTS = 100_000;
const T0 = Date.parse("2024-01-01T00:00:00Z");
const STEP_MS = 5 * 60_000; // event g occurred at T0 + g * 5 minutes: about 347 days in all
const at = (g: number): Date => new Date(T0 + g * STEP_MS);
const DAY = { from: at(50_000), to: at(50_288) }; // one day in the middle of the log
const USER = "c4ca4238-a0b9-3382-8dcc-509a6f75849b"; // md5('1') as a uuid: user of g % 1000 = 1

/** The log's rows: 20 resources, 7 actions, 50 tenants (every tenth event none), a correlation per 3 events. */
function loadSql(log: EventLog): string {
  return `INSERT INTO ${log.table.sql} ("id", "tx_id", "occurred_at", "resource", "record_id", "action", "action_type",
      "tenant", "correlation_id", "causation_id", "user_id", "system_actor", "data")
    SELECT lpad(g::text, 26, '0'), (1000 + g / 3)::text::xid8,
      timestamptz '2024-01-01 00:00:00+00' + g * interval '5 minutes',
      'r' || (g % 20), (g % 5000)::text, 'a' || (g % 7),
      CASE WHEN g % 10 = 0 THEN 'create' WHEN g % 10 = 9 THEN 'destroy' ELSE 'update' END,
      CASE WHEN g % 10 = 5 THEN NULL ELSE 't' || (g % 50) END,
      'c' || (g / 3),
      CASE WHEN g % 2 = 0 THEN lpad((g - 1)::text, 26, '0') END,
      CASE WHEN g % 3 <> 0 THEN md5((g % 1000)::text)::uuid END,
      CASE WHEN g % 3 = 0 THEN 'job' || (g % 100) END,
      jsonb_build_object('n', g)
    FROM generate_series(1, ${EVENTS}) AS g`;
}

/** Every statement that must not scan the event table, by name. */
function statements(log: EventLog): Record<string, SqlStatement> {
  const feedAfter = { txId: "20000", position: 57_000n };
  return {
    "audit: no filter": auditSql(log),
    "audit: backward from a position": auditSql(log, { direction: "backward", position: 60_000n }),
    "audit: resource": auditSql(log, { resource: "r3" }),
    "audit: resource and action": auditSql(log, { resource: "r3", action: "a2" }),
    "audit: action type": auditSql(log, { actionType: "destroy" }),
    "audit: actor (uuid column)": auditSql(log, { actor: { column: "user_id", columnType: "uuid", id: USER } }),
    "audit: actor (text column)": auditSql(log, { actor: { column: "system_actor", columnType: "text", id: "job7" } }),
    "audit: tenant": auditSql(log, { tenant: "t7" }),
    "audit: events without a tenant": auditSql(log, { tenant: null }),
    "audit: correlation id": auditSql(log, { correlationId: "c20000" }),
    "audit: causation id": auditSql(log, { causationId: "00000000000000000000060001" }),
    "audit: time range": auditSql(log, DAY),
    "audit: time range, backward": auditSql(log, { ...DAY, direction: "backward" }),
    "audit: from only (recent)": auditSql(log, { from: at(99_000) }),
    "audit: every filter": auditSql(log, {
      resource: "r1",
      action: "a1",
      actionType: "update",
      actor: { column: "user_id", columnType: "uuid", id: USER },
      tenant: "t1",
      correlationId: "c333",
      causationId: "00000000000000000000000000",
      ...DAY,
      position: 10n,
      horizon: true,
    }),
    "audit: tenant and resource below the horizon, next page": auditSql(log, {
      tenant: "t7",
      resource: "r7",
      position: 40_000n,
      horizon: true,
    }),
    "summary: one day": summarySql(log, DAY),
    "summary: one day of one resource": summarySql(log, { ...DAY, resource: "r3" }),
    "summary: one day of one tenant, below the horizon": summarySql(log, { ...DAY, tenant: "t7", horizon: true }),
    "summary: one day of events without a tenant": summarySql(log, { ...DAY, tenant: null }),
    "feed: from the start": readFeedSql(log, {}, false),
    "feed: below the horizon, after a point": readFeedSql(log, { after: feedAfter }, true),
    "feed: one tenant": readFeedSql(log, { tenant: "t7", after: feedAfter }, true),
    "feed: events without a tenant": readFeedSql(log, { tenant: null }, true),
    "feed: one resource": readFeedSql(log, { resource: "r3", after: feedAfter }, false),
    "feed: one tenant and one resource": readFeedSql(log, { tenant: "t7", resource: "r7" }, true),
    "readEvents: one record's history": readEventsSql(log, { resource: "r3", recordId: "3", tenant: "t3" }),
    "readEvents: one record's history, next page": readEventsSql(log, {
      resource: "r3",
      recordId: "3",
      afterPosition: 50_000n,
    }),
    "readEvents: snapshot of one tenant": readEventsSql(log, { tenant: "t7" }, true),
    "readEvents: snapshot of one resource": readEventsSql(log, { resource: "r3" }, true),
  };
}

/** The plan nodes that read `table` sequentially. */
function seqScans(node: unknown, table: string, schema: string): string[] {
  if (typeof node !== "object" || node === null) return [];
  const plan = node as Record<string, unknown>;
  const found = plan["Node Type"] === "Seq Scan" && plan["Relation Name"] === table &&
      (plan["Schema"] === undefined || plan["Schema"] === schema)
    ? [`Seq Scan on ${schema}.${table}`]
    : [];
  for (const value of Object.values(plan)) {
    const children = Array.isArray(value) ? value : typeof value === "object" ? [value] : [];
    for (const child of children) found.push(...seqScans(child, table, schema));
  }
  return found;
}

describe("no read of the log scans the event table sequentially (100,000 events, real Postgres)", () => {
  let fx: ExecutorFixture;
  let db: Executor;
  let log: EventLog;

  before(async () => {
    fx = await executorCases(["pg-pool"])[0]!.setup();
    db = fx.db;
    log = defineEventLog({
      table: `${fx.schema}.events`,
      actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
    });
    // Bulk loading is several times faster without the query indexes to maintain row by row:
    // migrate, drop them, load, and migrate again, which builds them over the full table (as
    // migrating a log made by an earlier version does).
    await db.batch(migrateBatch(log));
    const { rows } = await db.query({
      text: `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname LIKE '%\\_idx'`,
      params: [fx.schema, log.table.name],
    });
    assert.equal(rows.length, 11, "9 query indexes and one per actor");
    await db.batch(rows.map((r) => ({ text: `DROP INDEX ${fx.schema}.${String(r["indexname"])}`, params: [] })));
    await db.query({ text: loadSql(log), params: [] });
    await db.batch(migrateBatch(log));
    await db.query({ text: `ANALYZE ${log.table.sql}`, params: [] });
  });

  after(() => fx?.close());

  test("the log holds the events the plans are made for", async () => {
    const { rows } = await db.query({ text: `SELECT count(*) AS n FROM ${log.table.sql}`, params: [] });
    assert.equal(rows[0]!["n"], BigInt(EVENTS));
  });

  test("every statement of the table is planned without a sequential scan of the events", async () => {
    const failures: string[] = [];
    for (const [name, statement] of Object.entries(statements(log))) {
      const { rows } = await db.query({ text: `EXPLAIN (FORMAT JSON) ${statement.text}`, params: statement.params });
      const plan = rows[0]!["QUERY PLAN"];
      const scans = seqScans(plan, log.table.name, fx.schema);
      if (scans.length > 0) failures.push(`${name}: ${scans.join(", ")}\n${JSON.stringify(plan)}`);
    }
    assert.deepEqual(failures, []);
  });

  test("the plan walk finds a sequential scan where there is one", async () => {
    const { rows } = await db.query({
      text: `EXPLAIN (FORMAT JSON) SELECT count(*) FROM ${log.table.sql} WHERE "data" ->> 'n' = $1::text`,
      params: ["7"],
    });
    assert.deepEqual(seqScans(rows[0]!["QUERY PLAN"], log.table.name, fx.schema), [
      `Seq Scan on ${fx.schema}.events`,
    ]);
  });
});
