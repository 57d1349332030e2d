/**
 * DDL of the event log: the event table, its indexes, the immutability trigger, the
 * replay state table, the idempotency table of ignored calls, the checkpoints of projections,
 * the write fence function and the write prelude function.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { createSchemaSql } from "./create-schema.ts";
import { quoteIdentifier } from "./identifier.ts";
import { statement } from "./statement.ts";
import { chainDdl } from "./chain-ddl.ts";

/**
 * The SQLSTATE the fence function raises while a replay runs. Custom class `EE`
 * (edge-events), never used by Postgres itself.
 */
export const REPLAY_IN_PROGRESS_SQLSTATE = "EER01";
/** The SQLSTATE the immutability trigger raises on UPDATE or DELETE of an event. */
export const EVENT_IMMUTABLE_SQLSTATE = "EEI01";

/** The SQLSTATE a write raises when its record does not exist (update, destroy). */
export const NOT_FOUND_SQLSTATE = "EEN01";
/** The SQLSTATE a conditional write raises when its record changed since it was read. */
export const STALE_SQLSTATE = "EEC01";
/**
 * The SQLSTATE a write raises when the caller's `expectedPosition` is not the record's last event
 * position (or the record passed with it is not the stored one). Unlike the stale SQLSTATE,
 * never retried: the caller's precondition failed.
 */
export const EXPECTED_POSITION_SQLSTATE = "EEP01";
/** The SQLSTATE a write raises when an inline projection of its events is being rebuilt. */
export const PROJECTION_REBUILDING_SQLSTATE = "EEB01";
/**
 * The SQLSTATE the link trigger raises when an event's `parent_id` names no event of the same
 * record (resource, record id and tenant): another record's or tenant's event, or none.
 */
export const PARENT_LINK_SQLSTATE = "EEL01";

/**
 * The transaction-local setting in which `<table>_begin_write` leaves the batch's stamp (ISO-8601
 * UTC text): the `occurred_at` of its events and the value of the timestamps its actions set.
 */
export const OCCURRED_AT_SETTING = "edge_events.occurred_at";

/** Two int32 keys of the advisory lock that serializes concurrent migrations ("edge", "migr"). */
export const MIGRATION_LOCK_KEY: readonly [number, number] = [0x65646765, 0x6d696772];

/** A name derived from the event table, in the event table's schema. */
export function derivedName(log: EventLog, suffix: string): string {
  const name = `${log.table.name}_${suffix}`;
  const local = quoteIdentifier(name);
  return log.table.schema === undefined ? local : `${quoteIdentifier(log.table.schema)}.${local}`;
}

function indexName(log: EventLog, suffix: string): string {
  return quoteIdentifier(`${log.table.name}_${suffix}`);
}

/**
 * Every DDL statement that creates the event log, in order. Each is idempotent
 * (`IF NOT EXISTS` / `OR REPLACE`), and they contain no parameters.
 *
 * @example
 * ```ts
 * import { defineEventLog } from "edge-events";
 *
 * const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });
 * for (const s of eventLogDdl(log)) console.log(s.text + ";");
 * ```
 */
export function eventLogDdl(log: EventLog): readonly SqlStatement[] {
  const t = log.table.sql;
  const actorColumns = Object.values(log.actors).map((a) => `  ${quoteIdentifier(a.column)} ${a.type},\n`).join("");
  const texts: string[] = [];
  if (log.table.schema !== undefined) texts.push(createSchemaSql(log.table.schema).text);
  texts.push(
    `CREATE TABLE IF NOT EXISTS ${t} (\n` +
      `  "id" text PRIMARY KEY CHECK (char_length("id") = 26),\n` +
      `  "position" bigint GENERATED ALWAYS AS IDENTITY UNIQUE,\n` +
      `  "tx_id" xid8 NOT NULL DEFAULT pg_current_xact_id(),\n` +
      `  "occurred_at" timestamptz NOT NULL,\n` +
      `  "resource" text NOT NULL,\n` +
      `  "record_id" text NOT NULL,\n` +
      `  "action" text NOT NULL,\n` +
      `  "action_type" text NOT NULL CHECK ("action_type" IN ('create', 'update', 'destroy')),\n` +
      `  "version" integer NOT NULL DEFAULT 1 CHECK ("version" > 0),\n` +
      `  "data" jsonb NOT NULL DEFAULT '{}',\n` +
      `  "changes" jsonb NOT NULL DEFAULT '{}',\n` +
      `  "metadata" jsonb NOT NULL DEFAULT '{}',\n` +
      `  "tenant" text,\n` +
      `  "correlation_id" text NOT NULL,\n` +
      `  "causation_id" text,\n` +
      `  "parent_id" text,\n` +
      actorColumns +
      `  "prev_hash" bytea,\n` +
      `  "hash" bytea\n` +
      `)`,
  );
  const indexes: [string, string][] = [
    ["record_idx", `"resource", "record_id", "position"`],
    ["tenant_idx", `"tenant", "position"`],
    ["occurred_at_idx", `"occurred_at"`],
    ["correlation_idx", `"correlation_id"`],
    ["tx_idx", `"tx_id", "position"`],
    // Audit filters (src/history/audit.ts) and the feed under a tenant: added later, so a log
    // made by an earlier version gets them from its next migrate() (built under the lock
    // CREATE INDEX takes, which holds writes back while it runs; see docs/architecture.md).
    ["action_idx", `"resource", "action", "position"`],
    ["action_type_idx", `"action_type", "position"`],
    ["causation_idx", `"causation_id"`],
    ["tenant_tx_idx", `"tenant", "tx_id", "position"`],
    ...Object.values(log.actors).map((
      a,
    ): [string, string] => [`${a.column}_idx`, `${quoteIdentifier(a.column)}, "position"`]),
  ];
  for (const [suffix, columns] of indexes) {
    texts.push(`CREATE INDEX IF NOT EXISTS ${indexName(log, suffix)} ON ${t} (${columns})`);
  }
  // Added later: an event table made by an earlier version gets it from its next migrate()
  // (a nullable column without a default: a catalog change, no rewrite of the table).
  texts.push(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS "parent_id" text`);
  // A parent must be an event of the same record (resource, record id, tenant): checked on
  // insert by a trigger (a foreign key would skip the check when the tenant is null), and
  // never changed after, since events are immutable. A parent is inserted before its child, so
  // the links form no cycle. Only rows with a parent fire it.
  const link = derivedName(log, "check_parent");
  texts.push(
    `CREATE OR REPLACE FUNCTION ${link}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n` +
      `BEGIN\n` +
      `  IF NOT EXISTS (SELECT 1 FROM ${t} AS p WHERE p."id" = NEW."parent_id" AND p."resource" = NEW."resource" ` +
      `AND p."record_id" = NEW."record_id" AND p."tenant" IS NOT DISTINCT FROM NEW."tenant") THEN\n` +
      `    RAISE EXCEPTION 'the parent event is not an event of the same record' USING ERRCODE = '${PARENT_LINK_SQLSTATE}';\n` +
      `  END IF;\n` +
      `  RETURN NEW;\n` +
      `END\n$fn$`,
    `CREATE OR REPLACE TRIGGER ${indexName(log, "check_parent")} BEFORE INSERT ON ${t} ` +
      `FOR EACH ROW WHEN (NEW."parent_id" IS NOT NULL) EXECUTE FUNCTION ${link}()`,
  );
  const immutable = derivedName(log, "immutable");
  texts.push(
    `CREATE OR REPLACE FUNCTION ${immutable}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n` +
      `BEGIN\n` +
      `  RAISE EXCEPTION 'events are immutable: % is not allowed', TG_OP USING ERRCODE = '${EVENT_IMMUTABLE_SQLSTATE}';\n` +
      `END\n$fn$`,
    `CREATE OR REPLACE TRIGGER ${indexName(log, "immutable")} BEFORE UPDATE OR DELETE ON ${t} ` +
      `FOR EACH ROW EXECUTE FUNCTION ${immutable}()`,
    `CREATE OR REPLACE TRIGGER ${indexName(log, "no_truncate")} BEFORE TRUNCATE ON ${t} ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION ${immutable}()`,
  );
  const r = log.replayStateTable.sql;
  texts.push(
    `CREATE TABLE IF NOT EXISTS ${r} (\n` +
      `  "replay_id" text PRIMARY KEY,\n` +
      `  "tenant" text,\n` +
      `  "status" text NOT NULL CHECK ("status" IN ('running', 'completed', 'failed', 'aborted')),\n` +
      `  "options" jsonb NOT NULL DEFAULT '{}',\n` +
      `  "target_position" bigint,\n` +
      `  "last_position" bigint NOT NULL DEFAULT 0,\n` +
      `  "applied" bigint NOT NULL DEFAULT 0,\n` +
      `  "skipped" bigint NOT NULL DEFAULT 0,\n` +
      `  "routed" bigint NOT NULL DEFAULT 0,\n` +
      `  "started_at" timestamptz NOT NULL DEFAULT now(),\n` +
      `  "updated_at" timestamptz NOT NULL DEFAULT now(),\n` +
      `  "finished_at" timestamptz,\n` +
      `  "error" text\n` +
      `)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${
      indexName(log, "replay_running_idx")
    } ON ${r} ((true)) WHERE "status" = 'running'`,
  );
  // The ids of ignored calls (which write no event), so that a resend is recognized; written
  // by the ignored write's own statement and expired by age (see write-statements.ts).
  const idem = log.idempotencyTable.sql;
  texts.push(
    `CREATE TABLE IF NOT EXISTS ${idem} (\n` +
      `  "id" text PRIMARY KEY CHECK (char_length("id") = 26),\n` +
      `  "resource" text NOT NULL,\n` +
      `  "record_id" text NOT NULL,\n` +
      `  "action" text NOT NULL,\n` +
      `  "tenant" text,\n` +
      `  "data" jsonb NOT NULL DEFAULT '{}',\n` +
      `  "created_at" timestamptz NOT NULL DEFAULT now()\n` +
      `)`,
    `CREATE INDEX IF NOT EXISTS ${indexName(log, "idempotency_idx")} ON ${idem} ("created_at")`,
  );
  // The checkpoints of projections (src/projections): one row per projection and tenant scope,
  // holding the last feed point `(tx_id, position)` whose events its read model has applied.
  texts.push(
    `CREATE TABLE IF NOT EXISTS ${derivedName(log, "projections")} (\n` +
      `  "name" text NOT NULL,\n` +
      `  "scope" text NOT NULL,\n` +
      `  "tx_id" xid8 NOT NULL DEFAULT '0',\n` +
      `  "position" bigint NOT NULL DEFAULT 0,\n` +
      `  "events" bigint NOT NULL DEFAULT 0,\n` +
      `  "updated_at" timestamptz NOT NULL DEFAULT now(),\n` +
      `  "rebuilt_at" timestamptz,\n` +
      `  "rebuilding" boolean NOT NULL DEFAULT false,\n` +
      `  PRIMARY KEY ("name", "scope")\n` +
      `)`,
  );
  // Added later: a checkpoint table made by an earlier version gets it from its next migrate().
  // An inline projection being rebuilt: the write path refuses its events meanwhile.
  texts.push(
    `ALTER TABLE ${
      derivedName(log, "projections")
    } ADD COLUMN IF NOT EXISTS "rebuilding" boolean NOT NULL DEFAULT false`,
  );
  // Savepoints: a record's folded state at one of its positions, with the fingerprint of the
  // fold that made it (src/history/savepoint.ts). The primary key serves every read of them.
  texts.push(
    `CREATE TABLE IF NOT EXISTS ${derivedName(log, "savepoints")} (\n` +
      `  "resource" text NOT NULL,\n` +
      `  "record_id" text NOT NULL,\n` +
      `  "tenant" text,\n` +
      `  "position" bigint NOT NULL,\n` +
      `  "state" jsonb NOT NULL,\n` +
      `  "fold_version" text NOT NULL,\n` +
      `  "created_at" timestamptz NOT NULL DEFAULT now(),\n` +
      `  PRIMARY KEY ("resource", "record_id", "position", "fold_version")\n` +
      `)`,
  );
  texts.push(
    `CREATE OR REPLACE FUNCTION ${derivedName(log, "assert_writable")}(p_tenant text) RETURNS void ` +
      `LANGUAGE plpgsql AS $fn$\n` +
      `BEGIN\n` +
      `  IF EXISTS (SELECT 1 FROM ${r} WHERE "status" = 'running' AND ("tenant" IS NULL OR "tenant" = p_tenant)) THEN\n` +
      `    RAISE EXCEPTION 'a replay is in progress' USING ERRCODE = '${REPLAY_IN_PROGRESS_SQLSTATE}';\n` +
      `  END IF;\n` +
      `END\n$fn$`,
  );
  // The write prelude as one statement (a batch statement is one round trip between the
  // proxy and Postgres). plpgsql runs its statements in order, and a VOLATILE function takes a
  // fresh snapshot for each, so the fence check reads after both locks are held, as it did
  // as a statement of its own. The write locks come in the order given (the caller sorts
  // them); a null key is refused, since the lock functions would skip it.
  // Last, the batch's stamp: the writer's clock, but never earlier than the latest
  // occurred_at committed in the log (one probe of the occurred_at index, read after the
  // locks), kept for the rest of the transaction in the transaction-local setting
  // edge_events.occurred_at as ISO-8601 UTC text (milliseconds unless the value has finer
  // digits). Every write statement of the batch stamps its event and timestamps with it.
  // The six-argument version of earlier releases is left in place, so that instances not yet
  // upgraded keep writing during a rollout.
  texts.push(
    `CREATE OR REPLACE FUNCTION ${derivedName(log, "begin_write")}(p_fence_a int, p_fence_b int, ` +
      `p_keys bigint[], p_pairs_a int[], p_pairs_b int[], p_tenants text[], p_clock timestamptz) RETURNS void ` +
      `LANGUAGE plpgsql VOLATILE AS $fn$\n` +
      `DECLARE\n` +
      `  v_at timestamptz;\n` +
      `BEGIN\n` +
      `  IF p_fence_a IS NULL OR p_fence_b IS NULL OR array_position(p_keys, NULL) IS NOT NULL\n` +
      `     OR array_position(p_pairs_a, NULL) IS NOT NULL OR array_position(p_pairs_b, NULL) IS NOT NULL\n` +
      `     OR cardinality(p_pairs_a) IS DISTINCT FROM cardinality(p_pairs_b) OR p_clock IS NULL THEN\n` +
      `    RAISE EXCEPTION 'invalid lock keys' USING ERRCODE = '22004';\n` +
      `  END IF;\n` +
      `  PERFORM pg_advisory_xact_lock_shared(p_fence_a, p_fence_b);\n` +
      `  FOR i IN 1 .. coalesce(cardinality(p_keys), 0) LOOP\n` +
      `    PERFORM pg_advisory_xact_lock(p_keys[i]);\n` +
      `  END LOOP;\n` +
      `  FOR i IN 1 .. coalesce(cardinality(p_pairs_a), 0) LOOP\n` +
      `    PERFORM pg_advisory_xact_lock(p_pairs_a[i], p_pairs_b[i]);\n` +
      `  END LOOP;\n` +
      `  FOR i IN 1 .. coalesce(cardinality(p_tenants), 0) LOOP\n` +
      `    PERFORM ${derivedName(log, "assert_writable")}(p_tenants[i]);\n` +
      `  END LOOP;\n` +
      `  v_at := greatest(p_clock, (SELECT max("occurred_at") FROM ${t}));\n` +
      `  PERFORM set_config('${OCCURRED_AT_SETTING}', to_char(v_at AT TIME ZONE 'UTC', CASE WHEN date_trunc('milliseconds', v_at) = v_at ` +
      `THEN 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END), true);\n` +
      `END\n$fn$`,
  );
  texts.push(
    `CREATE OR REPLACE FUNCTION ${derivedName(log, "expect")}(p_found boolean, p_code text) RETURNS boolean ` +
      `LANGUAGE plpgsql AS $fn$\n` +
      `BEGIN\n` +
      `  IF NOT p_found THEN\n` +
      `    RAISE EXCEPTION 'the record was not written' USING ERRCODE = p_code;\n` +
      `  END IF;\n` +
      `  RETURN true;\n` +
      `END\n$fn$`,
  );
  // The hash chain (chain-ddl.ts), when the log has one. A log migrated without it keeps a
  // trigger made earlier: migrate never stops a chain.
  if (log.integrity.chain) texts.push(...chainDdl(log, log.integrity.chainScope));
  return Object.freeze(texts.map((text) => statement(text)));
}

/**
 * The statements `migrate()` sends as one batch: a transaction-scoped advisory lock (so
 * concurrent migrations queue instead of racing on the catalog), then the DDL.
 */
export function migrateBatch(log: EventLog): readonly SqlStatement[] {
  const [a, b] = MIGRATION_LOCK_KEY;
  return Object.freeze([statement("SELECT pg_advisory_xact_lock($1::int, $2::int)", [a, b]), ...eventLogDdl(log)]);
}

/**
 * The event-log DDL as one SQL script, for users who run their own migration tool.
 *
 * @example
 * ```ts
 * import { defineEventLog, migrationSql } from "edge-events";
 *
 * const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });
 * // Save the script where your migration tool reads it, e.g. migrations/001_events.sql.
 * const script: string = migrationSql(log);
 * console.log(script);
 * ```
 */
export function migrationSql(log: EventLog): string {
  return eventLogDdl(log).map((s) => `${s.text};\n`).join("\n");
}
