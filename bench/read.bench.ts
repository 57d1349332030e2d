// Reading the past: stateAt of a record with 1,000 and 10,000 events (without a savepoint, with
// one through the API as it is, and the savepoint read path itself), history and audit pages,
// the global feed over the whole log, and a projection catching up on it. Everything goes
// through the real neon() driver and the local SQL-over-HTTP server (in process) in front of
// Postgres, and every measure runs beside its reference, the same rows read raw through the same
// driver (`neon()`'s own `sql.query`, no library), interleaved call by call so that both see the
// same load: "× ref" is the ratio of their medians. Every result is checked: folded states equal
// the rows, pages equal the raw rows, the feed sees each event exactly once, read models match.
//
//   npm run bench:read                       (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
//   npm run bench:read -- --events 200000 --reps 50 --passes 3 --batch 500 --skip feed,projection
//
// The log is bulk-inserted by one INSERT ... SELECT over generate_series in a dedicated schema
// (ee_bench_read, dropped at the end), shaped exactly as the write path writes events (data = the
// input, changes = the generated id, defaults and timestamps as ISO text, a user actor, a
// correlation id per call); the two measured records' events are spread evenly through it.
import { neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { loadavg } from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import * as v from "valibot";
import {
  audit,
  createEventStore,
  defineEventLog,
  defineProjection,
  defineResource,
  history,
  project,
  type Projection,
  savepoint,
  sql,
  stateAt,
  type StoredEvent,
} from "../mod.ts";
import { localFetchEndpoint, startSqlOverHttpServer } from "../src/dev/mod.ts";
import { neonHttp } from "../src/drivers/neon/mod.ts";

const { values: options } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    reps: { type: "string", default: "20" },
    passes: { type: "string", default: "1" },
    batch: { type: "string", default: "1000" },
    skip: { type: "string", default: "" },
  },
});
const EVENTS = Number(options.events);
const REPS = Number(options.reps);
const PASSES = Number(options.passes);
const BATCH = Number(options.batch);
const SKIP = new Set(options.skip.split(","));
const WARMUP = 5;
const HOT = [1000, 10_000] as const;
const USERS = 20;
const AUDITED_USER = "user-7";
const FEED_PAGE = 1000;
const DATABASE_URL = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";
// Also written out in the projection's sql fragments below (identifiers cannot be parameters).
const SCHEMA = "ee_bench_read";
const BACKGROUND = EVENTS - HOT[0] - HOT[1];
const ACCOUNTS = Math.min(10_000, Math.max(1, Math.floor(BACKGROUND / 10)));
if (!(BACKGROUND >= HOT[0] + HOT[1])) throw new RangeError(`--events must be at least ${2 * (HOT[0] + HOT[1])}`);
for (const n of [REPS, PASSES, BATCH]) if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`bad option: ${n}`);

const log = defineEventLog({ table: `${SCHEMA}.events`, actors: { user: { column: "user_id", type: "text" } } });
const Account = defineResource({
  name: "account",
  table: `${SCHEMA}.accounts`,
  attributes: v.object({
    id: v.string(),
    owner: v.string(),
    balance: v.pipe(v.number(), v.integer()),
    createdAt: v.date(),
    updatedAt: v.date(),
  }),
  timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
  actions: ({ create, update }) => ({
    open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
    setBalance: update({ input: v.object({ balance: v.pipe(v.number(), v.integer()) }) }),
  }),
});
const T = (name: string): string => `"${SCHEMA}"."${name}"`;
const ulid = (prefix: string, n: string): string => `'${prefix}' || lpad(upper(to_hex(${n})), 22, '0')`;
/** The id of account `k` (1..ACCOUNTS: background; ACCOUNTS + 1 and + 2: the measured records). */
const accountId = (k: number): string => `01JA${k.toString(16).toUpperCase().padStart(22, "0")}`;

/**
 * Background events 1..B (account k created at event k, then updates of account (k * 7919) % A + 1
 * setting balance (k * 37) % 1e6) with the measured records' events spread evenly between them:
 * account A+1 and A+2, created at their first event, then balance = i at their i-th update.
 * Positions follow the sort key; every event is one call by one of 20 users, one second apart.
 */
const SEED_SQL = `INSERT INTO ${T("events")} ("id", "occurred_at", "resource", "record_id", "action", "action_type",
  "version", "data", "changes", "metadata", "tenant", "correlation_id", "user_id")
SELECT ${ulid("01JE", "n")}, at, 'account', rid, CASE WHEN c THEN 'open' ELSE 'setBalance' END,
  CASE WHEN c THEN 'create' ELSE 'update' END, 1,
  CASE WHEN c THEN jsonb_build_object('owner', 'owner ' || (acc % 997)) ELSE jsonb_build_object('balance', bal) END,
  CASE WHEN c THEN jsonb_build_object('id', rid, 'balance', 0, 'createdAt', ts, 'updatedAt', ts)
    ELSE jsonb_build_object('updatedAt', ts) END,
  '{}'::jsonb, NULL, ${ulid("01JC", "n")}, 'user-' || (n % ${USERS})
FROM (
  SELECT n, acc, c, bal, ${ulid("01JA", "acc")} AS rid, at,
    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts
  FROM (
    SELECT row_number() OVER (ORDER BY key) AS n, acc, c, bal, '2025-01-01T00:00:00Z'::timestamptz AS t0
    FROM (
      SELECT k::float8 AS key, CASE WHEN k <= $1 THEN k ELSE (k * 7919) % $1 + 1 END AS acc, k <= $1 AS c,
        (k * 37) % 1000000 AS bal FROM generate_series(1::bigint, $2::bigint) AS k
      UNION ALL SELECT (i + 0.5) * $2 / $3, $1 + 1, i = 0, i FROM generate_series(0::bigint, $3::bigint - 1) AS i
      UNION ALL SELECT (i + 0.25) * $2 / $4, $1 + 2, i = 0, i FROM generate_series(0::bigint, $4::bigint - 1) AS i
    ) AS s
  ) AS o, LATERAL (SELECT o.t0 + o.n * interval '1 second' AS at) AS t
) AS e
ORDER BY n`;

/** The accounts table as those events leave it: owner from the create, balance and time of the last update. */
const ACCOUNTS_SQL = `INSERT INTO ${T("accounts")} ("id", "owner", "balance", "created_at", "updated_at")
SELECT c."record_id", c."data"->>'owner', coalesce(u."balance", 0), c."occurred_at", coalesce(u."occurred_at", c."occurred_at")
FROM ${T("events")} AS c LEFT JOIN (
  SELECT DISTINCT ON ("record_id") "record_id", ("data"->>'balance')::int AS "balance", "occurred_at"
  FROM ${T("events")} WHERE "action" = 'setBalance' ORDER BY "record_id", "position" DESC
) AS u USING ("record_id")
WHERE c."action" = 'open'`;

interface Measure {
  section: string;
  name: string;
  reference: string;
  samples: number[];
  refSamples: number[];
  /** The target ratio to the reference's median, if the issue sets one. */
  target?: number;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 0.5);
const p95 = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 0.95);

async function timed<X>(work: () => Promise<X>): Promise<[number, X]> {
  const t0 = performance.now();
  const value = await work();
  return [performance.now() - t0, value];
}

/**
 * WARMUP + REPS pairs: `subject(i)` then `reference(i)`, each result checked (outside the timing);
 * only the REPS pairs after the warm-up are kept.
 */
async function paired<A, B>(
  m: Omit<Measure, "samples" | "refSamples">,
  subject: (i: number) => Promise<A>,
  checkSubject: (result: A, i: number) => void,
  reference: (i: number) => Promise<B>,
  checkReference: (result: B, i: number) => void,
): Promise<Measure> {
  const measure: Measure = { ...m, samples: [], refSamples: [] };
  for (let i = 0; i < WARMUP + REPS; i++) {
    const [ms, a] = await timed(() => subject(i));
    checkSubject(a, i);
    const [refMs, b] = await timed(() => reference(i));
    checkReference(b, i);
    if (i >= WARMUP) measure.samples.push(ms), measure.refSamples.push(refMs);
  }
  console.log(`  done: ${m.section}: ${m.name}`);
  return measure;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

function printTable(header: string[], cells: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const line of [header, widths.map((w) => "-".repeat(w)), ...cells]) {
    console.log(`| ${line.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`);
  }
}

const started = Date.now();
const loads = [loadavg()[0]!];
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
const server = await startSqlOverHttpServer({ databaseUrl: DATABASE_URL, port: 0 });
neonConfig.fetchEndpoint = localFetchEndpoint;
const url = new URL(DATABASE_URL);
url.hostname = "localhost";
url.port = String(server.port);
url.password ||= "local";
const raw = neon(url.href);
const store = createEventStore({ db: neonHttp(raw), log, resources: [Account] });
const measures: Measure[] = [];
const feedRows: string[][] = [];
const projectionRows: string[][] = [];
const dropSchema = (): Promise<unknown> => pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);

type RawRow = Record<string, unknown>;
const rawQuery = (text: string, params: unknown[]): Promise<RawRow[]> => raw.query(text, params) as Promise<RawRow[]>;
const RAW_RECORD = `SELECT * FROM ${T("events")} WHERE "resource" = $1 AND "record_id" = $2 ORDER BY "position"`;
const RAW_ROW = `SELECT * FROM ${T("accounts")} WHERE "id" = $1`;

/** The row of an account, as Postgres holds it: what a fold must reach. */
async function expectedRow(id: string): Promise<Record<string, unknown>> {
  const row = (await pool.query(`SELECT * FROM ${T("accounts")} WHERE "id" = $1`, [id])).rows[0];
  return { id: row.id, owner: row.owner, balance: row.balance, createdAt: row.created_at, updatedAt: row.updated_at };
}

function sameState(state: Readonly<Record<string, unknown>> | undefined, expected: Record<string, unknown>): boolean {
  if (state === undefined) return false;
  return Object.entries(expected).every(([key, value]) => {
    const got = state[key];
    return value instanceof Date ? got instanceof Date && got.getTime() === value.getTime() : got === value;
  });
}

async function stateAtMeasures(lastPosition: bigint): Promise<void> {
  for (const [k, count] of HOT.entries()) {
    const id = accountId(ACCOUNTS + 1 + k);
    const expected = await expectedRow(id);
    check(expected["balance"] === count - 1, `account ${id} has balance ${count - 1}`);
    const section = `stateAt, ${count.toLocaleString("en-US")} events`;
    const point = { position: lastPosition };
    const api = () => stateAt(store, Account, id, point);
    const checkApi = (s: Awaited<ReturnType<typeof api>>): void =>
      check(s.status === "exists" && sameState(s.record, expected), `${section}: stateAt equals the row`);
    const rawEvents = () => rawQuery(RAW_RECORD, ["account", id]);
    const checkEvents = (rows: RawRow[]): void => check(rows.length === count, `${section}: ${count} raw events`);
    const oneRow = () => rawQuery(RAW_ROW, [id]);
    const checkRow = (rows: RawRow[]): void => check(rows.length === 1, `${section}: one row`);
    measures.push(
      await paired(
        { section, name: "stateAt, no savepoint", reference: "raw: the record's events", target: 2 },
        api,
        checkApi,
        rawEvents,
        checkEvents,
      ),
    );
    const made = await savepoint(store, Account, id);
    check(made.written && made.folded === count && sameState(made.state, expected), `${section}: savepoint`);
    measures.push(
      await paired(
        {
          section,
          name: "stateAt, savepoint at the last event",
          reference: "raw: one row by id",
          target: 1.5,
        },
        api,
        checkApi,
        oneRow,
        checkRow,
      ),
    );
  }
}

/** Walk every page once (checking them), then measure reading page i % pages beside the raw keyset query of its rows. */
async function pageMeasures<P extends { events: readonly StoredEvent[]; cursor: string | null }>(
  section: string,
  total: number,
  read: (limit: number, cursor: string | undefined) => Promise<P>,
  rawText: string,
  rawKey: unknown,
): Promise<void> {
  for (const limit of [100, 1000]) {
    const pages: { cursor: string | undefined; after: bigint; length: number; lastId: string }[] = [];
    const seen = new Set<string>();
    let [cursor, after] = [undefined as string | undefined, 0n];
    for (;;) {
      const page = await read(limit, cursor);
      const events = page.events;
      for (const e of events) check(e.position > after && !seen.has(e.id), `${section}: position order, once each`);
      events.forEach((e) => seen.add(e.id));
      pages.push({ cursor, after, length: events.length, lastId: events.at(-1)?.id ?? "" });
      after = events.at(-1)?.position ?? after;
      if (page.cursor === null) break;
      cursor = page.cursor;
    }
    check(seen.size === total, `${section}: ${total} events in ${pages.length} pages of ${limit}`);
    const pageOf = (i: number) => pages[i % pages.length]!;
    const name = `page of ${limit} (${pages.length} pages, in turn)`;
    const readPage = (i: number) => read(limit, pageOf(i).cursor);
    measures.push(
      await paired(
        { section, name, reference: "raw: the same rows by keyset" },
        (i) => readPage(i).then((p) => p.events),
        (events, i) => check(events.length === pageOf(i).length && events.at(-1)?.id === pageOf(i).lastId, name),
        (i) => rawQuery(rawText, [rawKey, String(pageOf(i).after), limit]),
        (rows, i) => check(rows.length === pageOf(i).length && rows.at(-1)?.["id"] === pageOf(i).lastId, name),
      ),
    );
  }
}

/** One pass over the whole feed: the time of each page read, and every event once. */
async function feedPass(
  readPage: (after: string | undefined) => Promise<{ ids: string[]; after: string }>,
): Promise<{ pages: number[]; seconds: number }> {
  const pages: number[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const [ms, page] = await timed(() => readPage(after));
    pages.push(ms);
    for (const id of page.ids) check(!seen.has(id), "feed: each event once"), seen.add(id);
    if (page.ids.length === 0) break;
    after = page.after;
  }
  check(seen.size === EVENTS, `feed: ${EVENTS} events, got ${seen.size}`);
  return { pages, seconds: pages.reduce((a, b) => a + b, 0) / 1000 };
}

async function feedMeasures(): Promise<void> {
  const readers: [string, (after: string | undefined) => Promise<{ ids: string[]; after: string }>][] = [
    ["store.readFeed", async (after) => {
      const page = await store.readFeed({ limit: FEED_PAGE, ...(after === undefined ? {} : { after }) });
      return { ids: page.events.map((e) => e.id), after: page.cursor };
    }],
    ["store.readAllTenantsFeed", async (after) => {
      const page = await store.readAllTenantsFeed({ limit: FEED_PAGE, ...(after === undefined ? {} : { after }) });
      return { ids: page.events.map((e) => e.id), after: page.cursor };
    }],
    ["raw: keyset on (tx_id, position)", async (after) => {
      const [tx, position] = (after ?? "0/0").split("/");
      const rows = await rawQuery(
        `SELECT * FROM ${
          T("events")
        } WHERE ("tx_id", "position") > ($1::xid8, $2::bigint) ORDER BY "tx_id", "position" LIMIT $3`,
        [tx, position, FEED_PAGE],
      );
      const last = rows.at(-1);
      return {
        ids: rows.map((r) => String(r["id"])),
        after: last ? `${last["tx_id"]}/${last["position"]}` : after ?? "0/0",
      };
    }],
  ];
  // A warm-up pass of each, then PASSES passes of each in turn, so that all see the same load.
  const results = readers.map(() => ({ pages: [] as number[], rates: [] as number[] }));
  for (let pass = 0; pass <= PASSES; pass++) {
    for (const [i, [, read]] of readers.entries()) {
      const { pages, seconds } = await feedPass(read);
      if (pass > 0) results[i]!.pages.push(...pages), results[i]!.rates.push(EVENTS / seconds);
    }
  }
  const rawRate = median(results[2]!.rates);
  for (const [i, [name]] of readers.entries()) {
    const { pages, rates } = results[i]!;
    feedRows.push([
      name,
      String(pages.length / PASSES),
      median(pages).toFixed(2),
      p95(pages).toFixed(2),
      Math.round(median(rates)).toLocaleString("en-US"),
      (rawRate / median(rates)).toFixed(2),
      i === 2 ? "-" : median(rates) >= 50_000 ? "yes" : "no",
    ]);
  }
  console.log("  done: feed");
}

// The read model of the upserting projection, and the same one kept by hand for the reference.
const MODEL_DDL = (table: string): string =>
  `CREATE TABLE ${
    T(table)
  } ("id" text PRIMARY KEY, "owner" text, "balance" integer NOT NULL, "events" integer NOT NULL)`;
const balances = defineProjection({
  name: "bench_balances",
  handles: {
    "account.open": (e) =>
      sql`INSERT INTO ee_bench_read.read_balances AS r (id, owner, balance, events) VALUES (${e.recordId}, ${
        String(e.data["owner"])
      }, 0, 1) ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, balance = 0, events = r.events + 1`,
    "account.setBalance": (e) =>
      sql`INSERT INTO ee_bench_read.read_balances AS r (id, balance, events) VALUES (${e.recordId}, ${
        Number(e.data["balance"])
      }, 1) ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance, events = r.events + 1`,
  },
  clear: () => sql`DELETE FROM ee_bench_read.read_balances`,
});
const nothing = defineProjection({
  name: "bench_nothing",
  handles: { "account.open": () => undefined, "account.setBalance": () => undefined },
});

/** The same catch-up by hand: a raw feed page, then one transaction of a checkpoint UPDATE and the upserts. */
async function handCatchUp(upserts: boolean): Promise<number> {
  let [tx, position, events] = ["0", "0", 0];
  for (;;) {
    const rows = await rawQuery(
      `SELECT * FROM ${
        T("events")
      } WHERE ("tx_id", "position") > ($1::xid8, $2::bigint) ORDER BY "tx_id", "position" LIMIT $3`,
      [tx, position, BATCH],
    );
    const last = rows.at(-1);
    if (last === undefined) return events;
    const [toTx, toPosition] = [String(last["tx_id"]), String(last["position"])];
    const statements = [raw.query(
      `UPDATE ${
        T("hand_checkpoint")
      } SET "tx_id" = $1::xid8, "position" = $2 WHERE "tx_id" = $3::xid8 AND "position" = $4`,
      [toTx, toPosition, tx, position],
    )];
    if (upserts) {
      for (const row of rows) {
        const data = row["data"] as Record<string, unknown>;
        statements.push(
          row["action"] === "open"
            ? raw.query(
              `INSERT INTO ${
                T("hand_balances")
              } AS r (id, owner, balance, events) VALUES ($1, $2, 0, 1) ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, balance = 0, events = r.events + 1`,
              [row["record_id"], String(data["owner"])],
            )
            : raw.query(
              `INSERT INTO ${
                T("hand_balances")
              } AS r (id, balance, events) VALUES ($1, $2, 1) ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance, events = r.events + 1`,
              [row["record_id"], Number(data["balance"])],
            ),
        );
      }
    }
    await raw.transaction(statements);
    [tx, position, events] = [toTx, toPosition, events + rows.length];
    if (rows.length < BATCH) return events;
  }
}

/** The read model equals the accounts table and counts every event once. */
async function checkModel(table: string): Promise<void> {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*)::int FROM ${T(table)}) AS n, (SELECT sum("events")::int FROM ${T(table)}) AS events, ` +
      `(SELECT count(*)::int FROM ${T(table)} AS r JOIN ${T("accounts")} AS a USING ("id") ` +
      `WHERE r."owner" = a."owner" AND r."balance" = a."balance") AS same`,
  );
  const { n, events, same } = rows[0];
  check(n === ACCOUNTS + 2 && same === n && events === EVENTS, `${table}: ${JSON.stringify(rows[0])}`);
}

async function resetProjection(p: Projection): Promise<void> {
  await pool.query(`DELETE FROM ${T("events_projections")} WHERE "name" = $1`, [p.name]);
  await pool.query(`TRUNCATE ${T("read_balances")}, ${T("hand_balances")}`);
  await pool.query(`UPDATE ${T("hand_checkpoint")} SET "tx_id" = '0', "position" = 0`);
}

async function projectionMeasures(lastPosition: bigint): Promise<void> {
  await pool.query(MODEL_DDL("read_balances"));
  await pool.query(MODEL_DDL("hand_balances"));
  await pool.query(`CREATE TABLE ${T("hand_checkpoint")} ("tx_id" xid8 NOT NULL, "position" bigint NOT NULL)`);
  await pool.query(`INSERT INTO ${T("hand_checkpoint")} VALUES ('0', 0)`);
  for (const [p, upserts] of [[balances, true], [nothing, false]] as const) {
    const seconds: number[] = [];
    const handSeconds: number[] = [];
    // A warm-up of a few batches of each, then PASSES catch-ups from zero of each in turn.
    await resetProjection(p);
    await project(store, p, { batchSize: BATCH, maxBatches: 5 });
    await resetProjection(p);
    for (let pass = 0; pass < PASSES; pass++) {
      const [ms, result] = await timed(() => project(store, p, { batchSize: BATCH }));
      check(
        result.caughtUp && result.events === EVENTS && result.handled === EVENTS && result.position === lastPosition,
        `${p.name}: caught up on ${EVENTS} events (${
          JSON.stringify({ ...result, position: String(result.position) })
        })`,
      );
      const checkpoint = (await pool.query(
        `SELECT "position"::text AS position, "events"::int AS events FROM ${
          T("events_projections")
        } WHERE "name" = $1`,
        [p.name],
      )).rows[0];
      check(checkpoint.position === String(lastPosition) && checkpoint.events === EVENTS, `${p.name}: checkpoint`);
      const [handMs, handEvents] = await timed(() => handCatchUp(upserts));
      check(handEvents === EVENTS, `by hand: ${handEvents} events`);
      if (upserts) await checkModel("read_balances"), await checkModel("hand_balances");
      seconds.push(ms / 1000);
      handSeconds.push(handMs / 1000);
      await resetProjection(p);
    }
    const rate = EVENTS / median(seconds);
    const handRate = EVENTS / median(handSeconds);
    projectionRows.push([
      upserts ? "one upsert per event (bench_balances)" : "writes nothing (bench_nothing)",
      String(BATCH),
      median(seconds).toFixed(1),
      Math.round(rate).toLocaleString("en-US"),
      median(handSeconds).toFixed(1),
      Math.round(handRate).toLocaleString("en-US"),
      (handRate / rate).toFixed(2),
    ]);
    console.log(`  done: projection ${p.name}`);
  }
}

try {
  await dropSchema();
  await store.migrate({ resourceTables: true });
  const seedStart = Date.now();
  await pool.query(SEED_SQL, [ACCOUNTS, BACKGROUND, HOT[0], HOT[1]]);
  await pool.query(ACCOUNTS_SQL);
  for (const table of ["events", "accounts"]) await pool.query(`ANALYZE ${T(table)}`);
  const { n, last } = (await pool.query(`SELECT count(*)::int AS n, max("position")::text AS last FROM ${T("events")}`))
    .rows[0];
  check(n === EVENTS, `seeded ${EVENTS} events`);
  const lastPosition = BigInt(last);
  console.log(
    `seeded ${EVENTS.toLocaleString("en-US")} events (${ACCOUNTS + 2} accounts; records of ${HOT.join(" and ")} ` +
      `events) in ${((Date.now() - seedStart) / 1000).toFixed(1)} s; ${REPS} repetitions after ${WARMUP} warm-up`,
  );
  if (!SKIP.has("state")) await stateAtMeasures(lastPosition);
  loads.push(loadavg()[0]!);
  if (!SKIP.has("pages")) {
    const id = accountId(ACCOUNTS + 2);
    await pageMeasures(
      `history of a record of ${HOT[1].toLocaleString("en-US")} events`,
      HOT[1],
      (limit, cursor) => history(store, Account, id, { limit, ...(cursor === undefined ? {} : { cursor }) }),
      `SELECT * FROM ${
        T("events")
      } WHERE "resource" = 'account' AND "record_id" = $1 AND "position" > $2 ORDER BY "position" LIMIT $3`,
      id,
    );
    const actorEvents = (await pool.query(`SELECT count(*)::int AS n FROM ${T("events")} WHERE "user_id" = $1`, [
      AUDITED_USER,
    ])).rows[0].n;
    await pageMeasures(
      `audit, one actor (${actorEvents.toLocaleString("en-US")} events)`,
      actorEvents,
      (limit, cursor) =>
        audit(store, {
          actor: { type: "user", id: AUDITED_USER },
          limit,
          ...(cursor === undefined ? {} : { cursor }),
        }),
      `SELECT * FROM ${T("events")} WHERE "user_id" = $1 AND "position" > $2 ORDER BY "position" LIMIT $3`,
      AUDITED_USER,
    );
  }
  loads.push(loadavg()[0]!);
  if (!SKIP.has("feed")) await feedMeasures();
  loads.push(loadavg()[0]!);
  if (!SKIP.has("projection")) await projectionMeasures(lastPosition);
  loads.push(loadavg()[0]!);
} finally {
  await dropSchema().catch(() => undefined);
  await pool.end();
  await server.close();
}

if (measures.length > 0) {
  printTable(
    ["measure", "what", "reference", "median ms", "p95 ms", "ref median ms", "ref p95 ms", "× ref", "target", "met"],
    measures.map((m) => {
      const ratio = median(m.samples) / median(m.refSamples);
      return [
        m.section,
        m.name,
        m.reference,
        median(m.samples).toFixed(2),
        p95(m.samples).toFixed(2),
        median(m.refSamples).toFixed(2),
        p95(m.refSamples).toFixed(2),
        ratio.toFixed(2),
        m.target === undefined ? "-" : `≤ ${m.target}×`,
        m.target === undefined ? "-" : ratio <= m.target ? "yes" : "no",
      ];
    }),
  );
}
if (feedRows.length > 0) {
  console.log();
  printTable(
    ["feed over the whole log", "pages/pass", "page median ms", "page p95 ms", "events/s", "× raw time", "≥ 50,000/s"],
    feedRows,
  );
}
if (projectionRows.length > 0) {
  console.log();
  printTable(
    [
      "projection catching up",
      "batch",
      "seconds",
      "events/s",
      "by hand: seconds",
      "by hand: events/s",
      "× by hand time",
    ],
    projectionRows,
  );
}
console.log(
  `total ${((Date.now() - started) / 1000).toFixed(0)} s; load average (1 min) ${
    loads.map((l) => l.toFixed(1)).join(" → ")
  }; every result checked (folded states equal the rows, pages equal the raw rows, ` +
    `the feed saw each of the ${EVENTS.toLocaleString("en-US")} events once per pass, read models equal the accounts)`,
);
