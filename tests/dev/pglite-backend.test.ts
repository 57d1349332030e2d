/**
 * The real `neon()` driver against the server with an embedded PGlite backend.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { neon, neonConfig } from "@neondatabase/serverless";
import { localFetchEndpoint, type SqlOverHttpServer, startSqlOverHttpServer } from "../../src/dev/mod.ts";
import { newPglite } from "../support/pglite-snapshot.ts";
import { FULL_RESULT_KEYS, rejection, uniqueName } from "./harness.ts";

// Started at import: PGlite takes seconds to start on a loaded 2-core machine, more than the
// hook timeout Bun applies by default (it ignores node:test's `timeout` option).
const db = await newPglite();

describe("the local server over PGlite", () => {
  const schema = uniqueName("eedev_lite");
  let server: SqlOverHttpServer;
  let sql: ReturnType<typeof neon>;

  before(async () => {
    server = await startSqlOverHttpServer({ pglite: db, port: 0, maxResponseBytes: 20_000 });
    neonConfig.fetchEndpoint = localFetchEndpoint;
    sql = neon(`postgres://anyone:any@localhost:${server.port}/postgres`);
    await sql.query(`CREATE SCHEMA ${schema}`);
    await sql.query(`CREATE TABLE ${schema}.items (id int PRIMARY KEY, name text)`);
  });

  after(async () => {
    await server.close();
    await db.close();
  });

  test("queries return decoded rows and Neon's exact result keys", async () => {
    const full = await sql.query("SELECT $1::int8 AS big, now() AS t, '{1,2}'::int[] AS a, $2 AS s", [
      "9007199254740993",
      "x",
    ], {
      fullResults: true,
    });
    assert.deepStrictEqual(Object.keys(full).sort(), FULL_RESULT_KEYS);
    const [row] = full.rows as [{ big: string; t: Date; a: number[]; s: string }];
    assert.deepStrictEqual([row.big, row.a, row.s], ["9007199254740993", [1, 2], "x"]);
    assert.ok(row.t instanceof Date);
    assert.deepStrictEqual(full.fields.map((field) => [field.dataTypeID, Object.keys(field).length]), [
      [20, 7],
      [1184, 7],
      [1007, 7],
      [25, 7],
    ]);
  });

  test("a batch commits as a whole or not at all", async () => {
    const results = await sql.transaction([
      sql.query(`INSERT INTO ${schema}.items VALUES (1, 'a'), (2, 'b')`),
      sql.query(`SELECT count(*)::int AS n FROM ${schema}.items`),
    ], { fullResults: true });
    assert.deepStrictEqual([results[0]?.command, results[0]?.rowCount, results[1]?.rows], ["INSERT", 2, [{ n: 2 }]]);
    const err = await rejection(sql.transaction([
      sql.query(`INSERT INTO ${schema}.items VALUES (3, 'c')`),
      sql.query(`INSERT INTO ${schema}.items VALUES (1, 'dup')`),
    ]));
    assert.deepStrictEqual([err["code"], err["constraint"]], ["23505", "items_pkey"]);
    assert.deepStrictEqual(await sql.query(`SELECT count(*)::int AS n FROM ${schema}.items`), [{ n: 2 }]);
  });

  test("errors carry the Postgres fields, one statement per query, and isolation headers apply", async () => {
    const missing = await rejection(sql.query("SELECT 123 WHERE x"));
    assert.deepStrictEqual([missing.message, missing["code"], typeof missing["position"]], [
      'column "x" does not exist',
      "42703",
      "string",
    ]);
    assert.equal((await rejection(sql.query("SELECT 1; SELECT 2")))["code"], "42601");
    const [[row]] = (await sql.transaction([sql`SELECT current_setting('transaction_isolation') AS i,
      current_setting('transaction_read_only') AS r`], { isolationLevel: "RepeatableRead", readOnly: true })) as [
      [unknown],
    ];
    assert.deepStrictEqual(row, { i: "repeatable read", r: "on" });
    const readOnly = await rejection(sql.transaction([sql.query(`DELETE FROM ${schema}.items`)], { readOnly: true }));
    assert.equal(readOnly["code"], "25006");
  });

  test("a BEGIN sent as a single query never traps later requests in a transaction", async () => {
    for (const second of ["SELECT 1", "SELECT 1 / 0"]) {
      await sql.query("BEGIN");
      await sql.query(second).catch(() => undefined);
      await sql.query(`INSERT INTO ${schema}.items VALUES (10, 'visible')`);
      assert.deepStrictEqual(await sql.query(`SELECT count(*)::int AS n FROM ${schema}.items WHERE id = 10`), [{
        n: 1,
      }]);
      await sql.query(`DELETE FROM ${schema}.items WHERE id = 10`);
    }
  });

  test("application_name and search_path from the URL apply to that request only", async () => {
    const scoped = neon(
      `postgres://u:p@localhost:${server.port}/postgres?application_name=lite_app&options=${
        encodeURIComponent(`-c search_path=${schema}`)
      }`,
    );
    assert.deepStrictEqual(
      await scoped`SELECT current_setting('application_name') AS a, count(*)::int AS n FROM items`,
      [
        { a: "lite_app", n: 2 },
      ],
    );
    const [plain] = (await sql`SELECT current_setting('search_path') AS p`) as [{ p: string }];
    assert.equal(plain.p.includes(schema), false);
  });

  test("a response over the limit gets 507 and COPY is refused", async () => {
    const big = await rejection(sql`SELECT repeat('x', 30000) AS s`);
    assert.match(big.message, /HTTP status 507/);
    const copy = await rejection(sql.query(`COPY ${schema}.items TO STDOUT`));
    assert.deepStrictEqual([copy.message, copy["code"]], ["COPY is not supported over SQL-over-HTTP", ""]);
  });
});
