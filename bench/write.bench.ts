// Write-path latency and throughput. Every action kind is called one at a time through the real
// neon() driver and the local SQL-over-HTTP server (in process) in front of Postgres, each call
// followed by the same SQL work done by hand (a raw two-INSERT transaction through the same
// driver and server), with durable commits and again without waiting for the WAL flush; then
// 16 concurrent writers create records under one lock key for all writes (the global scope's
// serialization) and under the tenant scope, and increment one hot counter atomically and
// through a change function. The same sequential latency runs through node-postgres (pg-pool)
// and PGlite for comparison. Every run is checked: requests per call, event counts equal to
// successful calls, positions 1..N without a gap or a duplicate, balances and counters.
//
//   npm run bench:write                       (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
//   npm run bench:write -- --calls 200 --seconds 5 --writers 8 --skip load,pg,pglite
//
// Everything lives in a dedicated schema (ee_bench_write), dropped at the end.
import { PGlite } from "@electric-sql/pglite";
import { neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import process from "node:process";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type Executor,
  type IntegrityOptions,
  isEdgeEventsError,
  type LockOption,
  newEventId,
  ref,
  type Row,
  sql,
  type SqlStatement,
  verifyChain,
} from "../mod.ts";
import { STALE_SQLSTATE } from "../src/sql/event-log-ddl.ts";
import { writePreludeSql } from "../src/sql/write-prelude.ts";
import { localFetchEndpoint, startSqlOverHttpServer } from "../src/dev/mod.ts";
import { neonHttp } from "../src/drivers/neon/mod.ts";
import { pgPool } from "../src/drivers/pg-pool/mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1] ?? fallback;
};
const CALLS = Number(option("calls", "500"));
const SECONDS = Number(option("seconds", "10"));
const WRITERS = Number(option("writers", "16"));
const SKIP = new Set(option("skip", "").split(","));
const WARMUP = 50;
const DATABASE_URL = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = "ee_bench_write";

/**
 * One key for every write: the global scope's serialization, but not its key (2147483647),
 * which every suite on this shared database takes; waiting for their writes would be measured.
 */
const ONE_KEY_VALUE = 0x65655f62656e6368n;
const ONE_KEY: LockOption = { key: () => ONE_KEY_VALUE };

/** One log and its tables per scenario, so that each scenario's positions start at 1. */
function model(prefix: string, lock: LockOption = ONE_KEY, integrity: IntegrityOptions = {}) {
  const log = defineEventLog({
    table: `${SCHEMA}.${prefix}_events`,
    actors: { user: { column: "user_id", type: "text" } },
    lock,
    integrity,
  });
  const Account = defineResource({
    name: "account",
    table: `${SCHEMA}.${prefix}_accounts`,
    attributes: v.object({
      id: v.string(),
      owner: v.string(),
      balance: v.pipe(v.number(), v.integer()),
      createdAt: v.date(),
      updatedAt: v.date(),
      closedAt: v.nullish(v.date()),
      handle: v.nullish(v.string()),
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
      claim: create({
        input: v.object({ handle: v.string(), owner: v.string() }),
        defaults: { balance: 0 },
        upsert: { identity: ["handle"] },
      }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({
        input: v.object({ amount: v.pipe(v.number(), v.integer()) }),
        set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
      }),
      bump: update({ change: (account) => ({ balance: account.balance + 1 }) }),
      close: destroy({ soft: "closedAt" }),
      purge: destroy(),
    }),
  });
  const Note = defineResource({
    name: "note",
    table: `${SCHEMA}.${prefix}_notes`,
    tenant: "org",
    attributes: v.object({ id: v.string(), org: v.string(), body: v.string() }),
    actions: ({ create }) => ({ add: create({ input: v.object({ body: v.string() }) }) }),
  });
  return { prefix, log, Account, Note };
}
type Model = ReturnType<typeof model>;

/** Counts what an executor sends: batches, read batches, statements, stale (EEC01) writes. */
function counting(inner: Executor) {
  const counts = { batches: 0, reads: 0, statements: 0, stale: 0 };
  const db: Executor = {
    kind: inner.kind,
    query: <R extends Row = Row>(statement: SqlStatement) => (counts.statements++, inner.query<R>(statement)),
    async batch(statements, options) {
      counts.batches++;
      if (options?.readOnly === true) counts.reads++;
      counts.statements += statements.length;
      try {
        return await inner.batch(statements, options);
      } catch (error) {
        if (isEdgeEventsError(error, "STORAGE_FAILURE") && error.sqlState === STALE_SQLSTATE) counts.stale++;
        throw error;
      }
    },
  };
  return { db, counts };
}

/** A store over `db` (generous conflict retries: hot records), its log and tables migrated unless told. */
async function storeOf(db: Executor, m: Model, migrate = true): Promise<EventStore> {
  const store = createEventStore({
    db,
    log: m.log,
    resources: [m.Account, m.Note],
    conflictRetry: { maxAttempts: 1000 },
  });
  if (migrate) await store.migrate({ resourceTables: true });
  return store.withContext({ actor: { user: "bench" } });
}

/** The event log has exactly `events` events at positions 1..events. */
async function verifyLog(db: Executor, m: Model, events: number): Promise<void> {
  const row = (await db.query({
    text:
      `SELECT count(*)::int AS n, count(DISTINCT position)::int AS d, coalesce(min(position), 0)::int AS lo, coalesce(max(position), 0)::int AS hi FROM ${m.log.table.sql}`,
    params: [],
  })).rows[0]!;
  if (row["n"] !== events || row["d"] !== events || row["lo"] !== (events === 0 ? 0 : 1) || row["hi"] !== events) {
    throw new Error(`${m.prefix}: expected events at positions 1..${events}, found ${JSON.stringify(row)}`);
  }
}

const scalar = async (db: Executor, text: string): Promise<unknown> =>
  (await db.query({ text, params: [] })).rows[0]?.["v"];

/** The same SQL work as a create, by hand: a plain INSERT of the record, a plain INSERT of its event. */
function rawCreate(m: Model): SqlStatement[] {
  const id = newEventId();
  const eventId = newEventId();
  const at = new Date().toISOString();
  return [
    {
      text: `INSERT INTO ${
        m.Account.table!.sql
      } (id, owner, balance, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
      params: [id, "owner", 0, at],
    },
    {
      text:
        `INSERT INTO ${m.log.table.sql} (id, occurred_at, resource, record_id, action, action_type, version, data, changes, metadata, correlation_id, user_id) ` +
        `VALUES ($1, $2, 'account', $3, 'open', 'create', 1, $4::jsonb, $5::jsonb, '{}'::jsonb, $1, $6)`,
      params: [
        eventId,
        at,
        id,
        JSON.stringify({ owner: "owner" }),
        JSON.stringify({ id, balance: 0, createdAt: at, updatedAt: at }),
        "bench",
      ],
    },
  ];
}

interface LatencyRow {
  setup: string;
  action: string;
  samples: number[];
  requests: number | null;
  statements: number;
  /** The raw baseline's calls interleaved with this row's: the ratio's denominator. */
  raw: number[];
}

const percentile = (sorted: number[], p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
const median = (samples: number[]): number => percentile([...samples].sort((a, b) => a - b), 0.5);

async function time(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

/**
 * Each action kind CALLS times, every call followed by one raw baseline call, so that the
 * ratio of the two compares calls made under the same load (the machine is shared). Requests
 * per call must be `expected` (HTTP only); statements per call are those the store sent
 * (BEGIN and COMMIT not counted).
 */
async function sequential(
  setup: string,
  inner: Executor,
  raw: (statements: SqlStatement[]) => Promise<unknown>,
  requests?: () => number,
): Promise<LatencyRow[]> {
  const m = model("seq");
  const rawModel = model("raw");
  const { db, counts } = counting(inner);
  const store = await storeOf(db, m);
  const accounts = store.resource(m.Account);
  await storeOf(inner, rawModel);
  const rows: LatencyRow[] = [];
  const measure = async (action: string, expected: number, work: (i: number) => Promise<unknown>): Promise<void> => {
    const [r0, s0] = [requests?.() ?? 0, counts.statements];
    const row: LatencyRow = { setup, action, samples: [], raw: [], requests: null, statements: 0 };
    for (let i = 0; i < CALLS; i++) {
      row.samples.push(await time(() => work(i)));
      row.raw.push(await time(() => raw(rawCreate(rawModel))));
    }
    // Each raw call is one request too.
    row.requests = requests === undefined ? null : (requests() - r0) / CALLS - 1;
    if (row.requests !== null && row.requests !== expected) {
      throw new Error(`${setup} ${action}: ${row.requests} requests per call, expected ${expected}`);
    }
    row.statements = (counts.statements - s0) / CALLS;
    rows.push(row);
  };
  for (let i = 0; i < WARMUP; i++) {
    await accounts.deposit((await accounts.open({ owner: "warm-up" })).record.id, { amount: 1 });
  }
  for (let i = 0; i < WARMUP; i++) await raw(rawCreate(rawModel));
  const ids: string[] = [];
  const txIds: string[] = [];
  await measure("create", 1, async () => ids.push((await accounts.open({ owner: "ada" })).record.id));
  // Ten handles: the first ten calls insert, every later one takes the update path.
  await measure(
    "upsert (insert, then update on its identity)",
    1,
    (i) => accounts.claim({ handle: `handle ${i % 10}`, owner: `owner ${i}` }),
  );
  await measure("update, set from input", 1, (i) => accounts.rename(ids[i]!, { owner: `owner ${i}` }));
  await measure("update, atomic sql/ref", 1, (i) => accounts.deposit(ids[i]!, { amount: 10 }));
  await measure("update, change function", 2, (i) => accounts.bump(ids[i]!));
  await measure("transaction of 5 (create + 4 atomic updates)", 1, (i) =>
    store.transaction((tx) => {
      const opened = tx.resource(m.Account).open({ owner: "tx" });
      txIds.push(opened.recordId);
      tx.resource(m.Account).deposit(opened.recordId, { amount: 5 });
      for (let k = 1; k <= 3; k++) tx.resource(m.Account).deposit(ids[(i + k) % CALLS]!, { amount: 1 });
    }));
  await measure("destroy, soft", 1, (i) => accounts.close(ids[i]!));
  await measure("destroy, hard", 1, (i) => accounts.purge(txIds[i]!));
  // Where the overhead goes: the raw INSERTs behind the store's prelude, as a create sends it.
  const prelude = writePreludeSql(rawModel.log, [ONE_KEY_VALUE], [null], new Date());
  await measure(
    "raw transaction + the store's prelude (fence lock, write lock, fence check)",
    1,
    () => raw([prelude, ...rawCreate(rawModel)]),
  );
  rows.at(-1)!.statements = 3;
  // Warm-up: 2 events per round; measured: 1 + 1 + 1 + 1 + 1 + 5 + 1 + 1 per call.
  await verifyLog(inner, m, 2 * WARMUP + 12 * CALLS);
  const expectedBalance = WARMUP + CALLS * (10 + 1 + 3);
  const balance = await scalar(inner, `SELECT sum(balance)::int AS v FROM ${m.Account.table!.sql}`);
  const closed = await scalar(
    inner,
    `SELECT count(*)::int AS v FROM ${m.Account.table!.sql} WHERE closed_at IS NOT NULL`,
  );
  if (balance !== expectedBalance || closed !== CALLS) {
    throw new Error(`${setup}: balance ${balance} (expected ${expectedBalance}), ${closed} closed`);
  }
  await verifyLog(inner, rawModel, WARMUP + 10 * CALLS);
  const raws = rows.flatMap((r) => r.raw);
  rows.unshift(
    {
      setup,
      action: "raw transaction: INSERT record + INSERT event (baseline)",
      samples: raws,
      raw: raws,
      requests: requests === undefined ? null : 1,
      statements: 2,
    },
    rows.pop()!,
  );
  rows.push(await chainCost(setup, inner, requests));
  return rows;
}

/**
 * What the hash chain costs: a tenant's note created in a chained log against the same create
 * in an unchained one, call by call (the row's "× raw" is chained / unchained). Both logs take
 * one custom key and the chain adds its tenant's key: no key other suites on this database take.
 */
async function chainCost(setup: string, inner: Executor, requests?: () => number): Promise<LatencyRow> {
  const tenant = { tenant: "bench-chain" };
  const plain = model("unchained");
  const chained = model("chained", ONE_KEY, { chain: true, chainScope: "tenant" });
  const { db, counts } = counting(inner);
  const plainNotes = (await storeOf(db, plain)).withContext(tenant).resource(plain.Note);
  const chainedStore = await storeOf(db, chained);
  const chainedNotes = chainedStore.withContext(tenant).resource(chained.Note);
  for (let i = 0; i < WARMUP; i++) (await plainNotes.add({ body: "w" }), await chainedNotes.add({ body: "w" }));
  const [r0, s0] = [requests?.() ?? 0, counts.statements];
  const row: LatencyRow = {
    setup,
    action: "create, hash-chained (× = chained / the same create unchained)",
    samples: [],
    raw: [],
    requests: null,
    statements: 0,
  };
  for (let i = 0; i < CALLS; i++) {
    row.samples.push(await time(() => chainedNotes.add({ body: `note ${i}` })));
    row.raw.push(await time(() => plainNotes.add({ body: `note ${i}` })));
  }
  row.requests = requests === undefined ? null : (requests() - r0) / CALLS / 2;
  if (row.requests !== null && row.requests !== 1) throw new Error(`${setup}: ${row.requests} requests per create`);
  row.statements = (counts.statements - s0) / CALLS / 2;
  await verifyLog(inner, chained, WARMUP + CALLS);
  const verified = await verifyChain(chainedStore);
  if (!verified.ok || verified.checked !== WARMUP + CALLS) throw new Error(`${setup}: the chain does not verify`);
  return row;
}

interface ThroughputRow {
  scenario: string;
  events: number;
  seconds: number;
  samples: number[];
  requests: number;
  conflicts: number;
  maxAttempts: number;
  overTen: number;
}

/** WRITERS loops calling `work` until SECONDS have passed; each writer has its own counted executor. */
async function concurrent(
  scenario: string,
  inner: Executor,
  m: Model,
  requests: () => number,
  work: (store: EventStore, writer: number) => Promise<unknown>,
  setup?: (store: EventStore) => Promise<void>,
): Promise<ThroughputRow> {
  const migrated = await storeOf(inner, m);
  await setup?.(migrated);
  const writers = await Promise.all(Array.from({ length: WRITERS }, async () => {
    const counted = counting(inner);
    return { ...counted, store: await storeOf(counted.db, m, false) };
  }));
  const samples: number[] = [];
  const attempts: number[] = [];
  const r0 = requests();
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(writers.map(async ({ store, counts }, w) => {
    while (performance.now() < end) {
      const [t0, b0] = [performance.now(), counts.batches - counts.reads];
      await work(store, w);
      samples.push(performance.now() - t0);
      attempts.push(counts.batches - counts.reads - b0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return {
    scenario,
    events: samples.length,
    seconds,
    samples,
    requests: requests() - r0,
    conflicts: writers.reduce((n, w) => n + w.counts.stale, 0),
    maxAttempts: Math.max(...attempts),
    overTen: attempts.filter((n) => n > 10).length,
  };
}

async function throughput(
  db: Executor,
  requests: () => number,
  raw: (statements: SqlStatement[]) => Promise<unknown>,
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  // The ceiling: the same creates by hand, no lock, no fence.
  const rawModel = model("raw_load");
  const rawRow = await concurrent(
    `raw INSERT + INSERT, no lock (baseline)`,
    db,
    rawModel,
    requests,
    () => raw(rawCreate(rawModel)),
  );
  await verifyLog(db, rawModel, rawRow.events);
  rows.push(rawRow);
  console.log(`  done: ${rawRow.scenario}`);
  for (const [name, lock] of [["one key (global)", ONE_KEY], ["tenant", { scope: "tenant" }]] as const) {
    const m = model(name === "tenant" ? "tenant" : "global", lock);
    const row = await concurrent(
      `creates, ${name} lock, ${WRITERS} tenants`,
      db,
      m,
      requests,
      (store, w) => store.resource(m.Note).add({ body: "note" }, { tenant: `org-${w}` }),
    );
    await verifyLog(db, m, row.events);
    const notes = await scalar(db, `SELECT count(*)::int AS v FROM ${m.Note.table!.sql}`);
    if (notes !== row.events) throw new Error(`${name}: ${notes} notes for ${row.events} creates`);
    rows.push(row);
    console.log(`  done: ${row.scenario}`);
  }
  for (const kind of ["atomic", "change"] as const) {
    const m = model(`hot_${kind}`);
    let hot = "";
    const row = await concurrent(
      `hot counter, ${kind === "atomic" ? "atomic sql update" : "change function"}`,
      db,
      m,
      requests,
      (store) =>
        kind === "atomic" ? store.resource(m.Account).deposit(hot, { amount: 1 }) : store.resource(m.Account).bump(hot),
      async (store) => void (hot = (await store.resource(m.Account).open({ owner: "hot" })).record.id),
    );
    await verifyLog(db, m, row.events + 1);
    const count = await scalar(db, `SELECT balance AS v FROM ${m.Account.table!.sql}`);
    if (count !== row.events) throw new Error(`hot ${kind}: counter ${count} after ${row.events} increments`);
    rows.push(row);
    console.log(`  done: ${row.scenario}`);
  }
  return rows;
}

function printTable(header: string[], cells: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const line of [header, widths.map((w) => "-".repeat(w)), ...cells]) {
    console.log(`| ${line.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`);
  }
}

const ms = (n: number): string => n.toFixed(2);
const started = Date.now();
const latency: LatencyRow[] = [];
let load: ThroughputRow[] = [];
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
// Sessions that commit without waiting for the WAL flush: on this shared disk a commit's
// fdatasync takes 1 to 10 ms and would drown the library's own cost in its noise.
const NO_FLUSH = "-c synchronous_commit=off";
const noFlushPool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, options: NO_FLUSH });
const server = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0 });
const dropSchema = (db: Executor): Promise<unknown> =>
  db.query({ text: `DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`, params: [] });
try {
  const direct = pgPool(pool);
  await dropSchema(direct);
  neonConfig.fetchEndpoint = localFetchEndpoint;
  const requests = (): number => server.stats.requests;
  /** The neon() driver through the local server; `options` go in the connection string, like Neon's. */
  const neonSetup = (options?: string) => {
    const url = new URL(DATABASE_URL);
    url.hostname = "localhost";
    url.port = String(server.port);
    url.password ||= "local";
    if (options !== undefined) url.searchParams.set("options", options);
    const neonSql = neon(url.href);
    const raw = (statements: SqlStatement[]): Promise<unknown> =>
      neonSql.transaction(statements.map((s) => neonSql.query(s.text, s.params as unknown[])));
    return { db: neonHttp(neonSql), raw };
  };
  if (!SKIP.has("neon")) {
    const durable = neonSetup();
    latency.push(...await sequential("neon() → local server → Postgres", durable.db, durable.raw, requests));
    await dropSchema(direct);
    console.log("  done: neon sequential");
    const noFlush = neonSetup(NO_FLUSH);
    latency.push(
      ...await sequential("neon() → local server → Postgres, no WAL flush", noFlush.db, noFlush.raw, requests),
    );
    await dropSchema(direct);
    console.log("  done: neon sequential, no WAL flush");
    if (!SKIP.has("load")) load = await throughput(durable.db, requests, durable.raw);
    await dropSchema(direct);
  }
  if (!SKIP.has("pg")) {
    const db = pgPool(noFlushPool);
    latency.push(...await sequential("pg.Pool over TCP (pg-pool), no WAL flush", db, (s) => db.batch(s)));
    await dropSchema(direct);
    console.log("  done: pg-pool sequential");
  }
  if (!SKIP.has("pglite")) {
    const lite = new PGlite();
    try {
      const db = pglite(lite);
      latency.push(...await sequential("PGlite in process (in memory)", db, (s) => db.batch(s)));
      console.log("  done: PGlite sequential");
    } finally {
      await lite.close();
    }
  }
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
  await Promise.all([pool.end(), noFlushPool.end()]);
  await server.close();
}

printTable(
  ["setup", "action", "calls", "median ms", "p95 ms", "p99 ms", "× raw (median)", "requests/call", "statements/call"],
  latency.map((r) => {
    const sorted = [...r.samples].sort((a, b) => a - b);
    return [
      r.setup,
      r.action,
      String(r.samples.length),
      ms(percentile(sorted, 0.5)),
      ms(percentile(sorted, 0.95)),
      ms(percentile(sorted, 0.99)),
      (percentile(sorted, 0.5) / median(r.raw)).toFixed(2),
      r.requests === null ? "-" : String(r.requests),
      String(r.statements),
    ];
  }),
);
if (load.length > 0) {
  console.log();
  printTable(
    [
      "scenario",
      "writers",
      "seconds",
      "events",
      "events/s",
      "median ms",
      "p95 ms",
      "requests/event",
      "conflicts",
      "max attempts",
      "calls > 10 attempts",
    ],
    load.map((r) => {
      const sorted = [...r.samples].sort((a, b) => a - b);
      return [
        r.scenario,
        String(WRITERS),
        r.seconds.toFixed(1),
        String(r.events),
        Math.round(r.events / r.seconds).toLocaleString("en-US"),
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.95)),
        (r.requests / r.events).toFixed(2),
        ...(r.maxAttempts === 0 ? ["-", "-", "-"] : [String(r.conflicts), String(r.maxAttempts), String(r.overTen)]),
      ];
    }),
  );
  const rate = (i: number): number => load[i]!.events / load[i]!.seconds;
  console.log(
    `creates: tenant/global ${(rate(2) / rate(1)).toFixed(2)}×, raw/global ${
      (rate(0) / rate(1)).toFixed(2)
    }×, raw/tenant ${(rate(0) / rate(2)).toFixed(2)}×; ` +
      `hot counter: atomic/change function ${(rate(3) / rate(4)).toFixed(2)}×`,
  );
}
console.log(
  `total ${
    ((Date.now() - started) / 1000).toFixed(0)
  } s; every run verified (requests per call, event counts, positions 1..N, balances and counters)`,
);
