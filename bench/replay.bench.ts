// Replay throughput: 100,000 events replayed into real Postgres with the real neon() driver
// through the local SQL-over-HTTP server, for a few page sizes; then node-postgres over TCP
// and PGlite in process for comparison. Every run is checked: the rebuilt tables must equal
// the state the events describe (row counts and an md5 of every row).
//
//   npm run bench:replay                       (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
//   npm run bench:replay -- --events 20000 --pages 500 --skip pglite
//
// The log is bulk-inserted with SQL (events shaped exactly as the write path writes them:
// data = the input, changes = generated ids, defaults and timestamps) in a dedicated schema,
// together with the tables as those events leave them; the schema is dropped at the end.
import { PGlite } from "@electric-sql/pglite";
import { neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import process from "node:process";
import { monotonicFactory } from "ulid";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, type Executor, replay } from "../mod.ts";
import { localFetchEndpoint, startSqlOverHttpServer } from "../src/dev/mod.ts";
import { neonHttp } from "../src/drivers/neon/mod.ts";
import { pgPool } from "../src/drivers/pg-pool/mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1] ?? fallback;
};
const EVENTS = Number(option("events", "100000"));
const PAGE_SIZES = option("pages", "250,1000,2000").split(",").map(Number);
const SKIP = new Set(option("skip", "").split(","));
const DATABASE_URL = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = "ee_bench_replay";

// The model: accounts (create with defaults and timestamps, plain and change-function updates,
// hard destroy) and tags (create, update, destroy).
const log = defineEventLog({ table: `${SCHEMA}.events` });
const Account = defineResource({
  name: "account",
  table: `${SCHEMA}.accounts`,
  attributes: v.object({
    id: v.string(),
    owner: v.string(),
    balance: v.pipe(v.number(), v.integer()),
    status: v.picklist(["open", "frozen"]),
    createdAt: v.date(),
    updatedAt: v.date(),
  }),
  timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
  actions: ({ create, update, destroy }) => ({
    open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0, status: "open" } }),
    setBalance: update({ input: v.object({ balance: v.pipe(v.number(), v.integer()) }) }),
    freeze: update({ change: () => ({ status: "frozen" as const }) }),
    close: destroy(),
  }),
});
const Tag = defineResource({
  name: "tag",
  table: `${SCHEMA}.tags`,
  attributes: v.object({ id: v.string(), label: v.string() }),
  actions: ({ create, update, destroy }) => ({
    add: create({ input: v.object({ label: v.string() }) }),
    relabel: update({ input: v.object({ label: v.string() }) }),
    remove: destroy(),
  }),
});

interface EventRow {
  id: string;
  occurredAt: string;
  resource: string;
  recordId: string;
  action: string;
  type: string;
  data: string;
  changes: string;
}
interface AccountRow {
  id: string;
  owner: string;
  balance: number;
  status: string;
  createdAt: string;
  updatedAt: string;
}

/** A deterministic mix of events over a few thousand records, and the state they leave. */
function generate(count: number): { events: EventRow[]; accounts: Map<string, AccountRow>; tags: Map<string, string> } {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
  const nextId = monotonicFactory(() => 0.5);
  const start = Date.UTC(2025, 0, 1);
  const accounts = new Map<string, AccountRow>();
  const tags = new Map<string, string>();
  const accountIds: string[] = [];
  const tagIds: string[] = [];
  const events: EventRow[] = [];
  const pick = (ids: string[]): string => ids[Math.floor(random() * ids.length)]!;
  const drop = (ids: string[], id: string): void => void ids.splice(ids.indexOf(id), 1);
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * 1000).toISOString();
    const id = nextId(start + i * 1000);
    const push = (
      resource: string,
      recordId: string,
      action: string,
      type: string,
      data: object,
      changes: object,
    ): void =>
      void events.push({
        id,
        occurredAt: at,
        resource,
        recordId,
        action,
        type,
        data: JSON.stringify(data),
        changes: JSON.stringify(changes),
      });
    const r = random();
    if (r < 0.2) { // tags: a fifth of the traffic
      if (tagIds.length < 1000 || r < 0.01) {
        const tagId = nextId(start + i * 1000);
        tagIds.push(tagId);
        tags.set(tagId, `tag ${i}`);
        push("tag", tagId, "add", "create", { label: `tag ${i}` }, { id: tagId });
      } else if (r < 0.012) {
        const tagId = pick(tagIds);
        drop(tagIds, tagId);
        tags.delete(tagId);
        push("tag", tagId, "remove", "destroy", {}, {});
      } else {
        const tagId = pick(tagIds);
        tags.set(tagId, `label ${i}`);
        push("tag", tagId, "relabel", "update", { label: `label ${i}` }, {});
      }
    } else if (accountIds.length < 3000 || r < 0.24) {
      const accountId = nextId(start + i * 1000);
      accountIds.push(accountId);
      accounts.set(accountId, {
        id: accountId,
        owner: `owner ${i % 997}`,
        balance: 0,
        status: "open",
        createdAt: at,
        updatedAt: at,
      });
      push("account", accountId, "open", "create", { owner: `owner ${i % 997}` }, {
        id: accountId,
        status: "open",
        balance: 0,
        createdAt: at,
        updatedAt: at,
      });
    } else if (r < 0.25) {
      const accountId = pick(accountIds);
      drop(accountIds, accountId);
      accounts.delete(accountId);
      push("account", accountId, "close", "destroy", {}, {});
    } else {
      const account = accounts.get(pick(accountIds))!;
      account.updatedAt = at;
      if (r < 0.27) {
        account.status = "frozen";
        push("account", account.id, "freeze", "update", {}, { status: "frozen", updatedAt: at });
      } else {
        account.balance = Math.floor(random() * 1_000_000);
        push("account", account.id, "setBalance", "update", { balance: account.balance }, { updatedAt: at });
      }
    }
  }
  return { events, accounts, tags };
}

const t = (name: string): string => `"${SCHEMA}"."${name}"`;

/** Bulk-insert the events (positions follow array order) and the state they leave. */
async function seed(db: Executor, data: ReturnType<typeof generate>): Promise<void> {
  const chunk = 5000;
  for (let i = 0; i < data.events.length; i += chunk) {
    const rows = data.events.slice(i, i + chunk);
    const column = <K extends keyof EventRow>(key: K): string[] => rows.map((row) => row[key]);
    await db.query({
      text:
        `INSERT INTO ${
          t("events")
        } ("id", "occurred_at", "resource", "record_id", "action", "action_type", "data", "changes", "correlation_id") ` +
        `SELECT e.id, e.at, e.resource, e.record_id, e.action, e.type, e.data::jsonb, e.changes::jsonb, e.id FROM ` +
        `unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) ` +
        `WITH ORDINALITY AS e(id, at, resource, record_id, action, type, data, changes, n) ORDER BY e.n`,
      params: [
        column("id"),
        column("occurredAt"),
        column("resource"),
        column("recordId"),
        column("action"),
        column("type"),
        column("data"),
        column("changes"),
      ],
    });
  }
  const accounts = [...data.accounts.values()];
  await db.query({
    text: `INSERT INTO ${t("accounts")} ("id", "owner", "balance", "status", "created_at", "updated_at") ` +
      `SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::timestamptz[])`,
    params: [
      accounts.map((a) => a.id),
      accounts.map((a) => a.owner),
      accounts.map((a) => a.balance),
      accounts.map((a) => a.status),
      accounts.map((a) => a.createdAt),
      accounts.map((a) => a.updatedAt),
    ],
  });
  await db.query({
    text: `INSERT INTO ${t("tags")} ("id", "label") SELECT * FROM unnest($1::text[], $2::text[])`,
    params: [[...data.tags.keys()], [...data.tags.values()]],
  });
  // As autovacuum would after a while: without statistics on a freshly loaded log, Postgres
  // reads each page with a bitmap scan and a sort of every later event (~60 ms a page at 100k).
  for (const table of ["events", "accounts", "tags"]) await db.query({ text: `ANALYZE ${t(table)}`, params: [] });
}

/** Row counts and an md5 of every row of both tables. */
async function checksum(db: Executor): Promise<string> {
  const parts: string[] = [];
  for (const table of ["accounts", "tags"]) {
    const row = (await db.query({
      text: `SELECT count(*)::int AS n, coalesce(md5(string_agg(r::text, '|' ORDER BY r.id)), '') AS sum FROM ${
        t(table)
      } r`,
      params: [],
    })).rows[0]!;
    parts.push(`${table} ${row["n"]} ${String(row["sum"]).slice(0, 8)}`);
  }
  return parts.join(", ");
}

function storeOver(db: Executor): EventStore {
  return createEventStore({ db, log, resources: [Account, Tag], replay: { clear: "tracked-tables" } });
}

async function prepare(db: Executor, data: ReturnType<typeof generate>): Promise<string> {
  await db.query({ text: `DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`, params: [] });
  await storeOver(db).migrate({ resourceTables: true });
  await seed(db, data);
  return checksum(db);
}

interface Row {
  setup: string;
  pageSize: number;
  seconds: number;
  eventsPerSecond: number;
  pages: number;
  roundTrips: number;
  requests: string;
  state: string;
}

async function measure(
  setup: string,
  db: Executor,
  pageSize: number,
  expected: string,
  requests?: () => number,
): Promise<Row> {
  const before = requests?.() ?? 0;
  const result = await replay(storeOver(db), { pageSize });
  const after = requests?.() ?? 0;
  const state = await checksum(db);
  if (!result.done || result.applied !== EVENTS || state !== expected) {
    throw new Error(
      `${setup} page ${pageSize}: replay did not rebuild the expected state (applied ${result.applied}; ${state} vs ${expected})`,
    );
  }
  return {
    setup,
    pageSize,
    seconds: result.elapsedMs / 1000,
    eventsPerSecond: Math.round((EVENTS * 1000) / result.elapsedMs),
    pages: result.pages,
    roundTrips: result.roundTrips,
    requests: requests === undefined ? "-" : String(after - before),
    state: "ok",
  };
}

function printTable(rows: Row[]): void {
  const header = ["setup", "page size", "seconds", "events/s", "pages", "round trips", "HTTP requests", "state"];
  const cells = rows.map((
    r,
  ) => [
    r.setup,
    String(r.pageSize),
    r.seconds.toFixed(1),
    r.eventsPerSecond.toLocaleString("en-US"),
    String(r.pages),
    String(r.roundTrips),
    r.requests,
    r.state,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const line of [header, widths.map((w) => "-".repeat(w)), ...cells]) {
    console.log(`| ${line.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`);
  }
}

const started = Date.now();
const data = generate(EVENTS);
const kinds = { create: 0, update: 0, destroy: 0 } as Record<string, number>;
for (const e of data.events) kinds[e.type]!++;
console.log(
  `${EVENTS.toLocaleString("en-US")} events (${kinds["create"]} creates, ${kinds["update"]} updates, ${
    kinds["destroy"]
  } destroys); ` +
    `final state: ${data.accounts.size} accounts, ${data.tags.size} tags`,
);
const rows: Row[] = [];
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
const server = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0 });
try {
  const direct = pgPool(pool);
  const seedStart = Date.now();
  const expected = await prepare(direct, data);
  console.log(`seeded Postgres in ${((Date.now() - seedStart) / 1000).toFixed(1)} s; expected state: ${expected}`);
  neonConfig.fetchEndpoint = localFetchEndpoint;
  const url = new URL(DATABASE_URL);
  url.hostname = "localhost";
  url.port = String(server.port);
  url.password ||= "local";
  const http = neonHttp(neon(url.href));
  if (!SKIP.has("neon")) {
    for (const pageSize of PAGE_SIZES) {
      rows.push(
        await measure("neon() → local server → Postgres", http, pageSize, expected, () => server.stats.requests),
      );
      console.log(`  done: neon page ${pageSize}`);
    }
  }
  if (!SKIP.has("pg")) rows.push(await measure("pg.Pool over TCP (pg-pool)", direct, 1000, expected));
  await direct.query({ text: `DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`, params: [] });
  if (!SKIP.has("pglite")) {
    const lite = new PGlite();
    try {
      const db = pglite(lite);
      const liteExpected = await prepare(db, data);
      if (liteExpected !== expected) throw new Error(`PGlite seeded a different state: ${liteExpected}`);
      rows.push(await measure("PGlite in process", db, 1000, expected));
    } finally {
      await lite.close();
    }
  }
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
  await pool.end();
  await server.close();
}
printTable(rows);
console.log(
  `total ${
    ((Date.now() - started) / 1000).toFixed(0)
  } s; every run rebuilt the expected state (row counts and md5 of every row)`,
);
