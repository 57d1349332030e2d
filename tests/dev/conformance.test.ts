/**
 * Conformance of the local SQL-over-HTTP server with Neon's protocol (spec §13), driven by the
 * real `neon()` driver and compared with a direct node-postgres connection (the oracle).
 * Items 1-21 run on one server; items 22-30 (sessions, limits, routing) on a second suite.
 * The oracle and the server share one upstream (`DATABASE_URL`, trust auth by default).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import pg from "pg";
import { localFetchEndpoint, type SqlOverHttpServer, startSqlOverHttpServer } from "../../src/dev/mod.ts";
import {
  DATABASE,
  DATABASE_URL,
  ERROR_KEYS,
  errorFields,
  FULL_RESULT_KEYS,
  pause,
  rejection,
  resultShape,
  startLocalRig,
  uniqueName,
  withNeonConfig,
} from "./harness.ts";

type Sql = ReturnType<typeof neon>;
type StatementText = string | ((side: "neon" | "pg") => string);

/**
 * Run one statement through the driver and through node-postgres; results must agree. A
 * statement with side effects is given as a function of the side, to run on twin objects.
 */
async function parity(
  sql: Sql,
  oracle: pg.Client,
  text: StatementText,
  params: unknown[] = [],
): Promise<void> {
  const textFor = typeof text === "string" ? () => text : text;
  const viaNeon = (await sql.query(textFor("neon"), params, { fullResults: true })) as unknown as pg.QueryResult;
  const viaPg = await oracle.query(textFor("pg"), params);
  assert.deepEqual(Object.keys(viaNeon).sort(), FULL_RESULT_KEYS);
  assert.equal(viaNeon.fields.every((field) => Object.keys(field).length === 7), true);
  assert.deepStrictEqual(resultShape(viaNeon), resultShape(viaPg), textFor("neon"));
}

describe("the local server speaks Neon's SQL-over-HTTP like Neon (checklist items 1-21)", () => {
  const schema = uniqueName("eedev_conf");
  let server: SqlOverHttpServer;
  let oracle: pg.Client;
  let sql: Sql;

  before(async () => {
    ({ server, oracle, sql } = await startLocalRig(schema));
  });

  after(async () => {
    await oracle.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await oracle.end();
    await server.close();
  });

  const expectParity = (text: StatementText, params?: unknown[]): Promise<void> => parity(sql, oracle, text, params);

  test("a tagged query returns decoded rows over one POST with Neon's three headers (item 1)", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const inner = (neonConfig.fetchFunction ?? fetch) as typeof fetch;
    const rows = await withNeonConfig({
      fetchFunction: (url: string, init: RequestInit) => (calls.push({ url, init }), inner(url, init)),
    }, () => sql`SELECT 1 AS one`);
    assert.deepStrictEqual(rows, [{ one: 1 }]);
    assert.equal(calls.length, 1);
    const [{ url, init }] = calls as [{ url: string; init: RequestInit }];
    assert.equal(url, server.url.replace("127.0.0.1", "localhost"));
    assert.equal(init.method, "POST");
    const headers = new Headers(init.headers);
    assert.match(headers.get("Neon-Connection-String") ?? "", /^postgres/);
    assert.equal(headers.get("Neon-Raw-Text-Output"), "true");
    assert.equal(headers.get("Neon-Array-Mode"), "true");
    assert.deepStrictEqual(Object.keys(JSON.parse(String(init.body))).sort(), ["params", "query"]);
  });

  test("the body is parsed as JSON whatever the Content-Type says (item 2)", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/sql",
        "Neon-Connection-String": `postgres://postgres:pw@localhost/${encodeURIComponent(DATABASE)}`,
        "Neon-Raw-Text-Output": "true",
        "Neon-Array-Mode": "true",
      },
      body: JSON.stringify({ query: "SELECT $1::int AS n", params: ["7"] }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    const body = await response.json();
    assert.deepStrictEqual(Object.keys(body).sort(), ["command", "fields", "rowAsArray", "rowCount", "rows"]);
    assert.deepStrictEqual(body.rows, [["7"]]);
  });

  test("every type of the checklist decodes exactly as node-postgres decodes it (item 3)", async () => {
    await expectParity(
      "SELECT $1::int AS i, $2::int8 AS big, $3::numeric AS n, $4::real AS r, $5::float8 AS f, 'NaN'::float8 AS nan",
      [42, 9007199254740993n, "1.50", 1.5, 3.141592653589793],
    );
    await expectParity("SELECT $1::bool AS b, $2::text AS t, 'NULL'::text AS s, NULL::text AS nul, $3::text AS u", [
      true,
      'héllo "q" \\ ✓',
      undefined,
    ]);
    await expectParity(`SELECT $1::text[] AS ta, $2::int[] AS ia, '{"a b",NULL}'::text[] AS q`, [
      ["a", "b c", null],
      [[2], [4]],
    ]);
    await expectParity("SELECT $1::jsonb AS jb, $2::json AS j", [JSON.stringify({ x: "y" }), { a: [1, "2"] }]);
    await expectParity("SELECT $1::bytea AS hex, $2::bytea AS bin, decode(repeat('ab', 65536), 'hex') AS big", [
      "\\xdeadbeef",
      new Uint8Array([1, 2, 3]),
    ]);
    await expectParity(
      "SELECT $1::timestamptz AS tz, '2024-01-02 03:04:05.678'::timestamp AS ts, '2024-01-02'::date AS d, " +
        "'03:04:05'::time AS t, '03:04:05+02'::timetz AS ttz, '1 day 02:03:04'::interval AS iv",
      [new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))],
    );
    await expectParity(
      "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, '192.168.0.1/24'::inet AS i, '10.0.0.0/8'::cidr AS c, " +
        "'08:00:2b:01:02:03'::macaddr AS m, '(1,2)'::point AS p, '<(1,2),3>'::circle AS ci, '[1,5)'::int4range AS r",
    );
    await expectParity(
      "SELECT ARRAY['2024-01-02 03:04:05+00'::timestamptz] AS tzs, ARRAY['10.0.0.0/8'::cidr] AS cidrs, " +
        "ARRAY['\\x0102'::bytea, NULL] AS blobs",
    );
  });

  test("untyped parameters come back as text columns (item 4)", async () => {
    const result = await sql.query("SELECT $1 AS x", [1], { fullResults: true });
    assert.deepStrictEqual(result.rows, [{ x: "1" }]);
    assert.equal(result.fields[0]?.dataTypeID, 25);
    assert.deepStrictEqual(await sql`SELECT ${true} AS b`, [{ b: "true" }]);
  });

  test("binary parameters are hex text unless the template adds its bytea cast (item 5)", async () => {
    assert.deepStrictEqual(await sql.query("SELECT $1 AS b", [new Uint8Array([65, 66, 67])]), [{ b: "\\x414243" }]);
    const [row] = (await sql`SELECT ${new Uint8Array([65, 66, 67])} AS b`) as [{ b: Uint8Array }];
    assert.equal(ArrayBuffer.isView(row.b), true);
    assert.equal(new TextDecoder().decode(row.b), "ABC");
  });

  test("a query with no rows still describes its columns (item 6)", async () => {
    await expectParity("SELECT x FROM generate_series(1, 3) x WHERE x > 5");
    const result = await sql.query("SELECT x FROM generate_series(1, 3) x WHERE x > 5", [], { fullResults: true });
    assert.deepStrictEqual([result.rows, result.rowCount, result.command], [[], 0, "SELECT"]);
    assert.deepStrictEqual([result.fields[0]?.dataTypeID, result.fields[0]?.dataTypeSize], [23, 4]);
  });

  test("DDL reports its command with a null row count and no fields (item 7)", async () => {
    await expectParity((side) => `CREATE TABLE ${schema}.ddl_${side} (id int)`);
    await expectParity((side) => `DROP TABLE ${schema}.ddl_${side}`);
    const created = await sql.query(`CREATE TABLE ${schema}.ddl2 (id int)`, [], { fullResults: true });
    assert.deepStrictEqual([created.command, created.rowCount, created.fields, created.rows], ["CREATE", null, [], []]);
  });

  test("INSERT, UPDATE and DELETE report their row counts (item 8)", async () => {
    for (const side of ["neon", "pg"]) {
      await oracle.query(`CREATE TABLE ${schema}.dml_${side} (id serial PRIMARY KEY, v int)`);
    }
    const inserted = await sql.query(`INSERT INTO ${schema}.dml_neon (v) VALUES (1), (2), (3) RETURNING id`, [], {
      fullResults: true,
    });
    assert.deepStrictEqual([inserted.command, inserted.rowCount], ["INSERT", 3]);
    assert.deepStrictEqual(inserted.rows, [{ id: 1 }, { id: 2 }, { id: 3 }]);
    await oracle.query(`INSERT INTO ${schema}.dml_pg (v) VALUES (1), (2), (3)`);
    await expectParity((side) => `UPDATE ${schema}.dml_${side} SET v = v + 1 WHERE v > 1`);
    await expectParity((side) => `UPDATE ${schema}.dml_${side} SET v = 0 WHERE false`);
    await expectParity((side) => `DELETE FROM ${schema}.dml_${side} WHERE id = 99`);
    await expectParity((side) => `DELETE FROM ${schema}.dml_${side}`);
  });

  test("void results are empty strings and an empty query has an empty command (item 9)", async () => {
    assert.deepStrictEqual(await sql`SELECT pg_sleep(0.01)`, [{ pg_sleep: "" }]);
    const empty = await sql.query("", [], { fullResults: true });
    assert.deepStrictEqual([empty.rows, empty.fields, empty.command, empty.rowCount], [[], [], "", null]);
  });

  test("duplicate column names behave as in node-postgres (item 10)", async () => {
    await expectParity("SELECT 1 AS a, 2 AS a");
    assert.deepStrictEqual(await sql.query("SELECT 1 AS a, 2 AS a"), [{ a: 2 }]);
    assert.deepStrictEqual(await sql.query("SELECT 1 AS a, 2 AS a", [], { arrayMode: true }), [[1, 2]]);
  });

  test("a Postgres error carries every field node-postgres reports (item 11)", async () => {
    const viaNeon = await rejection(sql.query("SELECT 123 WHERE x"));
    const viaPg = await rejection(oracle.query("SELECT 123 WHERE x"));
    assert.equal(viaNeon.name, "NeonDbError");
    assert.equal(viaNeon.message, 'column "x" does not exist');
    assert.equal(typeof viaNeon["position"], "string");
    assert.equal(typeof viaNeon["line"], "string");
    assert.equal(viaNeon["detail"], undefined);
    assert.deepStrictEqual(errorFields(viaNeon), errorFields(viaPg));
  });

  test("constraint and PL/pgSQL errors keep detail, table, where and internal query (item 12)", async () => {
    await oracle.query(`CREATE TABLE ${schema}.uniq (id int CONSTRAINT uniq_pk PRIMARY KEY)`);
    await oracle.query(`INSERT INTO ${schema}.uniq VALUES (1)`);
    const statements = [
      `INSERT INTO ${schema}.uniq VALUES (1)`,
      "DO $$ BEGIN PERFORM 1 / 0; END $$",
      "DO $$ BEGIN PERFORM no_such_column FROM pg_class; END $$",
    ];
    for (const text of statements) {
      const viaNeon = await rejection(sql.query(text));
      assert.deepStrictEqual(errorFields(viaNeon), errorFields(await rejection(oracle.query(text))), text);
    }
    const unique = await rejection(sql.query(statements[0] ?? ""));
    assert.deepStrictEqual([unique["code"], unique["table"], unique["constraint"]], ["23505", "uniq", "uniq_pk"]);
    const internal = await rejection(sql.query(statements[2] ?? ""));
    assert.equal(typeof internal["internalPosition"], "string");
    assert.match(String(internal["internalQuery"]), /no_such_column/);
  });

  test("a parameter count mismatch is rejected by Postgres (item 13)", async () => {
    assert.match((await rejection(sql.query("SELECT $1", []))).message, /bind message supplies 0 parameters/);
    assert.match((await rejection(sql.query("SELECT $1", [1, 2]))).message, /bind message supplies 2 parameters/);
  });

  test("only one statement per query is accepted, a trailing semicolon is fine (item 14)", async () => {
    assert.equal((await rejection(sql.query("SELECT 1; SELECT 2")))["code"], "42601");
    assert.deepStrictEqual(await sql.query("SELECT 1 AS n;"), [{ n: 1 }]);
  });

  test("notices and warnings are dropped without changing the result (item 15)", async () => {
    assert.deepStrictEqual(await sql.query("DO $$ BEGIN RAISE NOTICE 'hello'; END $$"), []);
    await oracle.query(`CREATE TABLE ${schema}.notice (id int)`);
    const again = await sql.query(`CREATE TABLE IF NOT EXISTS ${schema}.notice (id int)`, [], { fullResults: true });
    assert.deepStrictEqual(Object.keys(again).sort(), FULL_RESULT_KEYS);
    assert.deepStrictEqual(await sql.query("COMMIT"), []);
  });

  test("a transaction returns one result per statement, with options applied to all (item 16)", async () => {
    const expected = [[{ a: 1 }], [{ b: "x" }]];
    assert.deepStrictEqual(
      await sql.transaction([sql`SELECT ${1}::int AS a`, sql.query("SELECT $1 AS b", ["x"])]),
      expected,
    );
    assert.deepStrictEqual(
      await sql.transaction((tx) => [tx`SELECT ${1}::int AS a`, tx.query("SELECT $1 AS b", ["x"])]),
      expected,
    );
    const arrays = await sql.transaction([sql`SELECT 1 AS a`, sql`SELECT 2 AS b`], { arrayMode: true });
    assert.deepStrictEqual(arrays, [[[1]], [[2]]]);
    const full = (await sql.transaction([sql`SELECT 1 AS a`], { fullResults: true })) as unknown as object[];
    assert.deepStrictEqual(Object.keys(full[0] ?? {}).sort(), FULL_RESULT_KEYS);
  });

  test("a failing statement rolls back the whole batch and stops it (item 17)", async () => {
    await oracle.query(`CREATE TABLE ${schema}.atomic (id int PRIMARY KEY)`);
    await oracle.query(`CREATE TABLE ${schema}.side (id int)`);
    await oracle.query(`INSERT INTO ${schema}.atomic VALUES (1)`);
    const err = await rejection(sql.transaction([
      sql.query(`INSERT INTO ${schema}.atomic VALUES (2)`),
      sql.query(`INSERT INTO ${schema}.atomic VALUES (1)`),
      sql.query(`INSERT INTO ${schema}.side VALUES (1)`),
    ]));
    assert.equal(err["code"], "23505");
    const { rows } = await oracle.query(`SELECT (SELECT count(*) FROM ${schema}.atomic WHERE id = 2)::int AS two,
      (SELECT count(*) FROM ${schema}.side)::int AS side`);
    assert.deepStrictEqual(rows, [{ two: 0, side: 0 }]);
  });

  test("an empty transaction resolves to an empty list (item 18)", async () => {
    assert.deepStrictEqual(await sql.transaction([]), []);
  });

  test("isolation level, read-only and deferrable reach the transaction (item 19)", async () => {
    const settings = () =>
      sql`SELECT current_setting('transaction_isolation') AS i, current_setting('transaction_read_only') AS r,
        current_setting('transaction_deferrable') AS d`;
    const [[all]] = (await sql.transaction([settings()], {
      isolationLevel: "Serializable",
      readOnly: true,
      deferrable: true,
    })) as [[unknown]];
    assert.deepStrictEqual(all, { i: "serializable", r: "on", d: "on" });
    const levels = {
      ReadUncommitted: "read uncommitted",
      ReadCommitted: "read committed",
      RepeatableRead: "repeatable read",
      Serializable: "serializable",
    } as const;
    for (const [level, name] of Object.entries(levels)) {
      const [[row]] = (await sql.transaction([settings()], { isolationLevel: level as keyof typeof levels })) as [
        [{ i: string }],
      ];
      assert.equal(row.i, name);
    }
    await oracle.query(`CREATE TABLE ${schema}.ro (id int)`);
    const err = await rejection(
      sql.transaction([sql.query(`INSERT INTO ${schema}.ro VALUES (1)`)], { readOnly: true }),
    );
    assert.equal(err["code"], "25006");
    assert.deepStrictEqual(
      await sql.transaction([sql.query(`INSERT INTO ${schema}.ro VALUES (1)`)], { readOnly: false }),
      [[]],
    );
  });

  test("transaction-local settings end with the batch and VACUUM needs a single query (item 20)", async () => {
    const [, [seen]] = (await sql.transaction([
      sql`SELECT set_config('app.x', '1', true)`,
      sql`SELECT current_setting('app.x', true) AS x`,
    ])) as [unknown, [{ x: string }]];
    assert.equal(seen.x, "1");
    const [after] = (await sql`SELECT current_setting('app.x', true) AS x`) as [{ x: string | null }];
    assert.notEqual(after.x, "1");
    assert.deepStrictEqual(await sql.query(`VACUUM ${schema}.side`), []);
    assert.equal((await rejection(sql.transaction([sql.query(`VACUUM ${schema}.side`)])))["code"], "25001");
  });

  test("a BEGIN sent as a single query never traps later requests in a transaction (item 21)", async () => {
    await oracle.query(`CREATE TABLE ${schema}.leak (id int)`);
    for (const second of ["SELECT 1", "SELECT 1 / 0"]) {
      assert.deepStrictEqual(await sql.query("BEGIN"), []);
      await sql.query(second).catch(() => undefined);
      await sql.query(`INSERT INTO ${schema}.leak VALUES (1)`);
      assert.deepStrictEqual(await sql.query(`SELECT count(*)::int AS n FROM ${schema}.leak`), [{ n: 1 }]);
      await oracle.query(`TRUNCATE ${schema}.leak`);
    }
  });
});

/** The origin of a page allowed to call the server from a browser (item 26). */
const PAGE_ORIGIN = "http://localhost:5173";

describe("the local server handles sessions, limits and routing like Neon (checklist items 22-30)", () => {
  const schema = uniqueName("eedev_sess");
  const noAccessRole = uniqueName("eedev_noaccess");
  const encodedRole = `${uniqueName("eedev")}+auth$$`;
  const spacedDatabase = `${uniqueName("eedev")} db with spaces`;
  let server: SqlOverHttpServer;
  let small: SqlOverHttpServer;
  let oracle: pg.Client;
  let sql: Sql;
  const urlFor = (port: number, { user = "postgres", password = "pw", database = DATABASE, query = "" } = {}): string =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@localhost:${port}/` +
    `${encodeURIComponent(database)}${query}`;

  before(async () => {
    // Neon serves every role and database of its project; here they are listed (item 22 and 23
    // use two more roles and a second database), and a browser origin is allowed (item 26).
    server = await startSqlOverHttpServer({
      databaseUrl: DATABASE_URL,
      port: 0,
      allowedRoles: ["postgres", noAccessRole, encodedRole],
      allowedDatabases: [DATABASE, spacedDatabase],
      allowedOrigins: [PAGE_ORIGIN],
    });
    small = await startSqlOverHttpServer({
      databaseUrl: DATABASE_URL,
      port: 0,
      maxRequestBytes: 10_000,
      maxResponseBytes: 20_000,
    });
    neonConfig.fetchEndpoint = localFetchEndpoint;
    oracle = new pg.Client({ connectionString: DATABASE_URL });
    await oracle.connect();
    await oracle.query(`CREATE SCHEMA ${schema}`);
    await oracle.query(`CREATE TABLE ${schema}.secret (id int)`);
    await oracle.query(`CREATE TABLE ${schema}.slept (id int)`);
    await oracle.query(`CREATE ROLE ${noAccessRole} LOGIN`);
    await oracle.query(`CREATE ROLE "${encodedRole}" LOGIN`);
    await oracle.query(`CREATE DATABASE "${spacedDatabase}"`);
    sql = neon(urlFor(server.port));
  });

  after(async () => {
    await server.close();
    await small.close();
    await oracle.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await oracle.query(`DROP DATABASE IF EXISTS "${spacedDatabase}" WITH (FORCE)`);
    await oracle.query(`DROP ROLE IF EXISTS ${noAccessRole}`);
    await oracle.query(`DROP ROLE IF EXISTS "${encodedRole}"`);
    await oracle.end();
  });

  test("Postgres refuses an unknown database and a role without privileges (item 22), and under trust serves a connection string without a password", async () => {
    const unknown = neon(urlFor(server.port, { database: uniqueName("eedev_nodb") }));
    assert.equal((await rejection(unknown`SELECT 1`))["code"], "3D000");
    const weak = neon(urlFor(server.port, { user: noAccessRole }));
    assert.equal((await rejection(weak.query(`SELECT * FROM ${schema}.secret`)))["code"], "42501");
    // Neon requires a password; this server passes a request without one on to Postgres, which
    // under trust authentication (the test cluster's) asks for none. A Postgres that asks:
    // tests/dev/trust-auth.test.ts.
    const noPassword = neon(`postgres://postgres@localhost:${server.port}/${encodeURIComponent(DATABASE)}`);
    assert.deepStrictEqual(await noPassword`SELECT current_user AS u`, [{ u: "postgres" }]);
  });

  test("percent-encoding, sslmode, options and application_name in the URL all work (item 23)", async () => {
    const odd = neon(urlFor(server.port, { user: encodedRole, password: "%+$^&*@!", database: spacedDatabase }));
    assert.deepStrictEqual(await odd`SELECT current_user AS u, current_database() AS d`, [
      { u: encodedRole, d: spacedDatabase },
    ]);
    const ssl = neon(urlFor(server.port, { query: "?sslmode=require&channel_binding=require" }));
    assert.deepStrictEqual(await ssl`SELECT 1 AS one`, [{ one: 1 }]);
    const scoped = neon(urlFor(server.port, { query: `?options=${encodeURIComponent(`-c search_path=${schema}`)}` }));
    assert.deepStrictEqual(await scoped`SELECT count(*)::int AS n FROM secret`, [{ n: 0 }]);
    let sent: string | null = null;
    const inner = (neonConfig.fetchFunction ?? fetch) as typeof fetch;
    const [row] = (await withNeonConfig({
      fetchFunction: (url: string, init: RequestInit) => {
        sent = new URL(new Headers(init.headers).get("Neon-Connection-String") ?? "").searchParams.get(
          "application_name",
        );
        return inner(url, init);
      },
    }, () => sql`SELECT current_setting('application_name') AS name`)) as [{ name: string }];
    assert.match(String(sent), /^pkg:npm\//);
    assert.equal(row.name, sent);
  });

  test("an aborted request cancels its query, which then writes nothing (item 24)", async () => {
    const marker = uniqueName("eedev_sleep");
    const aborted = await rejection(
      sql.query(`WITH s AS (SELECT pg_sleep(2)) INSERT INTO ${schema}.slept SELECT 1 FROM s /* ${marker} */`, [], {
        fetchOptions: { signal: AbortSignal.timeout(250) },
      }),
    );
    assert.match(aborted.message, /^Error connecting to database: .*(abort|timed out)/i);
    let active = 1;
    for (let attempt = 0; attempt < 30 && active > 0; attempt++) {
      await pause(100);
      const { rows } = await oracle.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
        [`%${marker}%`],
      );
      active = (rows[0] as { n: number }).n;
    }
    assert.equal(active, 0, "the cancelled query is still running");
    const { rows } = await oracle.query(`SELECT count(*)::int AS n FROM ${schema}.slept`);
    assert.deepStrictEqual(rows, [{ n: 0 }]);
    const done = await sql.query("SELECT pg_sleep(0.25)", [], { fetchOptions: { signal: AbortSignal.timeout(2500) } });
    assert.deepStrictEqual(done, [{ pg_sleep: "" }]);
  });

  test("responses over the limit get 507, even across a batch, and big requests 413 (item 25)", async () => {
    const limited = neon(urlFor(small.port));
    const cross = await rejection(
      limited`SELECT a.x, b.x FROM generate_series(1, 1000) a(x), generate_series(1, 1000) b(x)`,
    );
    assert.match(cross.message, /^Server error \(HTTP status 507\): .*response is too large \(max is 20000 bytes\)/);
    const half = limited`SELECT repeat('x', 12000) AS s`;
    assert.equal(((await half) as unknown[]).length, 1);
    const batch = await rejection(limited.transaction([limited`SELECT repeat('x', 12000) AS s`, half]));
    assert.match(batch.message, /HTTP status 507/);
    const big = await rejection(limited`SELECT ${"y".repeat(20_000)}::text AS s`);
    assert.match(big.message, /^Server error \(HTTP status 413\): .*request is too large \(max is 10000 bytes\)/);
  });

  test("other paths and methods get Neon's answers and CORS headers are everywhere (item 26)", async () => {
    // Neon answers `Access-Control-Allow-Origin: *`; the local server names the allowed origin
    // of the request instead (a page of another origin is refused), which a browser reads alike.
    const wrongPath = await withNeonConfig(
      { fetchEndpoint: server.url.replace(/\/sql$/, "/nope") },
      () => rejection(sql`SELECT 1`),
    );
    assert.deepStrictEqual([wrongPath.name, wrongPath.message], ["NeonDbError", ""]);
    const get = await fetch(server.url);
    assert.deepStrictEqual([get.status, await get.json()], [400, "query is not supported"]);
    const preflight = await fetch(server.url, { method: "OPTIONS", headers: { Origin: PAGE_ORIGIN } });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("access-control-allow-origin"), PAGE_ORIGIN);
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (
      const header of [
        "authorization",
        "neon-connection-string",
        "neon-raw-text-output",
        "neon-array-mode",
        "neon-batch-read-only",
        "neon-batch-isolation-level",
        "neon-batch-deferrable",
        "content-type",
      ]
    ) {
      assert.ok(allowed.includes(header), header);
    }
    const failed = await fetch(server.url, { method: "POST", body: "{}", headers: { Origin: PAGE_ORIGIN } });
    assert.equal(failed.status, 400);
    assert.equal(failed.headers.get("access-control-allow-origin"), PAGE_ORIGIN);
    assert.deepStrictEqual(
      Object.keys(await failed.json()).sort(),
      [...ERROR_KEYS].sort(),
    );
  });

  test("Pool.query over fetch returns pg-style results (item 27)", async () => {
    await withNeonConfig({ poolQueryViaFetch: true, fetchEndpoint: server.url }, async () => {
      const pool = new Pool({ connectionString: urlFor(server.port) });
      try {
        const result = await pool.query("SELECT $1::int AS n", [5]);
        assert.deepStrictEqual([result.rows, result.command, result.rowCount], [[{ n: 5 }], "SELECT", 1]);
        assert.equal(result.fields[0]?.dataTypeID, 23);
        const arrays = await pool.query({ text: "SELECT $1::int AS n", values: [5], rowMode: "array" });
        assert.deepStrictEqual(arrays.rows, [[5]]);
      } finally {
        await pool.end();
      }
    });
  });

  test("custom type parsers and enum types work as with node-postgres (item 28)", async () => {
    const types = {
      getTypeParser:
        ((oid: number, format?: "text") =>
          oid === 1700 ? parseFloat : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    };
    assert.deepStrictEqual(await sql.query("SELECT 1.5::numeric AS n", [], { types }), [{ n: 1.5 }]);
    await oracle.query(`CREATE TYPE ${schema}.mood AS ENUM ('sad', 'ok', 'happy')`);
    const text = `SELECT 'ok'::${schema}.mood AS m, ARRAY['sad', 'happy']::${schema}.mood[] AS ms, ` +
      `'${schema}.mood'::regtype::oid AS oid`;
    await parity(sql, oracle, text);
    const full = await sql.query(text, [], { fullResults: true });
    assert.equal(full.fields[0]?.dataTypeID, Number((full.rows[0] as { oid: string }).oid));
  });

  test("fifty concurrent requests with session settings all succeed (item 29)", async () => {
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          i % 2 === 0 ? sql`SELECT pg_backend_pid() AS pid` : sql`SELECT set_config('app.x', ${String(i)}, false) AS x`,
      ),
    );
    assert.equal(results.length, 50);
  });

  test("an auth token is refused like a Neon proxy without JWT support (item 30, not emulated)", async () => {
    const withToken = neon(urlFor(server.port), { authToken: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyIn0." });
    const err = await rejection(withToken`SELECT 1`);
    assert.equal(err.message, "missing authentication credentials: required password");
  });
});
