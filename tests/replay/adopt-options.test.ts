// Adoption options on every executor: the action the events record (a create action of the
// resource), an attribute function whose values rewrite the row, re-keying with new generated
// ids (the old rows deleted in the same batch), the transfer callback; a replay after each
// equals the live table; bad options and bad values are VALIDATION_FAILED naming the field,
// with nothing written.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import {
  adopt,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  replay,
  type ValidationError,
} from "../../mod.ts";
import { isUlid } from "../../src/core/ids.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { prefixedTables } from "../support/models.ts";
import { countRows, eventRows, rejectsWith } from "../support/store-helpers.ts";
import { snapshot } from "./replay-helpers.ts";

function model(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events") });
  const Customer = defineResource({
    name: "customer",
    table: t("customers"),
    attributes: v.object({
      id: v.string(),
      name: v.string(),
      email: v.optional(v.string()),
      score: v.optional(v.bigint()),
      joinedAt: v.optional(v.date()),
      legacyId: v.optional(v.string()),
    }),
    actions: ({ create, update }) => ({
      import: create({ version: 2 }),
      register: create({ input: v.object({ name: v.string() }) }),
      quiet: create(),
      rename: update({ input: v.object({ name: v.string() }) }),
    }),
    only: ["import", "register", "rename"],
  });
  const Seat = defineResource({
    name: "seat",
    table: t("seats"),
    tenant: "orgId",
    primaryKey: { attribute: "id", generate: "uuidv7" },
    attributes: v.object({ id: v.string(), orgId: v.string(), holder: v.string() }),
    actions: ({ create }) => ({ import: create() }),
  });
  const Code = defineResource({
    name: "code",
    table: t("codes"),
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), label: v.string() }),
    actions: ({ create }) => ({ add: create({ input: v.object({ id: v.string(), label: v.string() }) }) }),
  });
  return { log, Customer, Seat, Code, events: t("events"), customers: t("customers"), seats: t("seats") };
}

type Model = ReturnType<typeof model>;

describeEachExecutor("adoption options", {}, (fx) => {
  let prefixes = 0;

  const fresh = async (): Promise<{ m: Model; store: EventStore }> => {
    const m = model(fx.schema, `o${++prefixes}`);
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Customer, m.Seat, m.Code],
      replay: { clear: "tracked-tables" },
    });
    await store.migrate({ resourceTables: true });
    await fx.db.query({
      text: `INSERT INTO ${m.customers} (id, name, email, score, joined_at) VALUES
          ('h1', '  Hopper ', 'grace@navy.mil', 9007199254740993, '2019-05-06 07:08:09.123456+00'),
          ('h2', 'Lovelace', NULL, NULL, '2018-01-01 00:00:00+00'),
          ('h3', 'O''Neil ''; DROP TABLE x;--', 'x@y.z', -5, NULL)`,
      params: [],
    });
    return { m, store };
  };
  const customers = async (m: Model) =>
    (await fx.db.query({ text: `SELECT * FROM ${m.customers} ORDER BY name`, params: [] })).rows;

  test("action: events record the named create action at its version, and replay rebuilds the rows", async () => {
    const { m, store } = await fresh();
    // Changed by an action before its adoption: the import supersedes the rename in replay.
    await store.resource(m.Customer).rename("h2", { name: "Ada" });
    const live = await snapshot(fx.db, [m.customers]);

    assert.deepEqual(await adopt(store, m.Customer, { action: "import" }), { adopted: 3, pages: 1 });

    const imports = (await eventRows(fx.db, m.events)).filter((row) => row["action"] === "import");
    assert.deepEqual(imports.map((row) => row["record_id"]).sort(), ["h1", "h2", "h3"]);
    for (const row of imports) {
      assert.equal(row["action_type"], "create");
      assert.equal(row["version"], 2);
      assert.deepEqual(row["data"], {});
    }
    assert.deepEqual(await snapshot(fx.db, [m.customers]), live, "the rows are untouched");
    const replayed = await replay(store);
    assert.equal(replayed.applied, 3);
    assert.equal(replayed.skippedEvents.length, 1, "the rename before the import is superseded");
    assert.deepEqual(await snapshot(fx.db, [m.customers]), live);
    assert.deepEqual(await adopt(store, m.Customer, { action: "import" }), { adopted: 0, pages: 0 });
  });

  test("attributes: the function's values rewrite the row in the adoption's batch, as replay writes them", async () => {
    const { m, store } = await fresh();
    const seen: string[] = [];
    const result = await adopt(store, m.Customer, {
      attributes: (row) => {
        seen.push(row.id);
        return { name: row.name.trim().toUpperCase(), legacyId: `old-${row.id}` };
      },
      pageSize: 2,
    });
    assert.deepEqual(result, { adopted: 3, pages: 2 });
    assert.deepEqual(seen, ["h1", "h2", "h3"]);
    const rows = await customers(m);
    assert.deepEqual(rows.map((r) => [r["id"], r["name"], r["legacy_id"]]), [
      ["h1", "HOPPER", "old-h1"],
      ["h2", "LOVELACE", "old-h2"],
      ["h3", "O'NEIL '; DROP TABLE X;--", "old-h3"],
    ]);
    const h1 = (await eventRows(fx.db, m.events)).find((row) => row["record_id"] === "h1")!;
    assert.equal((h1["changes"] as Record<string, unknown>)["name"], "HOPPER");
    assert.match(String((h1["changes"] as Record<string, unknown>)["joinedAt"]), /^2019-05-06T07:08:09\.123456/);
    const live = await snapshot(fx.db, [m.customers]);
    await replay(store);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), live, "microseconds and bigints included");
  });

  test("attributes: null clears an attribute, and the cleared value is what replay rebuilds", async () => {
    const { m, store } = await fresh();
    await adopt(store, m.Customer, { action: "import", attributes: () => ({ email: null }) as never });
    assert.deepEqual((await customers(m)).map((r) => r["email"]), [null, null, null]);
    const live = await snapshot(fx.db, [m.customers]);
    await replay(store);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), live);
  });

  test("rekey: new generated ids, the old rows deleted in the same batch, transfer sees each pair; replay rebuilds exactly the new rows", async () => {
    const { m, store } = await fresh();
    const registered = await store.resource(m.Customer).register({ name: "Ritchie" });
    const pairs: [string, string, string | undefined][] = [];
    const result = await adopt(store, m.Customer, {
      action: "import",
      rekey: true,
      attributes: (row) => ({ legacyId: row.id }),
      transfer: (row, adopted) => {
        pairs.push([row.id, adopted.id, adopted.legacyId]);
      },
      pageSize: 2,
    });
    assert.deepEqual(result, { adopted: 3, pages: 2 });
    assert.deepEqual(pairs.map(([old]) => old), ["h1", "h2", "h3"], "in key order");
    const rows = await customers(m);
    assert.equal(rows.length, 4);
    for (const [old, id, legacyId] of pairs) {
      assert.ok(isUlid(id), "a generated ULID");
      assert.equal(legacyId, old);
      const row = rows.find((r) => r["id"] === id);
      assert.equal(row?.["legacy_id"], old);
    }
    assert.ok(!rows.some((r) => ["h1", "h2", "h3"].includes(String(r["id"]))), "the old rows are gone");
    assert.ok(rows.some((r) => r["id"] === registered.record.id), "tracked rows are not re-keyed");
    const imports = (await eventRows(fx.db, m.events)).filter((row) => row["action"] === "import");
    assert.deepEqual(imports.map((row) => row["record_id"]).sort(), pairs.map(([, id]) => id).sort());
    assert.ok(!(await eventRows(fx.db, m.events)).some((row) => String(row["record_id"]).startsWith("h")));

    const live = await snapshot(fx.db, [m.customers]);
    await replay(store);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), live);
    assert.deepEqual(await adopt(store, m.Customer, { rekey: true }), { adopted: 0, pages: 0 });
  });

  test("rekey keeps a multi-tenant row's tenant, so a tenant replay rebuilds it", async () => {
    const { m, store } = await fresh();
    await fx.db.query({
      text: `INSERT INTO ${m.seats} (id, org_id, holder) VALUES ('s1', 'org-a', 'ann'), ('s2', 'org-b', 'bob')`,
      params: [],
    });
    assert.deepEqual(await adopt(store, m.Seat, { rekey: true, action: "import" }), { adopted: 2, pages: 1 });
    const seats = (await fx.db.query({ text: `SELECT * FROM ${m.seats} ORDER BY holder`, params: [] })).rows;
    assert.deepEqual(seats.map((s) => [s["org_id"], s["holder"]]), [["org-a", "ann"], ["org-b", "bob"]]);
    assert.ok(seats.every((s) => s["id"] !== "s1" && s["id"] !== "s2"));
    const live = await snapshot(fx.db, [m.seats]);
    await fx.db.query({ text: `UPDATE ${m.seats} SET holder = 'damaged'`, params: [] });
    assert.equal((await replay(store, { tenant: "org-a" })).applied, 1);
    await replay(store, { tenant: "org-b" });
    assert.deepEqual(await snapshot(fx.db, [m.seats]), live);
  });

  test("bad options are VALIDATION_FAILED naming the option, and nothing is written", async () => {
    const { m, store } = await fresh();
    const before = await snapshot(fx.db, [m.customers]);
    const cases: [string, Promise<unknown>][] = [
      ["action", adopt(store, m.Customer, { action: "missing" })],
      ["action", adopt(store, m.Customer, { action: "rename" })],
      ["action", adopt(store, m.Customer, { action: "quiet" })],
      ["action", adopt(store, m.Customer, { action: "register" })],
      ["action", adopt(store, m.Customer, { action: "" })],
      ["action", adopt(store, m.Customer, { action: 7 as never })],
      ["attributes", adopt(store, m.Customer, { attributes: "name" as never })],
      ["transfer", adopt(store, m.Customer, { transfer: {} as never })],
      ["rekey", adopt(store, m.Customer, { rekey: "yes" as never })],
      ["rekey", adopt(store, m.Code, { rekey: true })],
    ];
    for (const [field, call] of cases) {
      const error = await rejectsWith<ValidationError>(call, "VALIDATION_FAILED");
      assert.equal(error.issues[0]?.path, field, error.message);
    }
    assert.equal(await countRows(fx.db, m.events), 0);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), before);
  });

  test("bad values from the attribute function are VALIDATION_FAILED naming the attribute, and nothing is written", async () => {
    const { m, store } = await fresh();
    const before = await snapshot(fx.db, [m.customers]);
    const cases: [string, (row: { id: string }) => unknown][] = [
      ["score", () => ({ score: "many" })],
      ["id", (row) => ({ id: `${row.id}-x` })],
      ["nickname", () => ({ nickname: "x" })],
      ["attributes", () => "name"],
      ["attributes", () => null],
    ];
    for (const [field, attributes] of cases) {
      const error = await rejectsWith<ValidationError>(
        adopt(store, m.Customer, { attributes: attributes as never }),
        "VALIDATION_FAILED",
      );
      assert.equal(error.issues[0]?.path, field, error.message);
    }
    assert.equal(await countRows(fx.db, m.events), 0);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), before);
  });

  test("rekey is refused, naming rekey and writing nothing, when an action changed a row before its adoption", async () => {
    const { m, store } = await fresh();
    await store.resource(m.Customer).rename("h3", { name: "Turing" });
    const before = await snapshot(fx.db, [m.customers]);
    const error = await rejectsWith<ValidationError>(adopt(store, m.Customer, { rekey: true }), "VALIDATION_FAILED");
    assert.equal(error.issues[0]?.path, "rekey");
    assert.equal(await countRows(fx.db, m.events), 1);
    assert.deepEqual(await snapshot(fx.db, [m.customers]), before);
    assert.equal((await adopt(store, m.Customer)).adopted, 3, "adoption without rekey takes it");
  });
});
