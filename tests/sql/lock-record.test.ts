// The row lock a change-function write takes before its conditional write
// (src/sql/lock-record.ts): exact text and params, values only as parameters, hostile
// column names refused, and on PGlite and Postgres (neon-http) the lock finds exactly the
// record whose hostile id and tenant it was given.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "../../mod.ts";
import { writeTarget } from "../../src/core/write-plan.ts";
import { lockRecordSql } from "../../src/sql/lock-record.ts";
import type { WriteTarget } from "../../src/sql/write-statements.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { HOSTILE_IDENTIFIERS, HOSTILE_VALUES } from "../support/hostile-values.ts";

function resources(schema: string | undefined) {
  const qualify = (table: string): string => (schema === undefined ? table : `${schema}.${table}`);
  const Counter = defineResource({
    name: "counter",
    table: qualify("counters"),
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), count: v.number() }),
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ id: v.string() }), defaults: { count: 0 } }),
      bump: update({ change: (c) => ({ count: c.count + 1 }) }),
    }),
  });
  const Seat = defineResource({
    name: "seat",
    table: qualify("seats"),
    primaryKey: { attribute: "seatNo", generate: "none" },
    tenant: "venueId",
    attributes: v.object({ seatNo: v.string(), venueId: v.string(), holder: v.string() }),
    columns: { venueId: "venue" },
    actions: ({ create, update }) => ({
      add: create({ input: v.object({ seatNo: v.string(), holder: v.string() }) }),
      hold: update({ change: (seat) => ({ holder: `${seat.holder}+` }) }),
    }),
  });
  return { Counter, Seat };
}

const { Counter, Seat } = resources("box");

describe("lockRecordSql(): golden text and params", () => {
  test("locks one row by primary key", () => {
    const s = lockRecordSql(writeTarget(resources(undefined).Counter), { id: "c1" });
    assert.deepEqual({ ...s }, { text: `SELECT 1 FROM "counters" WHERE "id" = $1 FOR UPDATE`, params: ["c1"] });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });

  test("matches the tenant too, through its column name, in a qualified table", () => {
    assert.deepEqual({ ...lockRecordSql(writeTarget(Seat), { id: "A7", tenant: "v1" }) }, {
      text: `SELECT 1 FROM "box"."seats" WHERE "seat_no" = $1 AND "venue" = $2 FOR UPDATE`,
      params: ["A7", "v1"],
    });
  });

  test("a multi-tenant target without a tenant binds NULL, which matches no row", () => {
    assert.deepEqual(lockRecordSql(writeTarget(Seat), { id: "A7" }).params, ["A7", null]);
  });

  test("ignores soft-destroy columns: it only serializes writers, the write itself checks liveness", () => {
    assert.equal(
      lockRecordSql(writeTarget(Counter), { id: 1 }).text,
      `SELECT 1 FROM "box"."counters" WHERE "id" = $1 FOR UPDATE`,
    );
  });
});

describe("lockRecordSql(): injection", () => {
  test("hostile ids and tenants are parameters only", () => {
    const benign = lockRecordSql(writeTarget(Seat), { id: "plain", tenant: "plain" });
    for (const value of HOSTILE_VALUES) {
      const s = lockRecordSql(writeTarget(Seat), { id: value, tenant: value });
      assert.equal(s.text, benign.text);
      assert.ok(!s.text.includes(value));
      assert.deepEqual(s.params, [value, value]);
    }
  });

  test("a target forged with hostile key or tenant columns is a TypeError", () => {
    const seat = writeTarget(Seat);
    for (const bad of HOSTILE_IDENTIFIERS) {
      const badKey: WriteTarget = { ...seat, columns: { ...seat.columns, seatNo: bad } };
      const badTenant: WriteTarget = { ...seat, columns: { ...seat.columns, venueId: bad } };
      assert.throws(() => lockRecordSql(badKey, { id: "A7", tenant: "v1" }), TypeError, JSON.stringify(bad));
      assert.throws(() => lockRecordSql(badTenant, { id: "A7", tenant: "v1" }), TypeError, JSON.stringify(bad));
    }
  });
});

describeEachExecutor("lockRecordSql() on the database", {}, (fx) => {
  let m: ReturnType<typeof resources>;
  let store: EventStore;

  before(async () => {
    m = resources(fx.schema);
    store = createEventStore({
      db: fx.db,
      log: defineEventLog({ table: `${fx.schema}.events` }),
      resources: [m.Counter, m.Seat],
    });
    await store.migrate({ resourceTables: true });
  });

  test("the lock finds exactly the row of a hostile id and tenant, and a near miss finds none", async () => {
    const seats = store.resource(m.Seat);
    for (const value of HOSTILE_VALUES) await seats.add({ seatNo: value, holder: "h" }, { tenant: value });
    const seat = writeTarget(m.Seat);
    for (const value of HOSTILE_VALUES) {
      const [exact, missTenant, missId] = await fx.db.batch([
        lockRecordSql(seat, { id: value, tenant: value }),
        lockRecordSql(seat, { id: value, tenant: `${value}' OR '1'='1` }),
        lockRecordSql(seat, { id: `${value}' OR '1'='1`, tenant: value }),
      ]);
      assert.equal(exact?.rows.length, 1, JSON.stringify(value));
      assert.equal(missTenant?.rows.length, 0, JSON.stringify(value));
      assert.equal(missId?.rows.length, 0, JSON.stringify(value));
    }
  });

  test("change-function writes, which send the lock, work with hostile ids and tenants", async () => {
    const seats = store.resource(m.Seat);
    for (const value of HOSTILE_VALUES) {
      const { record } = await seats.hold(value, {}, { tenant: value });
      assert.deepEqual(record, { seatNo: value, venueId: value, holder: "h+" });
    }
    const counters = store.resource(m.Counter);
    await counters.start({ id: "' OR 1=1 --" });
    await counters.start({ id: "other" });
    await counters.bump("' OR 1=1 --");
    const rows = await fx.db.query({
      text: `SELECT id, count FROM ${fx.schema}.counters WHERE id = $1`,
      params: ["' OR 1=1 --"],
    });
    assert.deepEqual(rows.rows, [{ id: "' OR 1=1 --", count: 1 }]);
    const other = await fx.db.query({ text: `SELECT count FROM ${fx.schema}.counters WHERE id = 'other'`, params: [] });
    assert.deepEqual(other.rows, [{ count: 0 }]);
  });
});
