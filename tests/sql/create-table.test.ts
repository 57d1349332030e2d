import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { type ColumnDefinition, createTableSql, validateColumnType } from "../../src/sql/create-table.ts";
import { type TableName, tableName } from "../../src/sql/identifier.ts";
import { databaseUrl } from "../support/database.ts";

const DATABASE_URL = databaseUrl();
const id: ColumnDefinition = { column: "id", type: "uuid", nullable: false, primaryKey: true };

describe("createTableSql(): golden text", () => {
  test("writes quoted columns with NOT NULL and an inline primary key, without parameters", () => {
    const s = createTableSql(tableName("users"), [
      id,
      { column: "name", type: "text", nullable: false },
      { column: "bio", type: "text", nullable: true },
      { column: "balance", type: "numeric(12,2)", nullable: false, primaryKey: false },
    ]);
    assert.equal(
      s.text,
      `CREATE TABLE IF NOT EXISTS "users" ("id" uuid NOT NULL PRIMARY KEY, "name" text NOT NULL, ` +
        `"bio" text, "balance" numeric(12,2) NOT NULL)`,
    );
    assert.deepEqual(s.params, []);
    assert.ok(Object.isFrozen(s));
  });

  test("qualifies the table with its schema", () => {
    assert.equal(
      createTableSql(tableName("billing.invoices"), [id]).text,
      `CREATE TABLE IF NOT EXISTS "billing"."invoices" ("id" uuid NOT NULL PRIMARY KEY)`,
    );
  });

  test("several primary-key columns make one composite key", () => {
    assert.equal(
      createTableSql(tableName("members"), [
        { column: "org_id", type: "uuid", nullable: false, primaryKey: true },
        { column: "user_id", type: "uuid", nullable: false, primaryKey: true },
        { column: "role", type: "text", nullable: false },
      ]).text,
      `CREATE TABLE IF NOT EXISTS "members" ("org_id" uuid NOT NULL, "user_id" uuid NOT NULL, ` +
        `"role" text NOT NULL, PRIMARY KEY ("org_id", "user_id"))`,
    );
  });

  test("a table without a primary key has no key clause", () => {
    assert.equal(
      createTableSql(tableName("log"), [{ column: "line", type: "text", nullable: false }]).text,
      `CREATE TABLE IF NOT EXISTS "log" ("line" text NOT NULL)`,
    );
  });
});

describe("validateColumnType()", () => {
  test("accepts names, qualified names, multi-word types, modifiers, time zones and arrays", () => {
    for (
      const type of [
        "text",
        "uuid",
        "jsonb",
        "double precision",
        "DOUBLE PRECISION",
        "character varying(40)",
        "varchar(40)",
        "numeric(12,2)",
        "numeric(12, 2)",
        "bit varying(8)",
        "timestamptz",
        "timestamp(3) with time zone",
        "time without time zone",
        "text[]",
        "integer[][]",
        "public.mood",
        "_int4",
      ]
    ) {
      assert.equal(validateColumnType(type), type);
    }
  });

  test("rejects free-form words, punctuation, comments and overlong input", () => {
    for (
      const type of [
        "",
        " text",
        "text ",
        "text not null",
        "text primary key",
        "text references users",
        "text default 1",
        "text; DROP TABLE x",
        "text;--",
        "text --",
        "text' OR 1=1",
        "text /* */",
        "text)",
        "numeric(12,2",
        "text\n",
        '"text"',
        "1text",
        "numeric(123456)",
        "a.b.c",
        `t${"x".repeat(200)}`,
      ]
    ) {
      assert.throws(() => validateColumnType(type), TypeError, JSON.stringify(type));
    }
  });
});

describe("createTableSql(): injection and misuse", () => {
  const attacks = [`x"; DROP TABLE users; --`, "x;--", "' OR 1=1", `a"b`, "a b", ""];

  test("hostile table names throw TypeError, also in a forged TableName", () => {
    for (const name of attacks) {
      assert.throws(() => createTableSql(tableName(name), [id]), TypeError, name);
      const forged: TableName = { schema: undefined, name, sql: `"users"` };
      assert.throws(() => createTableSql(forged, [id]), TypeError, name);
      const forgedSchema: TableName = { schema: name, name: "users", sql: `"users"` };
      assert.throws(() => createTableSql(forgedSchema, [id]), TypeError, name);
    }
    assert.throws(() => createTableSql(null as unknown as TableName, [id]), TypeError);
  });

  test("hostile column names throw TypeError", () => {
    for (const column of attacks) {
      assert.throws(
        () => createTableSql(tableName("t"), [{ column, type: "text", nullable: true }]),
        TypeError,
        column,
      );
    }
  });

  test("hostile column types throw TypeError", () => {
    for (const type of ["text; DROP TABLE users", "text;--", "text' OR 1=1", `text"`, "text primary key"]) {
      assert.throws(() => createTableSql(tableName("t"), [{ column: "c", type, nullable: true }]), TypeError, type);
    }
  });

  test("no columns, duplicate columns, nullable keys and non-boolean nullable throw TypeError", () => {
    assert.throws(() => createTableSql(tableName("t"), []), TypeError);
    assert.throws(() => createTableSql(tableName("t"), [id, { ...id, primaryKey: false }]), TypeError);
    assert.throws(() => createTableSql(tableName("t"), [{ ...id, nullable: true }]), TypeError);
    const loose = { column: "c", type: "text", nullable: "yes" } as unknown as ColumnDefinition;
    assert.throws(() => createTableSql(tableName("t"), [loose]), TypeError);
  });

  test("error messages do not echo the rejected type", () => {
    assert.throws(
      () => createTableSql(tableName("t"), [{ column: "c", type: "text; DROP TABLE secret_table", nullable: true }]),
      (err: unknown) =>
        err instanceof TypeError && !err.message.includes("secret_table") && err.message.includes(`"c"`),
    );
  });
});

describe("createTableSql(): on Postgres", () => {
  const client = new pg.Client({ connectionString: DATABASE_URL });

  before(() => client.connect());
  after(() => client.end());

  test("the statement runs, twice, and makes the declared columns", async () => {
    // A temporary table: private to this session, gone when it ends.
    const s = createTableSql(tableName("pg_temp.create_table_test"), [
      { column: "org_id", type: "uuid", nullable: false, primaryKey: true },
      { column: "seq", type: "bigint", nullable: false, primaryKey: true },
      { column: "amount", type: "numeric(12, 2)", nullable: true },
      { column: "at", type: "timestamp(3) with time zone", nullable: false },
      { column: "tags", type: "text[]", nullable: true },
      { column: "ratio", type: "double precision", nullable: true },
    ]);
    await client.query(s.text);
    await client.query(s.text);
    const { rows } = await client.query<{ name: string; type: string; not_null: boolean }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS not_null
         FROM pg_attribute WHERE attrelid = 'pg_temp.create_table_test'::regclass AND attnum > 0 ORDER BY attnum`,
    );
    assert.deepEqual(rows, [
      { name: "org_id", type: "uuid", not_null: true },
      { name: "seq", type: "bigint", not_null: true },
      { name: "amount", type: "numeric(12,2)", not_null: false },
      { name: "at", type: "timestamp(3) with time zone", not_null: true },
      { name: "tags", type: "text[]", not_null: false },
      { name: "ratio", type: "double precision", not_null: false },
    ]);
    const key = await client.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'pg_temp.create_table_test'::regclass AND contype = 'p'`,
    );
    assert.deepEqual(key.rows, [{ def: "PRIMARY KEY (org_id, seq)" }]);
  });
});
