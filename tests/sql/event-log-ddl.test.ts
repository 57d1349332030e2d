// The DDL of the event log (src/sql/event-log-ddl.ts): the exact statements for the default
// log and for a schema-qualified log with actor columns, the migration batch and script,
// derived names, the SQLSTATEs, and the refusal of hostile names. Running the DDL is
// tests/core/migrate.test.ts's part.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defineEventLog, migrationSql } from "../../mod.ts";
import type { EventLog } from "../../src/core/event-log.ts";
import {
  derivedName,
  EVENT_IMMUTABLE_SQLSTATE,
  eventLogDdl,
  EXPECTED_POSITION_SQLSTATE,
  migrateBatch,
  MIGRATION_LOCK_KEY,
  NOT_FOUND_SQLSTATE,
  PARENT_LINK_SQLSTATE,
  PROJECTION_REBUILDING_SQLSTATE,
  REPLAY_IN_PROGRESS_SQLSTATE,
  STALE_SQLSTATE,
} from "../../src/sql/event-log-ddl.ts";
import { tableName } from "../../src/sql/identifier.ts";
import { HOSTILE_IDENTIFIERS } from "../support/hostile-values.ts";

/** The event table's columns up to the actor columns, then the actor columns, then the hash columns. */
function eventTable(table: string, actorColumns: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  "id" text PRIMARY KEY CHECK (char_length("id") = 26),
  "position" bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  "tx_id" xid8 NOT NULL DEFAULT pg_current_xact_id(),
  "occurred_at" timestamptz NOT NULL,
  "resource" text NOT NULL,
  "record_id" text NOT NULL,
  "action" text NOT NULL,
  "action_type" text NOT NULL CHECK ("action_type" IN ('create', 'update', 'destroy')),
  "version" integer NOT NULL DEFAULT 1 CHECK ("version" > 0),
  "data" jsonb NOT NULL DEFAULT '{}',
  "changes" jsonb NOT NULL DEFAULT '{}',
  "metadata" jsonb NOT NULL DEFAULT '{}',
  "tenant" text,
  "correlation_id" text NOT NULL,
  "causation_id" text,
  "parent_id" text,
${actorColumns}  "prev_hash" bytea,
  "hash" bytea
)`;
}

function replayTable(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  "replay_id" text PRIMARY KEY,
  "tenant" text,
  "status" text NOT NULL CHECK ("status" IN ('running', 'completed', 'failed', 'aborted')),
  "options" jsonb NOT NULL DEFAULT '{}',
  "target_position" bigint,
  "last_position" bigint NOT NULL DEFAULT 0,
  "applied" bigint NOT NULL DEFAULT 0,
  "skipped" bigint NOT NULL DEFAULT 0,
  "routed" bigint NOT NULL DEFAULT 0,
  "started_at" timestamptz NOT NULL DEFAULT now(),
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  "finished_at" timestamptz,
  "error" text
)`;
}

function functions(prefix: string, replay: string): string[] {
  return [
    `CREATE OR REPLACE FUNCTION ${prefix}_assert_writable"(p_tenant text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM ${replay} WHERE "status" = 'running' AND ("tenant" IS NULL OR "tenant" = p_tenant)) THEN
    RAISE EXCEPTION 'a replay is in progress' USING ERRCODE = 'EER01';
  END IF;
END
$fn$`,
    `CREATE OR REPLACE FUNCTION ${prefix}_begin_write"(p_fence_a int, p_fence_b int, p_keys bigint[], p_pairs_a int[], p_pairs_b int[], p_tenants text[], p_clock timestamptz) RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_at timestamptz;
BEGIN
  IF p_fence_a IS NULL OR p_fence_b IS NULL OR array_position(p_keys, NULL) IS NOT NULL
     OR array_position(p_pairs_a, NULL) IS NOT NULL OR array_position(p_pairs_b, NULL) IS NOT NULL
     OR cardinality(p_pairs_a) IS DISTINCT FROM cardinality(p_pairs_b) OR p_clock IS NULL THEN
    RAISE EXCEPTION 'invalid lock keys' USING ERRCODE = '22004';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(p_fence_a, p_fence_b);
  FOR i IN 1 .. coalesce(cardinality(p_keys), 0) LOOP
    PERFORM pg_advisory_xact_lock(p_keys[i]);
  END LOOP;
  FOR i IN 1 .. coalesce(cardinality(p_pairs_a), 0) LOOP
    PERFORM pg_advisory_xact_lock(p_pairs_a[i], p_pairs_b[i]);
  END LOOP;
  FOR i IN 1 .. coalesce(cardinality(p_tenants), 0) LOOP
    PERFORM ${prefix}_assert_writable"(p_tenants[i]);
  END LOOP;
  v_at := greatest(p_clock, (SELECT max("occurred_at") FROM ${prefix}"));
  PERFORM set_config('edge_events.occurred_at', to_char(v_at AT TIME ZONE 'UTC', CASE WHEN date_trunc('milliseconds', v_at) = v_at THEN 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END), true);
END
$fn$`,
    `CREATE OR REPLACE FUNCTION ${prefix}_expect"(p_found boolean, p_code text) RETURNS boolean LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT p_found THEN
    RAISE EXCEPTION 'the record was not written' USING ERRCODE = p_code;
  END IF;
  RETURN true;
END
$fn$`,
  ];
}

/** The idempotency table of ignored calls and its index on `created_at`. */
function idempotency(table: string, index: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  "id" text PRIMARY KEY CHECK (char_length("id") = 26),
  "resource" text NOT NULL,
  "record_id" text NOT NULL,
  "action" text NOT NULL,
  "tenant" text,
  "data" jsonb NOT NULL DEFAULT '{}',
  "created_at" timestamptz NOT NULL DEFAULT now()
)`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${table} ("created_at")`,
  ];
}

/** The checkpoints of projections. */
function projections(table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  "name" text NOT NULL,
  "scope" text NOT NULL,
  "tx_id" xid8 NOT NULL DEFAULT '0',
  "position" bigint NOT NULL DEFAULT 0,
  "events" bigint NOT NULL DEFAULT 0,
  "updated_at" timestamptz NOT NULL DEFAULT now(),
  "rebuilt_at" timestamptz,
  "rebuilding" boolean NOT NULL DEFAULT false,
  PRIMARY KEY ("name", "scope")
)`,
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "rebuilding" boolean NOT NULL DEFAULT false`,
  ];
}

/** The savepoints of record folds. */
function savepoints(table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  "resource" text NOT NULL,
  "record_id" text NOT NULL,
  "tenant" text,
  "position" bigint NOT NULL,
  "state" jsonb NOT NULL,
  "fold_version" text NOT NULL,
  "created_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("resource", "record_id", "position", "fold_version")
)`,
  ];
}

/** The parent link: the column added to older logs, the trigger that keeps links in one record. */
function parentLink(prefix: string, table: string, local: string): string[] {
  return [
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "parent_id" text`,
    `CREATE OR REPLACE FUNCTION ${prefix}_check_parent"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${table} AS p WHERE p."id" = NEW."parent_id" AND p."resource" = NEW."resource" AND p."record_id" = NEW."record_id" AND p."tenant" IS NOT DISTINCT FROM NEW."tenant") THEN
    RAISE EXCEPTION 'the parent event is not an event of the same record' USING ERRCODE = 'EEL01';
  END IF;
  RETURN NEW;
END
$fn$`,
    `CREATE OR REPLACE TRIGGER "${local}_check_parent" BEFORE INSERT ON ${table} FOR EACH ROW WHEN (NEW."parent_id" IS NOT NULL) EXECUTE FUNCTION ${prefix}_check_parent"()`,
  ];
}

function immutability(prefix: string, table: string, local: string): string[] {
  return [
    `CREATE OR REPLACE FUNCTION ${prefix}_immutable"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'events are immutable: % is not allowed', TG_OP USING ERRCODE = 'EEI01';
END
$fn$`,
    `CREATE OR REPLACE TRIGGER "${local}_immutable" BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${prefix}_immutable"()`,
    `CREATE OR REPLACE TRIGGER "${local}_no_truncate" BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${prefix}_immutable"()`,
  ];
}

const texts = (log: EventLog): string[] => eventLogDdl(log).map((s) => s.text);

describe("eventLogDdl(): golden text", () => {
  test("the default log: table, indexes, immutability, replay state, functions; no parameters", () => {
    const log = defineEventLog();
    assert.deepEqual(texts(log), [
      eventTable(`"events"`, ""),
      `CREATE INDEX IF NOT EXISTS "events_record_idx" ON "events" ("resource", "record_id", "position")`,
      `CREATE INDEX IF NOT EXISTS "events_tenant_idx" ON "events" ("tenant", "position")`,
      `CREATE INDEX IF NOT EXISTS "events_occurred_at_idx" ON "events" ("occurred_at")`,
      `CREATE INDEX IF NOT EXISTS "events_correlation_idx" ON "events" ("correlation_id")`,
      `CREATE INDEX IF NOT EXISTS "events_tx_idx" ON "events" ("tx_id", "position")`,
      `CREATE INDEX IF NOT EXISTS "events_action_idx" ON "events" ("resource", "action", "position")`,
      `CREATE INDEX IF NOT EXISTS "events_action_type_idx" ON "events" ("action_type", "position")`,
      `CREATE INDEX IF NOT EXISTS "events_causation_idx" ON "events" ("causation_id")`,
      `CREATE INDEX IF NOT EXISTS "events_tenant_tx_idx" ON "events" ("tenant", "tx_id", "position")`,
      ...parentLink(`"events`, `"events"`, "events"),
      ...immutability(`"events`, `"events"`, "events"),
      replayTable(`"events_replay"`),
      `CREATE UNIQUE INDEX IF NOT EXISTS "events_replay_running_idx" ON "events_replay" ((true)) WHERE "status" = 'running'`,
      ...idempotency(`"events_idempotency"`, `"events_idempotency_idx"`),
      ...projections(`"events_projections"`),
      ...savepoints(`"events_savepoints"`),
      ...functions(`"events`, `"events_replay"`),
    ]);
    for (const s of eventLogDdl(log)) {
      assert.deepEqual(s.params, []);
      assert.ok(Object.isFrozen(s));
    }
    assert.ok(Object.isFrozen(eventLogDdl(log)));
  });

  test("a schema-qualified log with actors: the schema first, one column and one index per actor, qualified functions", () => {
    const log = defineEventLog({
      table: "audit.log",
      actors: { user: { column: "user_id", type: "uuid" }, service: { column: "svc_id", type: "bigint" } },
    });
    assert.deepEqual(texts(log), [
      `CREATE SCHEMA IF NOT EXISTS "audit"`,
      eventTable(`"audit"."log"`, `  "user_id" uuid,\n  "svc_id" bigint,\n`),
      `CREATE INDEX IF NOT EXISTS "log_record_idx" ON "audit"."log" ("resource", "record_id", "position")`,
      `CREATE INDEX IF NOT EXISTS "log_tenant_idx" ON "audit"."log" ("tenant", "position")`,
      `CREATE INDEX IF NOT EXISTS "log_occurred_at_idx" ON "audit"."log" ("occurred_at")`,
      `CREATE INDEX IF NOT EXISTS "log_correlation_idx" ON "audit"."log" ("correlation_id")`,
      `CREATE INDEX IF NOT EXISTS "log_tx_idx" ON "audit"."log" ("tx_id", "position")`,
      `CREATE INDEX IF NOT EXISTS "log_action_idx" ON "audit"."log" ("resource", "action", "position")`,
      `CREATE INDEX IF NOT EXISTS "log_action_type_idx" ON "audit"."log" ("action_type", "position")`,
      `CREATE INDEX IF NOT EXISTS "log_causation_idx" ON "audit"."log" ("causation_id")`,
      `CREATE INDEX IF NOT EXISTS "log_tenant_tx_idx" ON "audit"."log" ("tenant", "tx_id", "position")`,
      `CREATE INDEX IF NOT EXISTS "log_user_id_idx" ON "audit"."log" ("user_id", "position")`,
      `CREATE INDEX IF NOT EXISTS "log_svc_id_idx" ON "audit"."log" ("svc_id", "position")`,
      ...parentLink(`"audit"."log`, `"audit"."log"`, "log"),
      ...immutability(`"audit"."log`, `"audit"."log"`, "log"),
      replayTable(`"audit"."log_replay"`),
      `CREATE UNIQUE INDEX IF NOT EXISTS "log_replay_running_idx" ON "audit"."log_replay" ((true)) WHERE "status" = 'running'`,
      ...idempotency(`"audit"."log_idempotency"`, `"log_idempotency_idx"`),
      ...projections(`"audit"."log_projections"`),
      ...savepoints(`"audit"."log_savepoints"`),
      ...functions(`"audit"."log`, `"audit"."log_replay"`),
    ]);
  });

  test("every actor type gets its column type", () => {
    const log = defineEventLog({
      actors: {
        a: { column: "a_id", type: "uuid" },
        b: { column: "b_id", type: "text" },
        c: { column: "c_id", type: "bigint" },
        d: { column: "d_id", type: "integer" },
      },
    });
    assert.ok(
      texts(log)[0]!.includes(
        `  "a_id" uuid,\n  "b_id" text,\n  "c_id" bigint,\n  "d_id" integer,\n  "prev_hash" bytea,`,
      ),
    );
  });
});

describe("migrateBatch() and migrationSql()", () => {
  test("the batch takes the migration lock, then sends the DDL", () => {
    const log = defineEventLog({ table: "audit.events" });
    const batch = migrateBatch(log);
    assert.deepEqual({ ...batch[0]! }, {
      text: "SELECT pg_advisory_xact_lock($1::int, $2::int)",
      params: [0x65646765, 0x6d696772],
    });
    assert.deepEqual(MIGRATION_LOCK_KEY, [0x65646765, 0x6d696772]);
    assert.deepEqual(batch.slice(1), [...eventLogDdl(log)]);
    assert.ok(Object.isFrozen(batch));
  });

  test("the script is the DDL, each statement ended by a semicolon, separated by blank lines", () => {
    const log = defineEventLog({ table: "audit.events", actors: { user: { column: "user_id", type: "text" } } });
    const script = migrationSql(log);
    assert.equal(script, texts(log).map((t) => `${t};\n`).join("\n"));
    assert.ok(
      script.startsWith(`CREATE SCHEMA IF NOT EXISTS "audit";\n\nCREATE TABLE IF NOT EXISTS "audit"."events" (\n`),
    );
    assert.ok(script.endsWith("END\n$fn$;\n"));
    // The only advisory locks in it are inside the write prelude function's body.
    const outside = texts(log).filter((t) => !t.includes(`"events_begin_write"(`)).join("\n");
    assert.ok(!outside.includes("pg_advisory"), "the script leaves locking to the user's migration tool");
    assert.ok(!script.includes("SELECT pg_advisory"), "the script takes no lock itself");
  });
});

describe("derived names and SQLSTATEs", () => {
  test("derivedName() is <table>_<suffix>, in the event table's schema", () => {
    assert.equal(derivedName(defineEventLog(), "expect"), `"events_expect"`);
    assert.equal(
      derivedName(defineEventLog({ table: "audit.log" }), "assert_writable"),
      `"audit"."log_assert_writable"`,
    );
    assert.deepEqual({ ...defineEventLog({ table: "audit.log" }).replayStateTable }, {
      ...tableName("audit.log_replay"),
    });
    assert.deepEqual({ ...defineEventLog({ table: "audit.log" }).idempotencyTable }, {
      ...tableName("audit.log_idempotency"),
    });
  });

  test("the idempotency table's names add no length limit; its retention must be a positive integer of milliseconds", () => {
    const longest = "e".repeat(63 - "_replay_running_idx".length);
    assert.equal(defineEventLog({ table: longest }).idempotencyTable.name, `${longest}_idempotency`);
    assert.throws(() => defineEventLog({ table: `${longest}e` }), TypeError);
    assert.equal(defineEventLog().ignoredCallRetentionMs, 86_400_000);
    assert.equal(defineEventLog({ ignoredCallRetentionMs: 60_000 }).ignoredCallRetentionMs, 60_000);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => defineEventLog({ ignoredCallRetentionMs: bad }), RangeError, String(bad));
    }
  });

  test("the SQLSTATEs are in the custom class EE", () => {
    assert.deepEqual(
      [
        REPLAY_IN_PROGRESS_SQLSTATE,
        EVENT_IMMUTABLE_SQLSTATE,
        NOT_FOUND_SQLSTATE,
        STALE_SQLSTATE,
        EXPECTED_POSITION_SQLSTATE,
        PROJECTION_REBUILDING_SQLSTATE,
        PARENT_LINK_SQLSTATE,
      ],
      ["EER01", "EEI01", "EEN01", "EEC01", "EEP01", "EEB01", "EEL01"],
    );
    const all = [REPLAY_IN_PROGRESS_SQLSTATE, EVENT_IMMUTABLE_SQLSTATE, NOT_FOUND_SQLSTATE, STALE_SQLSTATE];
    all.push(EXPECTED_POSITION_SQLSTATE, PROJECTION_REBUILDING_SQLSTATE, PARENT_LINK_SQLSTATE);
    assert.equal(new Set(all).size, all.length, "each a code of its own");
  });
});

describe("event log DDL: injection", () => {
  test("hostile table, schema and actor column names never reach the DDL: the definition refuses them", () => {
    for (const bad of HOSTILE_IDENTIFIERS) {
      assert.throws(() => defineEventLog({ table: bad }), TypeError, JSON.stringify(bad));
      assert.throws(() => defineEventLog({ table: `${bad}.events` }), TypeError, JSON.stringify(bad));
      assert.throws(
        () => defineEventLog({ actors: { user: { column: bad, type: "text" } } }),
        TypeError,
        JSON.stringify(bad),
      );
    }
  });

  test("a log forged with hostile actor columns or an unknown actor type is refused by the builder too", () => {
    const log = defineEventLog();
    for (const bad of HOSTILE_IDENTIFIERS) {
      const forged: EventLog = { ...log, actors: { user: { column: bad, type: "text" } } };
      assert.throws(() => eventLogDdl(forged), TypeError, JSON.stringify(bad));
    }
  });

  test("every identifier in the DDL is quoted", () => {
    const log = defineEventLog({ table: "audit.log", actors: { user: { column: "user_id", type: "uuid" } } });
    for (const text of texts(log)) {
      // Outside string literals and function bodies, a name from the definition appears only in double quotes.
      const outside = text.replace(/\$fn\$[\s\S]*\$fn\$/g, "").replace(/'[^']*'/g, "").replace(/"[^"]*"/g, "");
      for (const name of ["audit", "log", "user_id", "log_replay"]) {
        assert.ok(!new RegExp(`\\b${name}\\b`).test(outside), `${name} unquoted in ${text}`);
      }
    }
  });
});
