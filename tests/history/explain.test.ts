// No read of the log scans the event table sequentially: on real Postgres (DATABASE_URL,
// through the pg pool), a log of 100,000 events loaded with one INSERT ... SELECT
// generate_series and ANALYZEd, every statement of the table below, built by the real
// builders, is EXPLAINed (FORMAT JSON) and its plan walked for a "Seq Scan" on the events
// table. The table is the list to extend: each read of the log (audit, summary, the feed and
// a projection's reads of it, readEvents, one record's history, fold reads, previous events,
// savepoints) adds its statements by name. The savepoint table holds a savepoint at every 40th
// event of the log (every second event of resource r3), so its reads are planned over rows.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { defineEventLog, type EventLog, type SqlStatement } from "../../mod.ts";
import type { Executor } from "../../src/core/executor.ts";
import { migrateBatch } from "../../src/sql/event-log-ddl.ts";
import { auditSql, summarySql } from "../../src/sql/audit-statements.ts";
import { readEventsSql, readFeedSql } from "../../src/sql/read-events.ts";
import {
  type FoldBound,
  historyPageSql,
  POSITION_MAX,
  previousEventsSql,
  recordFoldSql,
  type RecordStream,
} from "../../src/sql/history-statements.ts";
import {
  eventsAfterSavepointSql,
  latestPositionCheckSql,
  newestSavepointSql,
  type RecordEventsFilter,
  recordEventsSql,
  savepointDueSql,
  savepointRecordEventsSql,
  savepointsSql,
  savepointTable,
} from "../../src/sql/savepoint-statements.ts";
import { projectionScope, projectionStatusSql } from "../../src/sql/projection-statements.ts";
import { executorCases, type ExecutorFixture } from "../support/executors.ts";

const EVENTS = 100_000;
const T0 = Date.parse("2024-01-01T00:00:00Z");
const STEP_MS = 5 * 60_000; // event g occurred at T0 + g * 5 minutes: about 347 days in all
const at = (g: number): Date => new Date(T0 + g * STEP_MS);
const DAY = { from: at(50_000), to: at(50_288) }; // one day in the middle of the log
const USER = "c4ca4238-a0b9-3382-8dcc-509a6f75849b"; // md5('1') as a uuid: user of g % 1000 = 1
const eventId = (g: number): string => String(g).padStart(26, "0");
// Record "3" of r3 in tenant t3: the events g = 3 + 5000k (20 of them).
const STREAM: RecordStream = { resource: "r3", recordId: "3", tenant: "t3", routedIn: [], routedAway: [] };
// The same record with replay routes: r8's a1 events of version 1 routed in, its own a5 routed away.
const ROUTED: RecordStream = { ...STREAM, routedIn: [["r8", "a1", 1]], routedAway: [["a5", 1]] };
const RECORD: RecordEventsFilter = { resource: "r3", sources: ["r3"], recordId: "3", tenant: "t3" };
const FOLD_VERSION = "f1-explain";

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

/** Savepoints at every 40th event of the log (all of resource r3), one fold version. */
function savepointLoadSql(log: EventLog): string {
  return `INSERT INTO ${savepointTable(log)} ("resource", "record_id", "tenant", "position", "state", "fold_version")
    SELECT "resource", "record_id", "tenant", "position", '{}', '${FOLD_VERSION}'
    FROM ${log.table.sql} WHERE "position" % 40 = 3`;
}

/** A fold read of record "3" (stateAt, diff, timeline) from the start to `points`. */
const fold = (log: EventLog, points: FoldBound[], stream = STREAM, after = 0n): SqlStatement =>
  recordFoldSql(log, { stream, after, points });

/** Every statement that must not scan the event table, by name. */
function statements(log: EventLog): Record<string, SqlStatement> {
  const feedAfter = { txId: "20000", position: 57_000n };
  const checkpoint = { txId: "33000", position: 99_000n };
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
    "history: first page": historyPageSql(log, STREAM, { direction: "forward", from: 0n, limit: 101 }),
    "history: next page": historyPageSql(log, STREAM, { direction: "forward", from: 50_003n, limit: 101 }),
    "history: newest first": historyPageSql(log, STREAM, { direction: "backward", from: POSITION_MAX, limit: 101 }),
    "history: newest first, next page": historyPageSql(log, STREAM, {
      direction: "backward",
      from: 50_003n,
      limit: 101,
    }),
    "history: routed in and away": historyPageSql(log, ROUTED, { direction: "forward", from: 0n, limit: 101 }),
    "history: events without a tenant": historyPageSql(log, { ...STREAM, recordId: "5", tenant: null }, {
      direction: "backward",
      from: POSITION_MAX,
      limit: 101,
    }),
    "stateAt: a position": fold(log, [{ kind: "position", position: 60_000n }]),
    "stateAt: an event id": fold(log, [{ kind: "event", eventId: eventId(60_003) }]),
    "stateAt: a time": fold(log, [{ kind: "time", at: at(60_000) }]),
    "stateAt: a time, routed in and away": fold(log, [{ kind: "time", at: at(60_000) }], ROUTED),
    "stateAt: after a savepoint": fold(log, [{ kind: "position", position: 90_000n }], STREAM, 50_003n),
    "diff: an event id and a time": fold(log, [{ kind: "event", eventId: eventId(20_003) }, {
      kind: "time",
      at: at(80_000),
    }]),
    "timeline: first page": fold(log, [{ kind: "page", after: 0n, limit: 51 }]),
    "timeline: next page": fold(log, [{ kind: "page", after: 50_003n, limit: 51 }]),
    "timeline: newest first, next page": fold(log, [{ kind: "position", position: 50_002n }]),
    "previousEvents: of a tenant's event": previousEventsSql(
      log,
      eventId(60_003),
      { tenant: "t3", untenanted: [] },
      50,
    ),
    "previousEvents: of an event without a tenant": previousEventsSql(log, eventId(60_005), {
      tenant: null,
      untenanted: [],
    }, 50),
    "savepoint: newest usable, at or before a position": newestSavepointSql(log, RECORD, FOLD_VERSION, 60_000n),
    "savepoint: newest usable": newestSavepointSql(log, RECORD, FOLD_VERSION, null),
    "savepoint: the events after the newest": eventsAfterSavepointSql(log, RECORD, FOLD_VERSION),
    "savepoint: every event of a record": recordEventsSql(log, RECORD),
    "savepointEvery: the record's events since its newest savepoint, counted up to N": savepointDueSql(
      log,
      {
        resource: "r3",
        sources: ["r3"],
        eventId: eventId(95_003),
      },
      FOLD_VERSION,
      500,
    ),
    "verifySavepoints: one record": savepointsSql(log, { ...RECORD, recordId: "3" }),
    "verifySavepoints: one record's events": savepointRecordEventsSql(log, { ...RECORD, recordId: "3" }),
    "verifySavepoints: a resource's records' events": savepointRecordEventsSql(log, { ...RECORD, recordId: undefined }),
    "materialize: the record's latest position is still the one folded": latestPositionCheckSql(
      log,
      RECORD,
      100_003n,
      "EEC01",
    ),
    "project: a tenant's batch of its resources, below the horizon": readFeedSql(log, {
      after: checkpoint,
      limit: 100,
      resources: ["r3", "r7"],
      tenant: "t7",
    }, true),
    "project: an allTenants batch of its resources": readFeedSql(log, {
      after: checkpoint,
      limit: 100,
      resources: ["r3", "r7"],
    }, false),
    "project: a batch of events without a tenant, from the start": readFeedSql(log, {
      limit: 100,
      resources: ["r3"],
      tenant: null,
    }, true),
    "projectionStatus: the lag of a tenant's projection": projectionStatusSql(log, "totals", projectionScope("t7"), {
      tenant: "t7",
      resources: ["r3", "r7"],
    }),
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
    await db.query({ text: savepointLoadSql(log), params: [] });
    await db.query({ text: `ANALYZE ${log.table.sql}`, params: [] });
    await db.query({ text: `ANALYZE ${savepointTable(log)}`, params: [] });
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
