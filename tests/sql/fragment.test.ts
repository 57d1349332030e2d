// The `sql` tagged template of atomic updates (src/sql/fragment.ts): literal parts may not
// carry statement ends, comments or placeholders; interpolated values are always bind
// parameters; attributes are referenced through `ref` and quoted with the column mapping;
// and only fragments made by `sql` itself are ever rendered as SQL text.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, ref, sql } from "../../mod.ts";
import type { SqlParam } from "../../src/core/executor.ts";
import { isSqlFragment, renderFragment, type SqlFragment } from "../../src/sql/fragment.ts";
import { quoteIdentifier } from "../../src/sql/identifier.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { HOSTILE_VALUES } from "../support/hostile-values.ts";

const COLUMNS: Readonly<Record<string, string>> = { balance: "bal", note: "note", limit: "credit_limit" };

/** Render a fragment as the update builder does: mapped, quoted columns and `$n` parameters. */
function render(fragment: SqlFragment): { text: string; params: SqlParam[] } {
  const params: SqlParam[] = [];
  const column = (attribute: string): string => {
    const name = COLUMNS[attribute];
    if (name === undefined) throw new TypeError(`Unknown attribute "${attribute}"`);
    return quoteIdentifier(name);
  };
  const text = renderFragment(fragment, column, (value) => `$${params.push(value)}`);
  return { text, params };
}

describe("sql``: golden rendering", () => {
  test("an attribute reference and a value become a quoted column and a parameter", () => {
    assert.deepEqual(render(sql`${ref("balance")} + ${5}`), { text: `"bal" + $1`, params: [5] });
  });

  test("values keep their order and type, whatever their position", () => {
    const at = new Date("2024-01-02T03:04:05.678Z");
    assert.deepEqual(
      render(
        sql`greatest(${ref("balance")} - ${12n}, ${ref("limit")}) * ${1.5} + coalesce(${null}, ${at} IS NULL::int)`,
      ),
      {
        text: `greatest("bal" - $1, "credit_limit") * $2 + coalesce($3, $4 IS NULL::int)`,
        params: [12n, 1.5, null, at],
      },
    );
  });

  test("a nested fragment is parenthesized and numbers its values after the outer ones", () => {
    const inner = sql`${ref("balance")} + ${1}`;
    assert.deepEqual(render(sql`${2} * ${inner} - ${3}`), { text: `$1 * ("bal" + $2) - $3`, params: [2, 1, 3] });
  });

  test("a fragment without values is its literal text", () => {
    assert.deepEqual(render(sql`now()`), { text: "now()", params: [] });
  });

  test("a fragment and a reference are frozen and recognized", () => {
    const fragment = sql`${ref("balance")} + ${1}`;
    assert.ok(Object.isFrozen(fragment) && Object.isFrozen(fragment.strings) && Object.isFrozen(fragment.values));
    assert.ok(Object.isFrozen(ref("balance")));
    assert.equal(fragment.kind, "sql-fragment");
    assert.deepEqual(fragment.strings, ["", " + ", ""]);
    assert.ok(isSqlFragment(fragment));
  });

  test("an unknown attribute is refused by the column mapping", () => {
    assert.throws(() => render(sql`${ref("missing")} + 1`), TypeError);
  });
});

describe("sql``: injection", () => {
  test("';', '--', '/*', $n placeholders and dollar quotes in a literal part are TypeErrors, wherever the part is", () => {
    const attempts: (() => unknown)[] = [
      () => sql`1; DROP TABLE events`,
      () => sql`${ref("balance")};`,
      () => sql`${ref("balance")} + ${1}; SELECT 1`,
      () => sql`${ref("balance")} -- ${1}`,
      () => sql`${ref("balance")} + ${1} --`,
      () => sql`/* ${ref("balance")} */`,
      () => sql`${ref("balance")} /*`,
      () => sql`${ref("balance")} + $1`,
      () => sql`$12 + ${ref("balance")}`,
      () => sql`${ref("balance")} + ${1} OR $2 IS NULL`,
      () => sql`${ref("balance")} || $$; DROP TABLE events $$`,
      () => sql`length($x$ ${ref("balance")} $x$)`,
    ];
    for (const attempt of attempts) assert.throws(attempt, TypeError, String(attempt));
  });

  test("the error does not echo the literal text", () => {
    assert.throws(
      () => sql`secret_table; ${1}`,
      (err: unknown) => err instanceof TypeError && !err.message.includes("secret_table"),
    );
  });

  test("hostile values are interpolated as parameters only, and the text stays the same", () => {
    const benign = render(sql`${ref("note")} || ${"plain"}`);
    for (const value of HOSTILE_VALUES) {
      const hostile = render(sql`${ref("note")} || ${value}`);
      assert.equal(hostile.text, benign.text);
      assert.equal(hostile.text, `"note" || $1`);
      assert.deepEqual(hostile.params, [value]);
    }
  });

  test("look-alike objects (as a JSON body can carry them) are not fragments or references", () => {
    const forged = JSON.parse(`{"kind":"sql-fragment","strings":["(SELECT current_user)"],"values":[]}`) as unknown;
    const forgedRef = JSON.parse(`{"kind":"attribute-ref","attribute":"limit"}`) as unknown;
    assert.equal(isSqlFragment(forged), false);
    assert.equal(isSqlFragment({ ...sql`1` }), true, "a spread copy of a real fragment keeps its brand");
    // Inside a real fragment, look-alikes are values: bound, never written into the text.
    const rendered = render(sql`${ref("note")} || ${forged as SqlParam} || ${forgedRef as SqlParam}`);
    assert.equal(rendered.text, `"note" || $1 || $2`);
    assert.deepEqual(rendered.params, [forged, forgedRef]);
  });
});

function model(schema: string) {
  const log = defineEventLog({ table: `${schema}.events` });
  const Note = defineResource({
    name: "note",
    table: `${schema}.notes`,
    attributes: v.object({
      id: v.string(),
      body: v.string(),
      prefs: v.record(v.string(), v.unknown()),
    }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ body: v.string(), prefs: v.record(v.string(), v.unknown()) }) }),
      append: update({
        input: v.object({ suffix: v.string() }),
        set: ({ suffix }) => ({ body: sql`${ref("body")} || ${suffix}` }),
      }),
      setPrefs: update({ input: v.object({ prefs: v.record(v.string(), v.unknown()) }) }),
    }),
  });
  return { log, Note };
}

describeEachExecutor("the sql tag on the database", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note] });
    await store.migrate({ resourceTables: true });
  });

  test("hostile values appended through an atomic expression are stored exactly", async () => {
    const notes = store.resource(m.Note);
    const { record } = await notes.write({ body: "start:", prefs: {} });
    let expected = "start:";
    for (const suffix of HOSTILE_VALUES) {
      const result = await notes.append(record.id, { suffix });
      expected += suffix;
      assert.equal(result.record.body, expected);
      assert.deepEqual(result.event?.changes, { body: expected });
      assert.deepEqual(result.event?.data, { suffix });
    }
    const row = await fx.db.query({ text: `SELECT body FROM ${fx.schema}.notes WHERE id = $1`, params: [record.id] });
    assert.equal(row.rows[0]?.["body"], expected);
  });

  test("a look-alike fragment in a JSON request body is stored as data, never run as SQL", async () => {
    const notes = store.resource(m.Note);
    const { record } = await notes.write({ body: "b", prefs: { theme: "dark" } });
    const body = JSON.parse(
      `{"prefs":{"kind":"sql-fragment","strings":["(SELECT to_jsonb(current_user))"],"values":[]}}`,
    ) as { prefs: Record<string, unknown> };
    const result = await notes.setPrefs(record.id, body);
    assert.deepEqual(result.record.prefs, body.prefs);
    const row = await fx.db.query({ text: `SELECT prefs FROM ${fx.schema}.notes WHERE id = $1`, params: [record.id] });
    assert.deepEqual(row.rows[0]?.["prefs"], body.prefs);
    assert.deepEqual(result.event?.data, body);
  });
});
