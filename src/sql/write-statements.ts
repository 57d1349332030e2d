/**
 * The statements of the write path. Each record write and its event insert are one
 * statement (a data-modifying CTE whose event insert selects from the written row), so
 * the event exists if and only if the record write happened.
 * @module
 */
import type { SqlParam, SqlStatement } from "../core/executor.ts";
import type { EventLog } from "../core/event-log.ts";
import { quoteIdentifier, type TableName } from "./identifier.ts";
import { ParamList, statement } from "./statement.ts";
import {
  derivedName,
  EXPECTED_POSITION_SQLSTATE,
  NOT_FOUND_SQLSTATE,
  OCCURRED_AT_SETTING,
  STALE_SQLSTATE,
} from "./event-log-ddl.ts";
import { isSqlFragment, renderFragment, type SqlFragment } from "./fragment.ts";

/** What the SQL layer needs to know about a resource's table. */
export interface WriteTarget {
  /** The resource name (stored in events). */
  readonly resource: string;
  /** The table. */
  readonly table: TableName;
  /** Column of each attribute. */
  readonly columns: Readonly<Record<string, string>>;
  /** The primary key attribute. */
  readonly primaryKey: string;
  /** The tenant attribute, when multi-tenant. */
  readonly tenant: string | undefined;
  /** Attributes that mark a record as soft-destroyed when set. */
  readonly softDeleteAttributes: readonly string[];
}

/** What an event insert needs of its resource: its name and how its primary key is spelled. */
export type EventTarget = Pick<WriteTarget, "resource" | "columns" | "primaryKey">;

/**
 * The values of one event row. JSON members are JSON text. There is no `occurred_at`: the
 * event takes the batch's stamp, which the prelude computed under the write locks.
 */
export interface EventValues {
  readonly id: string;
  readonly action: string;
  readonly actionType: "create" | "update" | "destroy";
  readonly version: number;
  readonly data: string;
  readonly changes: string;
  readonly metadata: string;
  readonly tenant: string | null;
  readonly correlationId: string;
  readonly causationId: string | null;
  /** The parent event's id (`parent_id`), when the call named one. */
  readonly parentId?: string | null;
  /** The actor column and its id, when an actor was given. */
  readonly actor: { readonly column: string; readonly type: string; readonly id: string } | null;
}

/** Alias of the event position column in the rows a write returns. */
export const POSITION_ALIAS = "__ee_position";
/** Alias of the last event position in the rows {@link readRecordSql} returns. */
export const LAST_POSITION_ALIAS = "__ee_last_position";
/** Alias of the record id as text in the rows a write or read returns. */
export const RECORD_ID_ALIAS = "__ee_record_id";
/** Alias of the batch's stamp (ISO-8601 text) in the rows a write with an event returns. */
export const OCCURRED_AT_ALIAS = "__ee_occurred_at";

/** The batch's stamp as text, as `<table>_begin_write` left it. */
const STAMP = `current_setting('${OCCURRED_AT_SETTING}')`;

/**
 * The stamp as a value of an attribute's column, whatever its type: converted by the column's
 * own input function (through the table's row type), exactly as an untyped parameter holding
 * the same text would be.
 */
function stampOf(target: WriteTarget, attribute: string, params: ParamList): string {
  const column = target.columns[attribute];
  if (column === undefined) throw new TypeError(`Unknown attribute "${attribute}" of ${target.resource}`);
  return `(jsonb_populate_record(NULL::${target.table.sql}, jsonb_build_object(${
    params.add(column)
  }::text, ${STAMP}))).${quoteIdentifier(column)}`;
}

/** Alias of the flag an upsert's row carries: true when it inserted, false when it updated. */
export const INSERTED_ALIAS = "__ee_inserted";
/** Alias of the event's `changes` as stored, in the rows an upsert returns. */
export const CHANGES_ALIAS = "__ee_changes";

function eventInsert(
  log: EventLog,
  target: EventTarget,
  params: ParamList,
  appended: {
    readonly event: EventValues;
    readonly atomic: readonly string[];
    readonly stamped: readonly string[];
    readonly upsert: UpsertFacts | undefined;
  },
): string {
  const { event, atomic, stamped, upsert } = appended;
  const columns = [
    "id",
    "occurred_at",
    "resource",
    "record_id",
    "action",
    "action_type",
    "version",
    "data",
    "changes",
    "metadata",
    "tenant",
    "correlation_id",
    "causation_id",
  ];
  const pk = `w.${quoteIdentifier(target.columns[target.primaryKey]!)}::text`;
  // bigint results go to `changes` as decimal strings, as toJson writes them: a JSON number
  // would lose digits beyond 2^53 and would not revive as a bigint on replay.
  const atomicValue = (a: string): string => {
    const column = `w.${quoteIdentifier(target.columns[a]!)}`;
    return `CASE WHEN pg_typeof(${column}) = 'bigint'::regtype THEN to_jsonb(${column}::text) ELSE to_jsonb(${column}) END`;
  };
  // Stamped timestamps are pinned in `changes` as the stamp's text, like the event's time.
  const computed = [
    ...stamped.map((a) => `${params.add(a)}::text, ${STAMP}`),
    ...atomic.map((a) => `${params.add(a)}::text, ${atomicValue(a)}`),
  ];
  // An upsert pins the key of the row it wrote (on the update path, the existing row's), and on
  // the update path the row's own createdAt, which the update left alone.
  if (upsert !== undefined) computed.push(`${params.add(target.primaryKey)}::text, ${atomicValue(target.primaryKey)}`);
  let atomicChanges = computed.length === 0 ? "" : ` || jsonb_build_object(${computed.join(", ")})`;
  if (upsert?.createdAt !== undefined) {
    atomicChanges += ` || CASE WHEN w.${quoteIdentifier(INSERTED_ALIAS)} THEN '{}'::jsonb ELSE jsonb_build_object(${
      params.add(upsert.createdAt)
    }::text, to_jsonb(w.${quoteIdentifier(target.columns[upsert.createdAt]!)})) END`;
  }
  const values = [
    `${params.add(event.id)}::text`,
    `${STAMP}::timestamptz`,
    `${params.add(target.resource)}::text`,
    pk,
    `${params.add(event.action)}::text`,
    `${params.add(event.actionType)}::text`,
    `${params.add(event.version)}::int`,
    `${params.add(event.data)}::jsonb`,
    `${params.add(event.changes)}::jsonb${atomicChanges}`,
    `${params.add(event.metadata)}::jsonb`,
    `${params.add(event.tenant)}::text`,
    `${params.add(event.correlationId)}::text`,
    `${params.add(event.causationId)}::text`,
  ];
  // Only a linked event names the column (the link trigger fires for it alone).
  if (event.parentId !== undefined && event.parentId !== null) {
    columns.push("parent_id");
    values.push(`${params.add(event.parentId)}::text`);
  }
  if (event.actor !== null) {
    columns.push(event.actor.column);
    values.push(`${params.add(event.actor.id)}::${event.actor.type}`);
  }
  return `INSERT INTO ${log.table.sql} (${columns.map(quoteIdentifier).join(", ")}) ` +
    `SELECT ${values.join(", ")} FROM written AS w RETURNING "position"${upsert === undefined ? "" : `, "changes"`}`;
}

/** What the event of an upsert needs to know: the createdAt attribute, kept by the update path. */
export interface UpsertFacts {
  readonly createdAt: string | undefined;
}

/** What the idempotency table records of an ignored call (a call that writes no event). */
export interface IgnoredCallValues {
  /** The call's id (generated, or the caller's `eventId`). */
  readonly id: string;
  readonly action: string;
  readonly tenant: string | null;
  /** The validated input as JSON text, as an event's `data` would hold it. */
  readonly data: string;
}

/** Postgres's unique_violation: raised too when a call's id is taken in the other id table. */
const ID_TAKEN_SQLSTATE = "23505";
/** How many expired ids of ignored calls one ignored write deletes at most. */
export const EXPIRED_IDS_PER_WRITE = 8;

function ignoredInsert(log: EventLog, target: EventTarget, call: IgnoredCallValues, params: ParamList): string {
  const pk = `w.${quoteIdentifier(target.columns[target.primaryKey]!)}::text`;
  return `INSERT INTO ${log.idempotencyTable.sql} ("id", "resource", "record_id", "action", "tenant", "data") ` +
    `SELECT ${params.add(call.id)}::text, ${params.add(target.resource)}::text, ${pk}, ${
      params.add(call.action)
    }::text, ` +
    `${params.add(call.tenant)}::text, ${params.add(call.data)}::jsonb FROM written AS w RETURNING 1`;
}

/**
 * Delete a few ids of ignored calls older than the log's retention. `SKIP LOCKED`: rows another
 * writer is deleting are left to it, so concurrent ignored writes never wait on each other here.
 */
function expiredDelete(log: EventLog, params: ParamList): string {
  const t = log.idempotencyTable.sql;
  return `DELETE FROM ${t} WHERE "id" IN (SELECT "id" FROM ${t} WHERE "created_at" < now() - ` +
    `${params.add(log.ignoredCallRetentionMs)}::bigint * interval '1 millisecond' ORDER BY "created_at" ` +
    `LIMIT ${EXPIRED_IDS_PER_WRITE} FOR UPDATE SKIP LOCKED)`;
}

/** What a write appends besides the record: its event, or the id of an ignored call. */
export type Appended = { readonly event: EventValues } | { readonly ignored: IgnoredCallValues } | null;

/** A record write's statement body, what it appends, and the SQLSTATE raised when it writes nothing. */
export interface RecordWrite {
  /**
   * The INSERT, UPDATE or DELETE of the record, `RETURNING *` (for an event-only resource, a
   * SELECT of its primary key that yields a row only when the write may happen).
   */
  readonly body: string;
  readonly appended: Appended;
  readonly code: string;
  /** Attributes set by SQL fragments, added to the event's `changes` from the row written. */
  readonly atomic?: readonly string[];
  /** Attributes set to the batch's stamp. */
  readonly stamped?: readonly string[];
  /**
   * An upsert: the body returns the `__ee_inserted` flag, the event pins the row's key (and on
   * the update path its createdAt), and the result carries the event's stored `changes`.
   */
  readonly upsert?: UpsertFacts;
}

/**
 * The statement of a record write: `written` (the body), then the event insert (or the ignored
 * call's id) selecting from it, then `expect` raising `write.code` when nothing was appended.
 */
export function finishWrite(log: EventLog, target: EventTarget, params: ParamList, write: RecordWrite): SqlStatement {
  const { appended, code, atomic = [], stamped = [], upsert } = write;
  const pk = `w.${quoteIdentifier(target.columns[target.primaryKey]!)}::text AS ${quoteIdentifier(RECORD_ID_ALIAS)}`;
  const expect = derivedName(log, "expect");
  const event = appended !== null && "event" in appended ? appended.event : null;
  const ignored = appended !== null && "ignored" in appended ? appended.ignored : null;
  let ctes = `WITH written AS (${write.body})`;
  if (event !== null) ctes += `, event AS (${eventInsert(log, target, params, { event, atomic, stamped, upsert })})`;
  if (ignored !== null) {
    ctes += `, ignored AS (${ignoredInsert(log, target, ignored, params)}), expired AS (${expiredDelete(log, params)})`;
  }
  const check = `${expect}(EXISTS (SELECT 1 FROM ${
    event !== null ? "event" : ignored !== null ? "ignored" : "written"
  }), ${params.add(code)}::text)`;
  // A call's id names one call, in the event table or in the idempotency table: a write whose
  // id the other table holds fails as a duplicate key would (the runner then looks it up).
  const other = event !== null ? log.idempotencyTable.sql : log.table.sql;
  const id = event?.id ?? ignored?.id;
  const unused = id === undefined
    ? ""
    : `, ${expect}(NOT EXISTS (SELECT 1 FROM ${other} WHERE "id" = ${params.add(id)}::text), ${
      params.add(ID_TAKEN_SQLSTATE)
    }::text) AS "__ee_unused"`;
  const select = event === null
    ? `SELECT ${check} AS "__ee_ok"${unused}, w.*, ${pk} FROM (SELECT 1) AS one LEFT JOIN written AS w ON true`
    : `SELECT ${check} AS "__ee_ok"${unused}, w.*, ${pk}, e."position" AS ${
      quoteIdentifier(POSITION_ALIAS)
    }, ${STAMP} AS ${quoteIdentifier(OCCURRED_AT_ALIAS)}${
      upsert === undefined ? "" : `, e."changes" AS ${quoteIdentifier(CHANGES_ALIAS)}`
    } ` +
      `FROM (SELECT 1) AS one LEFT JOIN written AS w ON true LEFT JOIN event AS e ON true`;
  return params.build(`${ctes} ${select}`);
}

/** What a write statement appends besides its record and event (see {@link insertRecordSql}). */
export interface WriteExtras {
  /** The ignored call's id and input (for calls that write no event). */
  readonly ignored?: IgnoredCallValues | null;
  /** Timestamp attributes set to the batch's stamp instead of their given values. */
  readonly stamped?: readonly string[];
}

/** `event`, or `ignored` when there is no event, as what a write appends. */
function appendedOf(event: EventValues | null, ignored: IgnoredCallValues | null): Appended {
  return event !== null ? { event } : ignored !== null ? { ignored } : null;
}

/**
 * Insert a record and, when `event` is given, its event (else, when `extra.ignored` is given,
 * the ignored call's id). Returns the row, its id as text, and with an event its position and
 * the batch's stamp. Events are stamped with the batch's stamp, and so are the `extra.stamped`
 * attributes (their values in `attributes` are ignored): both need a batch that starts with
 * {@link writePreludeSql}.
 */
export function insertRecordSql(
  log: EventLog,
  target: WriteTarget,
  attributes: Readonly<Record<string, SqlParam>>,
  event: EventValues | null,
  extra: WriteExtras = {},
): SqlStatement {
  const stamped = extra.stamped ?? [];
  const params = new ParamList();
  const names = [...new Set([...Object.keys(attributes), ...stamped])];
  const body =
    `INSERT INTO ${target.table.sql} (${names.map((a) => quoteIdentifier(target.columns[a]!)).join(", ")}) ` +
    `VALUES (${
      names.map((a) => stamped.includes(a) ? stampOf(target, a, params) : params.add(attributes[a]!)).join(", ")
    }) RETURNING *`;
  const appended = appendedOf(event, extra.ignored ?? null);
  return finishWrite(log, target, params, { body, appended, code: NOT_FOUND_SQLSTATE, stamped });
}

/** How an insert upserts: on which columns' conflict, and which attributes the update path keeps. */
export interface UpsertTarget {
  /** The attributes of the unique index the insert conflicts on (the tenant first, when multi-tenant). */
  readonly identity: readonly string[];
  /** The soft-destroy attributes the index's predicate requires to be null (a partial index over live rows). */
  readonly live: readonly string[];
  /** Attributes the update path leaves as they are (primary key, tenant, createdAt). */
  readonly kept: readonly string[];
  /** The createdAt attribute, whose value the event takes from the row on the update path. */
  readonly createdAt: string | undefined;
}

/**
 * The conflict clause of an upsert: `ON CONFLICT (<identity>) [WHERE <live>] DO UPDATE SET`
 * every inserted column but the kept ones to its `EXCLUDED` value (the identity itself when
 * nothing else is left, so that the row is still returned).
 */
function onConflictSql(target: WriteTarget, upsert: UpsertTarget, inserted: readonly string[]): string {
  const column = (a: string): string => {
    const c = target.columns[a];
    if (c === undefined) throw new TypeError(`Unknown attribute "${a}" of ${target.resource}`);
    return quoteIdentifier(c);
  };
  const set = inserted.filter((a) => !upsert.kept.includes(a));
  const assigned = set.length === 0 ? [upsert.identity[upsert.identity.length - 1]!] : set;
  const where = upsert.live.length === 0
    ? ""
    : ` WHERE ${upsert.live.map((a) => `${column(a)} IS NULL`).join(" AND ")}`;
  return `ON CONFLICT (${upsert.identity.map(column).join(", ")})${where} DO UPDATE SET ${
    assigned.map((a) => `${column(a)} = EXCLUDED.${column(a)}`).join(", ")
  }`;
}

/**
 * Insert a record or, when its identity is taken, update that record (see {@link UpsertTarget}),
 * and append the event (else the ignored call's id), in one statement. The event's record id
 * is the key of the row written; its `changes` pin that key, and on the update path the row's
 * createdAt. The row carries `__ee_inserted`, and with an event the stored `changes`.
 */
export function upsertRecordSql(
  log: EventLog,
  target: WriteTarget,
  attributes: Readonly<Record<string, SqlParam>>,
  event: EventValues | null,
  extra: WriteExtras & { readonly upsert: UpsertTarget },
): SqlStatement {
  const stamped = extra.stamped ?? [];
  const params = new ParamList();
  const names = [...new Set([...Object.keys(attributes), ...stamped])];
  const body =
    `INSERT INTO ${target.table.sql} (${names.map((a) => quoteIdentifier(target.columns[a]!)).join(", ")}) ` +
    `VALUES (${
      names.map((a) => stamped.includes(a) ? stampOf(target, a, params) : params.add(attributes[a]!)).join(", ")
    }) ${onConflictSql(target, extra.upsert, names)} RETURNING *, (xmax = 0) AS ${quoteIdentifier(INSERTED_ALIAS)}`;
  const appended = appendedOf(event, extra.ignored ?? null);
  return finishWrite(log, target, params, {
    body,
    appended,
    code: NOT_FOUND_SQLSTATE,
    stamped,
    upsert: { createdAt: extra.upsert.createdAt },
  });
}

/** Which record a write addresses: its id, its tenant, and optionally the last event position read. */
export interface RecordSelector {
  /** The primary key value. */
  readonly id: SqlParam;
  /** The tenant attribute value, for multi-tenant resources. */
  readonly tenant?: SqlParam;
  /**
   * Which records by their soft-destroy attributes: `live` (default) none set; `any` whatever
   * they hold (a purge); `{ destroyedBy }` that attribute set, the others unconstrained (a restore).
   */
  readonly soft?: "live" | "any" | { readonly destroyedBy: string };
  /**
   * When given, the write happens only if the record's last event position is still this
   * (null: the record had no event). A mismatch raises the stale SQLSTATE.
   */
  readonly lastPosition?: bigint | null;
  /**
   * `lastPosition` is the caller's expected position, not one this write read: a mismatch
   * raises the expected-position SQLSTATE (never retried) instead of the stale one.
   */
  readonly expected?: boolean;
  /**
   * Attribute values the row must hold as well (each `IS NOT DISTINCT FROM` its parameter): the
   * record the caller holds at `lastPosition`, verified in the write. A mismatch raises the same
   * SQLSTATE as a moved position.
   */
  readonly held?: Readonly<Record<string, HeldValue>>;
}

/**
 * One attribute value of a held record, and how it is compared with its column: as is, as
 * `jsonb` (json and jsonb columns), or at millisecond precision (a `Date`: a timestamp column
 * may hold microseconds, a `Date` never does).
 */
export interface HeldValue {
  readonly value: SqlParam;
  readonly compare: "value" | "json" | "milliseconds";
}

/**
 * The conditions that find one record: its primary key and, for a multi-tenant resource, its
 * tenant (null when the selector has none, which matches no row).
 */
export function recordKeyConditions(
  target: WriteTarget,
  selector: Pick<RecordSelector, "id" | "tenant">,
  params: ParamList,
): string[] {
  const conditions = [`${quoteIdentifier(target.columns[target.primaryKey]!)} = ${params.add(selector.id)}`];
  if (target.tenant !== undefined) {
    conditions.push(`${quoteIdentifier(target.columns[target.tenant]!)} = ${params.add(selector.tenant ?? null)}`);
  }
  return conditions;
}

function whereRecord(log: EventLog, target: WriteTarget, selector: RecordSelector, params: ParamList): string {
  const conditions = recordKeyConditions(target, selector, params);
  const soft = selector.soft ?? "live";
  if (soft === "live") {
    for (const a of target.softDeleteAttributes) conditions.push(`${quoteIdentifier(target.columns[a]!)} IS NULL`);
  } else if (soft !== "any") {
    const name = target.columns[soft.destroyedBy];
    if (name === undefined) throw new TypeError(`Unknown attribute "${soft.destroyedBy}" of ${target.resource}`);
    conditions.push(`${quoteIdentifier(name)} IS NOT NULL`);
  }
  if (selector.lastPosition !== undefined) {
    const pk = `${target.table.sql}.${quoteIdentifier(target.columns[target.primaryKey]!)}::text`;
    conditions.push(
      `(SELECT max("position") FROM ${log.table.sql} WHERE "resource" = ${params.add(target.resource)}::text ` +
        `AND "record_id" = ${pk}) IS NOT DISTINCT FROM ${params.add(selector.lastPosition)}::bigint`,
    );
  }
  for (const [attribute, held] of Object.entries(selector.held ?? {})) {
    const name = target.columns[attribute];
    if (name === undefined) throw new TypeError(`Unknown attribute "${attribute}" of ${target.resource}`);
    const column = quoteIdentifier(name);
    const value = params.add(held.value);
    conditions.push(
      held.compare === "json"
        ? `${column}::jsonb IS NOT DISTINCT FROM ${value}::jsonb`
        : held.compare === "milliseconds"
        ? `date_trunc('milliseconds', ${column}) IS NOT DISTINCT FROM ${value}`
        : `${column} IS NOT DISTINCT FROM ${value}`,
    );
  }
  return conditions.join(" AND ");
}

/** The SQLSTATE a conditional write raises when it finds no record to write (see {@link RecordSelector}). */
function missCode(selector: RecordSelector): string {
  if (selector.lastPosition === undefined) return NOT_FOUND_SQLSTATE;
  return selector.expected === true ? EXPECTED_POSITION_SQLSTATE : STALE_SQLSTATE;
}

/**
 * Update a record (values or atomic SQL fragments) and, when `event` is given, append its
 * event (else, when `extra.ignored` is given, record the ignored call's id). Attributes set by
 * fragments are added to the event's `changes` from the row written; `extra.stamped`
 * attributes are set to the batch's stamp (see {@link insertRecordSql}).
 */
export function updateRecordSql(
  log: EventLog,
  target: WriteTarget,
  selector: RecordSelector,
  set: Readonly<Record<string, SqlParam | SqlFragment>>,
  event: EventValues | null,
  extra: WriteExtras = {},
): SqlStatement {
  const stamped = extra.stamped ?? [];
  const params = new ParamList();
  const column = (a: string): string => {
    const c = target.columns[a];
    if (c === undefined) throw new TypeError(`Unknown attribute "${a}" of ${target.resource}`);
    return quoteIdentifier(c);
  };
  const assignments = Object.entries(set).filter(([a]) => !stamped.includes(a)).map(([a, value]) =>
    `${column(a)} = ${
      isSqlFragment(value) ? `(${renderFragment(value, column, (p) => params.add(p))})` : params.add(value)
    }`
  );
  for (const a of stamped) assignments.push(`${column(a)} = ${stampOf(target, a, params)}`);
  if (assignments.length === 0) {
    // Nothing to set: still touch the row so that RETURNING yields it and the event is written.
    const pk = column(target.primaryKey);
    assignments.push(`${pk} = ${pk}`);
  }
  const body = `UPDATE ${target.table.sql} SET ${assignments.join(", ")} WHERE ${
    whereRecord(log, target, selector, params)
  } RETURNING *`;
  const atomic = Object.entries(set).filter(([a, value]) => isSqlFragment(value) && !stamped.includes(a)).map(([a]) =>
    a
  );
  const code = missCode(selector);
  return finishWrite(log, target, params, {
    body,
    appended: appendedOf(event, extra.ignored ?? null),
    code,
    atomic,
    stamped,
  });
}

/**
 * Delete a record and, when `event` is given, append its event (else, when `ignored` is
 * given, record the ignored call's id).
 */
export function deleteRecordSql(
  log: EventLog,
  target: WriteTarget,
  selector: RecordSelector,
  event: EventValues | null,
  ignored: IgnoredCallValues | null = null,
): SqlStatement {
  const params = new ParamList();
  const body = `DELETE FROM ${target.table.sql} WHERE ${whereRecord(log, target, selector, params)} RETURNING *`;
  return finishWrite(log, target, params, { body, appended: appendedOf(event, ignored), code: missCode(selector) });
}

/** The ids of ignored calls, with what each call was (the runner compares a resend with it). */
export function readIgnoredCallsSql(log: EventLog, ids: readonly string[]): SqlStatement {
  return statement(`SELECT * FROM ${log.idempotencyTable.sql} WHERE "id" = ANY($1::text[])`, [ids]);
}

/** Read a live (not soft-destroyed) record with the position of its last event. */
export function readRecordSql(
  log: EventLog,
  target: WriteTarget,
  selector: Pick<RecordSelector, "id" | "tenant">,
): SqlStatement {
  const params = new ParamList();
  const pk = quoteIdentifier(target.columns[target.primaryKey]!);
  const where = whereRecord(log, target, selector, params);
  return params.build(
    `SELECT r.*, r.${pk}::text AS ${quoteIdentifier(RECORD_ID_ALIAS)}, (SELECT max("position") FROM ${log.table.sql} ` +
      `WHERE "resource" = ${params.add(target.resource)}::text AND "record_id" = r.${pk}::text) AS ${
        quoteIdentifier(LAST_POSITION_ALIAS)
      } ` +
      `FROM ${target.table.sql} AS r WHERE ${where}`,
  );
}
