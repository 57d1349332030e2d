// Reading the event log (src/sql/read-events.ts): exact text and params of the paged read
// (with and without the visibility horizon), of the feed (pages on (tx_id, position)), of the
// tenant filter and of the read by ids, the limit's bounds, filters only as parameters, and on
// PGlite and Postgres (neon-http) hostile resource names, record ids, tenants and event ids
// select exactly their own events.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore } from "../../mod.ts";
import {
  feedEndSql,
  type FeedPoint,
  readEventsByIdSql,
  readEventsSql,
  readFeedSql,
} from "../../src/sql/read-events.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { HOSTILE_VALUES } from "../support/hostile-values.ts";

const log = defineEventLog({ table: "audit.events" });
const plainLog = defineEventLog();
// Array literals have their own specials: a bare NULL, braces, commas, spaces.
const ARRAY_HOSTILE = [...HOSTILE_VALUES, "NULL", "{a,b}", "a,b", " padded ", `\\"`];

describe("readEventsSql(): golden text and params", () => {
  test("by default: after position 0, 1000 events, no horizon", () => {
    const s = readEventsSql(plainLog);
    assert.deepEqual({ ...s }, {
      text: `SELECT * FROM "events" WHERE "position" > $1::bigint ORDER BY "position" LIMIT $2::int`,
      params: [0n, 1000],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });

  test("every filter, the horizon, and a qualified table", () => {
    assert.deepEqual({
      ...readEventsSql(log, { afterPosition: 41n, limit: 10, resource: "account", recordId: "a1" }, true),
    }, {
      text:
        `SELECT * FROM "audit"."events" WHERE "position" > $1::bigint AND "tx_id" < pg_snapshot_xmin(pg_current_snapshot()) ` +
        `AND "resource" = $2::text AND "record_id" = $3::text ORDER BY "position" LIMIT $4::int`,
      params: [41n, "account", "a1", 10],
    });
  });

  test("the horizon alone adds no parameter", () => {
    assert.deepEqual({ ...readEventsSql(plainLog, {}, true) }, {
      text:
        `SELECT * FROM "events" WHERE "position" > $1::bigint AND "tx_id" < pg_snapshot_xmin(pg_current_snapshot()) ` +
        `ORDER BY "position" LIMIT $2::int`,
      params: [0n, 1000],
    });
  });

  test("limit must be an integer from 1 to 10000", () => {
    for (const limit of [1, 10_000]) assert.doesNotThrow(() => readEventsSql(plainLog, { limit }));
    for (const limit of [0, -1, 10_001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10" as unknown as number]) {
      assert.throws(() => readEventsSql(plainLog, { limit }), RangeError, String(limit));
    }
  });
});

describe("readEventsSql(): the tenant filter", () => {
  test("a tenant is a parameter; null reads events without a tenant; undefined adds nothing", () => {
    assert.deepEqual({ ...readEventsSql(plainLog, { tenant: "acme" }, true) }, {
      text:
        `SELECT * FROM "events" WHERE "position" > $1::bigint AND "tx_id" < pg_snapshot_xmin(pg_current_snapshot()) ` +
        `AND "tenant" = $2::text ORDER BY "position" LIMIT $3::int`,
      params: [0n, "acme", 1000],
    });
    assert.deepEqual({ ...readEventsSql(plainLog, { resource: "note", recordId: "n1", tenant: null }) }, {
      text:
        `SELECT * FROM "events" WHERE "position" > $1::bigint AND "resource" = $2::text AND "record_id" = $3::text ` +
        `AND "tenant" IS NULL ORDER BY "position" LIMIT $4::int`,
      params: [0n, "note", "n1", 1000],
    });
    assert.equal(readEventsSql(plainLog, { tenant: undefined }).text, readEventsSql(plainLog).text);
  });
});

describe("feedEndSql(): golden text and params", () => {
  test("below the horizon, the greatest (tx_id, position), one row", () => {
    const s = feedEndSql(plainLog);
    assert.deepEqual({ ...s }, {
      text: `SELECT "tx_id", "position" FROM "events" WHERE "tx_id" < pg_snapshot_xmin(pg_current_snapshot()) ` +
        `ORDER BY "tx_id" DESC, "position" DESC LIMIT 1`,
      params: [],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });

  test("filters without the horizon (the global lock), and hostile values as parameters only", () => {
    assert.deepEqual({ ...feedEndSql(log, {}, false) }, {
      text: `SELECT "tx_id", "position" FROM "audit"."events" ORDER BY "tx_id" DESC, "position" DESC LIMIT 1`,
      params: [],
    });
    assert.deepEqual({ ...feedEndSql(log, { resource: "account", tenant: "acme" }, false) }, {
      text: `SELECT "tx_id", "position" FROM "audit"."events" WHERE "resource" = $1::text AND "tenant" = $2::text ` +
        `ORDER BY "tx_id" DESC, "position" DESC LIMIT 1`,
      params: ["account", "acme"],
    });
    assert.match(feedEndSql(log, { tenant: null }).text, /AND "tenant" IS NULL ORDER BY/);
    const benign = feedEndSql(log, { resource: "plain", tenant: "plain" });
    for (const value of ARRAY_HOSTILE) {
      const s = feedEndSql(log, { resource: value, tenant: value });
      assert.equal(s.text, benign.text);
      assert.deepEqual(s.params, [value, value]);
    }
  });
});

describe("readFeedSql(): golden text and params", () => {
  test("by default: from the start, below the horizon, in (tx_id, position) order", () => {
    const s = readFeedSql(plainLog);
    assert.deepEqual({ ...s }, {
      text: `SELECT * FROM "events" WHERE ("tx_id", "position") > ($1::xid8, $2::bigint) ` +
        `AND "tx_id" < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY "tx_id", "position" LIMIT $3::int`,
      params: ["0", 0n, 1000],
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.params));
  });

  test("every filter, no horizon, and a qualified table", () => {
    const after: FeedPoint = { txId: "18446744073709551615", position: 41n };
    assert.deepEqual({ ...readFeedSql(log, { after, limit: 10, resource: "account", tenant: "acme" }, false) }, {
      text:
        `SELECT * FROM "audit"."events" WHERE ("tx_id", "position") > ($1::xid8, $2::bigint) AND "resource" = $3::text ` +
        `AND "tenant" = $4::text ORDER BY "tx_id", "position" LIMIT $5::int`,
      params: ["18446744073709551615", 41n, "account", "acme", 10],
    });
    assert.match(readFeedSql(log, { tenant: null }).text, /AND "tenant" IS NULL ORDER BY/);
  });

  test("limit must be an integer from 1 to 10000", () => {
    for (const limit of [0, 10_001, 1.5]) assert.throws(() => readFeedSql(plainLog, { limit }), RangeError);
  });

  test("hostile filters and tenants are parameters only", () => {
    const benign = readFeedSql(log, { resource: "plain", tenant: "plain" });
    for (const value of ARRAY_HOSTILE) {
      const s = readFeedSql(log, { resource: value, tenant: value });
      assert.equal(s.text, benign.text);
      assert.deepEqual(s.params, ["0", 0n, value, value, 1000]);
      assert.equal(readEventsSql(log, { tenant: value }).text, readEventsSql(log, { tenant: "plain" }).text);
    }
  });
});

describe("readEventsByIdSql(): golden text and params", () => {
  test("one array parameter", () => {
    const s = readEventsByIdSql(log, ["01HZX3NDEKTSV4RRFFQ69G5FAV", "01HZX3NDEKTSV4RRFFQ69G5FAW"]);
    assert.deepEqual({ ...s }, {
      text: `SELECT * FROM "audit"."events" WHERE "id" = ANY($1::text[])`,
      params: [["01HZX3NDEKTSV4RRFFQ69G5FAV", "01HZX3NDEKTSV4RRFFQ69G5FAW"]],
    });
    assert.ok(Object.isFrozen(s));
  });
});

describe("read statements: injection", () => {
  test("hostile filters and ids are parameters only", () => {
    const benign = readEventsSql(log, { resource: "plain", recordId: "plain" }, true);
    const benignIds = readEventsByIdSql(log, ["plain"]);
    for (const value of ARRAY_HOSTILE) {
      const s = readEventsSql(log, { resource: value, recordId: value }, true);
      assert.equal(s.text, benign.text);
      assert.ok(!s.text.includes(value));
      assert.deepEqual(s.params, [0n, value, value, 1000]);
      const ids = readEventsByIdSql(log, [value]);
      assert.equal(ids.text, benignIds.text);
      assert.deepEqual(ids.params, [[value]]);
    }
  });
});

function model(schema: string) {
  const storeLog = defineEventLog({ table: `${schema}.events` });
  const attributes = v.object({ id: v.string(), label: v.string() });
  const make = (name: string, table: string) =>
    defineResource({
      name,
      table: `${schema}.${table}`,
      primaryKey: { attribute: "id", generate: "none" },
      attributes,
      actions: ({ create }) => ({ add: create({ input: attributes }) }),
    });
  return { log: storeLog, Hostile: make(`it's "x";-- ' OR 1=1 --`, "hostile"), Plain: make("plain", "plain") };
}

describeEachExecutor("read statements on the database", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const eventIds: string[] = [];

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({ db: fx.db, log: m.log, resources: [m.Hostile, m.Plain] });
    await store.migrate({ resourceTables: true });
    for (const value of ARRAY_HOSTILE) {
      eventIds.push((await store.resource(m.Hostile).add({ id: value, label: value })).event!.id);
      await store.resource(m.Plain).add({ id: value, label: value });
    }
  });

  test("a hostile resource name and record id select exactly their own event", async () => {
    for (const value of ARRAY_HOSTILE) {
      const events = await store.readEvents({ resource: m.Hostile.name, recordId: value });
      assert.equal(events.length, 1, JSON.stringify(value));
      assert.equal(events[0]?.recordId, value);
      assert.equal(events[0]?.resource, m.Hostile.name);
      assert.deepEqual(events[0]?.data, { id: value, label: value });
    }
    const all = await store.readEvents({ resource: m.Hostile.name });
    assert.deepEqual(all.map((e) => e.recordId), ARRAY_HOSTILE);
    assert.deepEqual(await store.readEvents({ resource: `${m.Hostile.name}' OR '1'='1` }), []);
  });

  test("pages by position, and the feed's pages by (tx_id, position), see every event once, with the horizon as without", async () => {
    // The horizon stops below the oldest transaction still running anywhere in the cluster
    // (other suites share it): wait until it has passed every write of this suite, the
    // documented lag, and then one pass must see everything.
    const { rows } = await fx.db.query({
      text: `SELECT max(tx_id::text::numeric)::text AS tx FROM ${fx.schema}.events`,
      params: [],
    });
    for (const deadline = Date.now() + 60_000;;) {
      const past = await fx.db.query({
        text: "SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS past",
        params: [String(rows[0]!["tx"])],
      });
      if (past.rows[0]!["past"] === true) break;
      assert.ok(Date.now() < deadline, "the visibility horizon stayed behind");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const horizon of [false, true]) {
      const seen: string[] = [];
      for (let after = 0n;;) {
        const page = await fx.db.query(
          readEventsSql(m.log, { afterPosition: after, limit: 7, resource: "plain" }, horizon),
        );
        for (const row of page.rows) seen.push(String(row["record_id"]));
        if (page.rows.length < 7) break;
        after = page.rows.at(-1)!["position"] as bigint;
      }
      assert.deepEqual(seen, ARRAY_HOSTILE, `by position, horizon ${horizon}`);
      const fed: string[] = [];
      let after: FeedPoint | undefined;
      for (;;) {
        const page = await fx.db.query(
          readFeedSql(m.log, { after, limit: 7, resource: "plain", tenant: null }, horizon),
        );
        for (const row of page.rows) fed.push(String(row["record_id"]));
        if (page.rows.length < 7) break;
        const last = page.rows.at(-1)!;
        after = { txId: String(last["tx_id"]), position: last["position"] as bigint };
      }
      assert.deepEqual(fed, ARRAY_HOSTILE, `the feed, horizon ${horizon}`);
    }
  });

  test("hostile resource filters and tenants select exactly their own events through the feed", async () => {
    const hostile: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await store.readFeed({
        ...(cursor === undefined ? {} : { after: cursor }),
        limit: 5,
        resource: m.Hostile.name,
      });
      hostile.push(...page.events.map((e) => e.recordId));
      cursor = page.cursor;
      if (page.events.length < 5) break;
    }
    assert.deepEqual(hostile, ARRAY_HOSTILE);
    for (const value of ARRAY_HOSTILE) {
      assert.deepEqual((await store.withContext({ tenant: value }).readFeed()).events, [], JSON.stringify(value));
      assert.deepEqual(
        await store.withContext({ tenant: value }).readEvents({ resource: m.Hostile.name, recordId: value }),
        [],
      );
    }
  });

  test("ids holding array-literal specials are looked up exactly", async () => {
    const rows = await fx.db.query(readEventsByIdSql(m.log, [...eventIds, ...ARRAY_HOSTILE, "NULL"]));
    assert.deepEqual(rows.rows.map((r) => r["id"]).sort(), [...eventIds].sort());
    const byRecord = await fx.db.query({
      text:
        `SELECT record_id FROM ${fx.schema}.events WHERE record_id = ANY($1::text[]) AND resource = 'plain' ORDER BY position`,
      params: [ARRAY_HOSTILE],
    });
    assert.deepEqual(byRecord.rows.map((r) => r["record_id"]), ARRAY_HOSTILE);
  });
});
