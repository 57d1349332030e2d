/**
 * The model of the projection suites: accounts (open, deposit, rename), a `totals` read model
 * and an `applied` table that records every application of an event, so that a test can see
 * an event applied twice or never.
 * @module
 */
import * as v from "valibot";
import {
  type ActionDefinition,
  createEventStore,
  defineEventLog,
  defineProjection,
  defineResource,
  type EventLog,
  type EventLogOptions,
  type EventStore,
  type Executor,
  type Projection,
  ref,
  type Resource,
  type Row,
  sql,
} from "../../mod.ts";
import { DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";

interface AccountAttributes {
  id: string;
  owner: string;
  balance: number;
}

type OpenInput = v.ObjectSchema<
  { readonly id: v.StringSchema<undefined>; readonly owner: v.StringSchema<undefined> },
  undefined
>;
type OwnerInput = v.ObjectSchema<{ readonly owner: v.StringSchema<undefined> }, undefined>;

/** The account of the projection suites. */
export type AccountResource = Resource<AccountAttributes, {
  open: ActionDefinition<AccountAttributes, OpenInput, "create">;
  deposit: ActionDefinition<AccountAttributes, typeof DEPOSIT_INPUT, "update">;
  rename: ActionDefinition<AccountAttributes, OwnerInput, "update">;
}>;

function accountResource(table: string): AccountResource {
  return defineResource({
    name: "account",
    table,
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), owner: v.string(), balance: v.number() }),
    actions: ({ create, update }) => ({
      open: create({ input: v.object({ id: v.string(), owner: v.string() }), defaults: { balance: 0 } }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      rename: update({ input: v.object({ owner: v.string() }) }),
    }),
  });
}

/** The model of a suite. */
export interface ProjectionModel {
  readonly log: EventLog;
  readonly Account: AccountResource;
  /** The qualified name of the totals table. */
  readonly totals: string;
  /** The qualified name of the applied table. */
  readonly applied: string;
}

/** The log, the account resource and the read-model tables of a suite. */
export function projectionModel(schema: string, prefix: string, lock?: EventLogOptions["lock"]): ProjectionModel {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog(lock === undefined ? { table: t("events") } : { table: t("events"), lock });
  return { log, Account: accountResource(t("accounts")), totals: t("totals"), applied: t("applied") };
}

/** The DDL of a projection's two tables (`<prefix>_totals` style names from `tables`). */
export async function createReadModel(db: Executor, totals: string, applied: string): Promise<void> {
  await db.batch([
    {
      text:
        `CREATE TABLE ${totals} (id text PRIMARY KEY, owner text, deposits int NOT NULL, total numeric NOT NULL, last_position bigint, last_at timestamptz)`,
      params: [],
    },
    {
      text: `CREATE TABLE ${applied} (event_id text NOT NULL, position bigint NOT NULL, projection text NOT NULL)`,
      params: [],
    },
  ]);
}

/**
 * The totals projection: open inserts a row, deposit adds to it; each handled event is also
 * recorded in `applied` with its position, as SQL (`ctx.position`).
 */
export function totalsProjection(
  name: string,
  totals: string,
  applied: string,
  extra: { inline?: boolean; fail?: (eventId: string) => boolean } = {},
): Projection {
  const seen = (id: string, position: ReturnType<typeof sql>) =>
    sql`INSERT INTO ${ref(applied)} (event_id, position, projection) VALUES (${id}, ${position}, ${name})`;
  return defineProjection({
    name,
    inline: extra.inline ?? false,
    handles: {
      "account.open": (e, ctx) => [
        sql`INSERT INTO ${ref(totals)} (id, owner, deposits, total) VALUES (${e.recordId}, ${
          String(e.data["owner"])
        }, 0, 0)`,
        seen(e.id, ctx.position),
      ],
      "account.deposit": (e, ctx) => {
        if (extra.fail?.(e.id) === true) throw new Error("handler refused the event");
        return [
          sql`UPDATE ${ref(totals)} SET deposits = deposits + 1, total = total + ${
            Number(e.data["amount"])
          }, last_position = ${ctx.position}, last_at = ${ctx.occurredAt} WHERE id = ${e.recordId}`,
          seen(e.id, ctx.position),
        ];
      },
    },
    clear: () => [sql`DELETE FROM ${ref(totals)}`, sql`DELETE FROM ${ref(applied)} WHERE projection = ${name}`],
  });
}

/** The store over `db`, migrated, with the accounts table and the read model. */
export function storeOf(db: Executor, m: ProjectionModel, projections: readonly Projection<true>[] = []): EventStore {
  return createEventStore({ db, log: m.log, resources: [m.Account], projections });
}

/** Open `accounts` accounts and make `deposits` deposits spread over them; returns the events written. */
export async function writeEvents(
  store: EventStore,
  m: ProjectionModel,
  prefix: string,
  accounts: number,
  deposits: number,
): Promise<number> {
  const client = store.resource(m.Account);
  for (let i = 0; i < accounts; i++) await client.open({ id: `${prefix}${i}`, owner: `o${i}` });
  for (let i = 0; i < deposits; i++) await client.deposit(`${prefix}${i % accounts}`, { amount: i + 1 });
  return accounts + deposits;
}

/** What the read model must hold: every handled event applied exactly once, totals right. */
export interface ReadModel {
  readonly applications: number;
  readonly distinct: number;
  readonly totals: Row[];
}

/** What the read model holds. */
export async function readModel(db: Executor, totals: string, applied: string, name: string): Promise<ReadModel> {
  const counts = (await db.query({
    text: `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM ${applied} WHERE projection = $1`,
    params: [name],
  })).rows[0]!;
  const rows =
    (await db.query({ text: `SELECT id, deposits, total::text AS total FROM ${totals} ORDER BY id`, params: [] })).rows;
  return { applications: Number(counts["n"]), distinct: Number(counts["d"]), totals: rows };
}

/** The totals the events of `accounts`/`deposits` should leave. */
export function expectedTotals(prefix: string, accounts: number, deposits: number): Row[] {
  const rows = Array.from({ length: accounts }, (_, i) => ({ id: `${prefix}${i}`, deposits: 0, total: 0 }));
  for (let i = 0; i < deposits; i++) {
    rows[i % accounts]!.deposits++;
    rows[i % accounts]!.total += i + 1;
  }
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => ({
    id: r.id,
    deposits: r.deposits,
    total: String(r.total),
  }));
}
