// Transactions and failures behave the same on every executor.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { isEdgeEventsError, StorageError } from "../../src/core/errors.ts";
import type { IsolationLevel } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";

const SECRET = "sk_live_9f8e7d6c5b4a";

function assertStorageError(err: unknown, sqlState: string | undefined): StorageError {
  assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
  assert.ok(isEdgeEventsError(err, "STORAGE_FAILURE"));
  assert.equal(err.sqlState, sqlState);
  assert.ok(err.cause !== undefined, "keeps the driver error as cause");
  return err;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

describeEachExecutor("batch() and errors", {}, (fx) => {
  let table: string;
  before(async () => {
    table = `${fx.schema}.items`;
    await fx.db.query({ text: `CREATE TABLE ${table} (id int PRIMARY KEY, label text NOT NULL)`, params: [] });
  });

  const count = async (): Promise<number> => {
    const { rows } = await fx.db.query<{ n: number }>({ text: `SELECT count(*)::int AS n FROM ${table}`, params: [] });
    return rows[0]!.n;
  };

  test("batch() returns one result per statement, in order, and commits them together", async () => {
    const results = await fx.db.batch([
      { text: `INSERT INTO ${table} VALUES ($1, $2)`, params: [1, "one"] },
      { text: `INSERT INTO ${table} VALUES ($1, $2) RETURNING id, label`, params: [2, "two"] },
      { text: `SELECT count(*)::int AS n FROM ${table}`, params: [] },
    ]);
    assert.deepStrictEqual(results, [
      { rows: [], rowCount: 1, command: "INSERT" },
      { rows: [{ id: 2, label: "two" }], rowCount: 1, command: "INSERT" },
      { rows: [{ n: 2 }], rowCount: 1, command: "SELECT" },
    ]);
    assert.equal(await count(), 2);
    await fx.db.query({ text: `DELETE FROM ${table}`, params: [] });
  });

  test("when the second statement fails, the first is rolled back", async () => {
    const err = await rejection(
      fx.db.batch([
        { text: `INSERT INTO ${table} VALUES ($1, $2)`, params: [10, "kept?"] },
        { text: `INSERT INTO ${table} VALUES ($1, $2)`, params: [11, null] },
        { text: `INSERT INTO ${table} VALUES ($1, $2)`, params: [12, "never"] },
      ]),
    );
    assertStorageError(err, "23502");
    assert.equal((err as StorageError).outcomeUnknown, false);
    assert.equal(await count(), 0);
  });

  test("an empty batch returns no results", async () => {
    assert.deepStrictEqual(await fx.db.batch([]), []);
  });

  for (
    const [level, setting] of [
      ["ReadCommitted", "read committed"],
      ["RepeatableRead", "repeatable read"],
      ["Serializable", "serializable"],
    ] as const satisfies readonly (readonly [IsolationLevel, string])[]
  ) {
    test(`isolationLevel ${level} sets transaction_isolation to ${setting}`, async () => {
      const [result] = await fx.db.batch(
        [{ text: "SELECT current_setting('transaction_isolation') AS level", params: [] }],
        { isolationLevel: level },
      );
      assert.deepStrictEqual(result!.rows, [{ level: setting }]);
    });
  }

  test("readOnly runs the batch READ ONLY; a write fails with 25006", async () => {
    const [result] = await fx.db.batch(
      [{ text: "SELECT current_setting('transaction_read_only') AS ro", params: [] }],
      { readOnly: true, isolationLevel: "RepeatableRead" },
    );
    assert.deepStrictEqual(result!.rows, [{ ro: "on" }]);
    const err = await rejection(
      fx.db.batch([{ text: `INSERT INTO ${table} VALUES ($1, $2)`, params: [20, "ro"] }], { readOnly: true }),
    );
    assertStorageError(err, "25006");
    assert.equal(await count(), 0);
  });

  test("readOnly: false and no options leave the transaction read-write", async () => {
    for (const options of [{ readOnly: false }, {}, undefined]) {
      const [result] = await fx.db.batch(
        [{ text: "SELECT current_setting('transaction_read_only') AS ro", params: [] }],
        options,
      );
      assert.deepStrictEqual(result!.rows, [{ ro: "off" }]);
    }
  });

  test("bad batch options throw TypeError before anything is sent", async () => {
    await assert.rejects(
      fx.db.batch([{ text: "SELECT 1", params: [] }], { isolationLevel: "ReadUncommitted" as IsolationLevel }),
      TypeError,
    );
    await assert.rejects(
      fx.db.batch([{ text: "SELECT 1", params: [] }], { readOnly: "yes" as unknown as boolean }),
      TypeError,
    );
  });

  test("a Postgres error keeps its SQLSTATE and constraint name, and the driver error as cause", async () => {
    await fx.db.query({ text: `INSERT INTO ${table} VALUES ($1, $2)`, params: [30, "first"] });
    const err = assertStorageError(
      await rejection(fx.db.query({ text: `INSERT INTO ${table} VALUES ($1, $2)`, params: [30, SECRET] })),
      "23505",
    );
    assert.match(err.message, /^Database error 23505: duplicate key value violates unique constraint "items_pkey"$/);
    assert.equal(err.outcomeUnknown, false);
    assert.equal(err.code, "STORAGE_FAILURE");
    await fx.db.query({ text: `DELETE FROM ${table}`, params: [] });
  });

  test("error messages never contain parameter values", async () => {
    const cases = [
      { text: "SELECT $1::int AS n", params: [SECRET] },
      { text: "SELECT $1::jsonb AS doc", params: [`{"password": "${SECRET}"`] },
      { text: "SELECT $1::uuid AS id", params: [SECRET] },
      { text: "SELECT $1::int[] AS xs", params: [[SECRET]] },
      { text: "SELECT $1::int2 AS n", params: ["99999999999"] },
    ];
    for (const statement of cases) {
      const err = await rejection(fx.db.query(statement));
      assert.ok(err instanceof StorageError);
      assert.ok(err.sqlState?.startsWith("22"), `${statement.text}: ${err.sqlState}`);
      assert.doesNotMatch(err.message, new RegExp(SECRET), statement.text);
      assert.doesNotMatch(err.message, /99999999999/, statement.text);
    }
    const err = await rejection(
      fx.db.batch([
        { text: "SELECT $1::text AS ok", params: ["fine"] },
        { text: "SELECT $1::int AS n", params: [SECRET] },
      ]),
    );
    assert.ok(err instanceof StorageError);
    assert.doesNotMatch(err.message, new RegExp(SECRET));
  });

  test("one statement per query: several statements in one text are rejected with 42601", async () => {
    const err = await rejection(fx.db.query({ text: "SELECT 1; SELECT 2", params: [] }));
    assertStorageError(err, "42601");
  });

  test("an unsupported parameter throws TypeError and sends nothing", async () => {
    await assert.rejects(fx.db.query({ text: "SELECT $1", params: [{ a: 1 } as never] }), TypeError);
    await assert.rejects(fx.db.batch([{ text: "SELECT $1", params: [undefined as never] }]), TypeError);
  });
});
