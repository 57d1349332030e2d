// `store.migrate()` on PGlite and Postgres (neon-http): idempotent (a second run leaves the
// catalog as it was), safe to run concurrently (the migration lock queues them), the
// columns, indexes, triggers and functions of DESIGN section 4 for a schema-qualified custom
// table with actor columns, `migrationSql()` run statement by statement equal to
// `migrate()`, and resource tables with inferred and overridden column types.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventLog,
  isEdgeEventsError,
  migrationSql,
  resourceTableSql,
} from "../../mod.ts";
import type { Executor, Row } from "../../src/core/executor.ts";
import { eventLogDdl } from "../../src/sql/event-log-ddl.ts";
import { describeEachExecutor, needing } from "../support/each-executor.ts";

/** Everything migrate() creates in a schema, with the schema's name replaced by `<schema>`. */
async function catalog(db: Executor, schema: string): Promise<Record<string, Row[]>> {
  const queries: Record<string, string> = {
    columns: `SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default, is_identity,
                identity_generation, character_maximum_length, numeric_precision, numeric_scale
              FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    indexes: `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`,
    constraints: `SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
                  JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 ORDER BY c.conname`,
    triggers: `SELECT t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND NOT t.tgisinternal ORDER BY t.tgname`,
    functions:
      `SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args, pg_get_function_result(p.oid) AS result,
                  p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY p.proname`,
  };
  const out: Record<string, Row[]> = {};
  for (const [name, text] of Object.entries(queries)) {
    const rows = (await db.query({ text, params: [schema] })).rows;
    out[name] = rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map((
          [k, value],
        ) => [k, typeof value === "string" ? value.replaceAll(schema, "<schema>") : value]),
      )
    );
  }
  return out;
}

/**
 * Split a script into statements the way psql does: at semicolons outside quotes,
 * dollar-quoted bodies and comments.
 */
function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    const dollar = ch === "$" ? /^\$[A-Za-z_]*\$/.exec(script.slice(i))?.[0] : undefined;
    const closing = ch === "'" || ch === `"` ? ch : dollar;
    if (closing !== undefined) {
      const end = script.indexOf(closing, i + closing.length);
      assert.ok(end >= 0, "unterminated quote in the script");
      current += script.slice(i, end + closing.length);
      i = end + closing.length;
    } else if (script.startsWith("--", i)) {
      const end = script.indexOf("\n", i);
      i = end < 0 ? script.length : end;
    } else if (ch === ";") {
      if (current.trim() !== "") statements.push(current.trim());
      current = "";
      i++;
    } else {
      current += ch;
      i++;
    }
  }
  if (current.trim() !== "") statements.push(current.trim());
  return statements;
}

const ACTORS = {
  user: { column: "user_id", type: "uuid" },
  system: { column: "system_actor", type: "text" },
  service: { column: "service_no", type: "bigint" },
  device: { column: "device_no", type: "integer" },
} as const;

function customer(schema: string) {
  const attributes = v.object({
    id: v.pipe(v.string(), v.uuid()),
    name: v.string(),
    nickname: v.optional(v.string()),
    age: v.pipe(v.number(), v.integer()),
    score: v.nullable(v.number()),
    visits: v.bigint(),
    active: v.optional(v.boolean(), true),
    bornAt: v.date(),
    tags: v.array(v.string()),
    balance: v.string(),
    status: v.picklist(["new", "known"]),
  });
  return defineResource({
    name: "customer",
    table: `${schema}.customers`,
    primaryKey: { attribute: "id", generate: "uuidv7" },
    attributes,
    columns: { name: "full_name" },
    columnTypes: { balance: "numeric(12,2)", nickname: "varchar(40)" },
    actions: ({ create }) => ({ add: create({ input: v.omit(attributes, ["id"]) }) }),
  });
}

describeEachExecutor("migrate()", {}, (fx) => {
  const extraSchemas: string[] = [];
  /** A schema name that does not exist yet; dropped after the suite. */
  const freshSchema = (suffix: string): string => {
    const schema = `${fx.schema}_${suffix}`;
    extraSchemas.push(schema);
    return schema;
  };

  after(async () => {
    for (const schema of extraSchemas) {
      await fx.db.query({ text: `DROP SCHEMA IF EXISTS ${schema} CASCADE`, params: [] });
    }
  });

  test("a second migrate() leaves the catalog as it was and keeps the events", async () => {
    const log = defineEventLog({ table: `${fx.schema}.events`, actors: ACTORS });
    const Tag = defineResource({
      name: "tag",
      table: `${fx.schema}.tags`,
      attributes: v.object({ id: v.string(), label: v.string() }),
      actions: ({ create }) => ({ add: create({ input: v.object({ label: v.string() }) }) }),
    });
    const store = createEventStore({ db: fx.db, log, resources: [Tag] });
    await store.migrate({ resourceTables: true });
    const first = await catalog(fx.db, fx.schema);
    assert.equal(
      first["indexes"]!.length,
      22,
      "events: pkey, position, 9 query indexes, 4 actors; replay: pkey, running; idempotency: pkey, created_at; projections: pkey; savepoints: pkey; tags: pkey",
    );
    assert.equal(first["triggers"]!.length, 3, "immutable, no_truncate, check_parent");
    assert.equal(first["functions"]!.length, 5);
    await store.resource(Tag).add({ label: "kept" });
    await store.migrate({ resourceTables: true });
    await store.migrate();
    assert.deepEqual(await catalog(fx.db, fx.schema), first);
    const events = await store.readEvents();
    assert.deepEqual(events.map((e) => e.data), [{ label: "kept" }]);
  });

  test("a schema-qualified custom table with actor columns gets DESIGN section 4's columns, indexes, triggers and functions", async () => {
    const schema = freshSchema("audit");
    const log = defineEventLog({ table: `${schema}.audit_log`, actors: ACTORS });
    await createEventStore({ db: fx.db, log, resources: [] }).migrate();
    const c = await catalog(fx.db, schema);
    const columns = (table: string): string[] =>
      c["columns"]!.filter((r) => r["table_name"] === table)
        .map((r) =>
          `${r["column_name"]} ${r["data_type"]}${r["is_nullable"] === "NO" ? " not null" : ""}` +
          `${r["column_default"] === null ? "" : ` default ${r["column_default"]}`}${
            r["is_identity"] === "YES" ? ` identity ${r["identity_generation"]}` : ""
          }`
        );
    assert.deepEqual(columns("audit_log"), [
      "id text not null",
      "position bigint not null identity ALWAYS",
      "tx_id xid8 not null default pg_current_xact_id()",
      "occurred_at timestamp with time zone not null",
      "resource text not null",
      "record_id text not null",
      "action text not null",
      "action_type text not null",
      "version integer not null default 1",
      "data jsonb not null default '{}'::jsonb",
      "changes jsonb not null default '{}'::jsonb",
      "metadata jsonb not null default '{}'::jsonb",
      "tenant text",
      "correlation_id text not null",
      "causation_id text",
      "parent_id text",
      "user_id uuid",
      "system_actor text",
      "service_no bigint",
      "device_no integer",
      "prev_hash bytea",
      "hash bytea",
    ]);
    assert.deepEqual(columns("audit_log_replay").map((col) => col.split(" ")[0]), [
      "replay_id",
      "tenant",
      "status",
      "options",
      "target_position",
      "last_position",
      "applied",
      "skipped",
      "routed",
      "started_at",
      "updated_at",
      "finished_at",
      "error",
    ]);
    assert.deepEqual(columns("audit_log_idempotency"), [
      "id text not null",
      "resource text not null",
      "record_id text not null",
      "action text not null",
      "tenant text",
      "data jsonb not null default '{}'::jsonb",
      "created_at timestamp with time zone not null default now()",
    ]);
    assert.deepEqual(columns("audit_log_savepoints"), [
      "resource text not null",
      "record_id text not null",
      "tenant text",
      "position bigint not null",
      "state jsonb not null",
      "fold_version text not null",
      "created_at timestamp with time zone not null default now()",
    ]);
    const on = "ON <schema>.audit_log USING btree";
    assert.deepEqual(c["indexes"]!.map((r) => r["indexdef"]), [
      `CREATE INDEX audit_log_action_idx ${on} (resource, action, "position")`,
      `CREATE INDEX audit_log_action_type_idx ${on} (action_type, "position")`,
      `CREATE INDEX audit_log_causation_idx ${on} (causation_id)`,
      `CREATE INDEX audit_log_correlation_idx ${on} (correlation_id)`,
      `CREATE INDEX audit_log_device_no_idx ${on} (device_no, "position")`,
      `CREATE INDEX audit_log_idempotency_idx ON <schema>.audit_log_idempotency USING btree (created_at)`,
      `CREATE UNIQUE INDEX audit_log_idempotency_pkey ON <schema>.audit_log_idempotency USING btree (id)`,
      `CREATE INDEX audit_log_occurred_at_idx ${on} (occurred_at)`,
      `CREATE UNIQUE INDEX audit_log_pkey ${on} (id)`,
      `CREATE UNIQUE INDEX audit_log_position_key ${on} ("position")`,
      `CREATE UNIQUE INDEX audit_log_projections_pkey ON <schema>.audit_log_projections USING btree (name, scope)`,
      `CREATE INDEX audit_log_record_idx ${on} (resource, record_id, "position")`,
      `CREATE UNIQUE INDEX audit_log_replay_pkey ON <schema>.audit_log_replay USING btree (replay_id)`,
      `CREATE UNIQUE INDEX audit_log_replay_running_idx ON <schema>.audit_log_replay USING btree ((true)) WHERE (status = 'running'::text)`,
      `CREATE UNIQUE INDEX audit_log_savepoints_pkey ON <schema>.audit_log_savepoints USING btree (resource, record_id, "position", fold_version)`,
      `CREATE INDEX audit_log_service_no_idx ${on} (service_no, "position")`,
      `CREATE INDEX audit_log_system_actor_idx ${on} (system_actor, "position")`,
      `CREATE INDEX audit_log_tenant_idx ${on} (tenant, "position")`,
      `CREATE INDEX audit_log_tenant_tx_idx ${on} (tenant, tx_id, "position")`,
      `CREATE INDEX audit_log_tx_idx ${on} (tx_id, "position")`,
      `CREATE INDEX audit_log_user_id_idx ${on} (user_id, "position")`,
    ]);
    assert.deepEqual(c["triggers"]!.map((r) => r["def"]), [
      "CREATE TRIGGER audit_log_check_parent BEFORE INSERT ON <schema>.audit_log FOR EACH ROW WHEN ((new.parent_id IS NOT NULL)) EXECUTE FUNCTION <schema>.audit_log_check_parent()",
      "CREATE TRIGGER audit_log_immutable BEFORE DELETE OR UPDATE ON <schema>.audit_log FOR EACH ROW EXECUTE FUNCTION <schema>.audit_log_immutable()",
      "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON <schema>.audit_log FOR EACH STATEMENT EXECUTE FUNCTION <schema>.audit_log_immutable()",
    ]);
    assert.deepEqual(c["functions"]!.map((r) => `${r["proname"]}(${r["args"]}) ${r["result"]}`), [
      "audit_log_assert_writable(p_tenant text) void",
      "audit_log_begin_write(p_fence_a integer, p_fence_b integer, p_keys bigint[], p_pairs_a integer[], p_pairs_b integer[], p_tenants text[], p_clock timestamp with time zone) void",
      "audit_log_check_parent() trigger",
      "audit_log_expect(p_found boolean, p_code text) boolean",
      "audit_log_immutable() trigger",
    ]);
    assert.deepEqual(c["constraints"]!.filter((r) => r["contype"] === "c").map((r) => r["def"]).sort(), [
      "CHECK ((action_type = ANY (ARRAY['create'::text, 'update'::text, 'destroy'::text])))",
      "CHECK ((char_length(id) = 26))",
      "CHECK ((char_length(id) = 26))",
      "CHECK ((status = ANY (ARRAY['running'::text, 'completed'::text, 'failed'::text, 'aborted'::text])))",
      "CHECK ((version > 0))",
    ]);
  });

  test("migrate() on a log made before the idempotency and savepoint tables, the rebuilding mark and parent links existed adds them and keeps the events", async () => {
    const schema = freshSchema("upgrade");
    const log = defineEventLog({ table: `${schema}.events` });
    const Tag = defineResource({
      name: "tag",
      table: `${schema}.tags`,
      attributes: v.object({ id: v.string(), label: v.string() }),
      actions: ({ create, update }) => ({
        add: create({ input: v.object({ label: v.string() }) }),
        relabel: update({ input: v.object({ label: v.string() }) }),
      }),
    });
    const store = createEventStore({ db: fx.db, log, resources: [Tag] });
    await store.migrate({ resourceTables: true });
    const full = await catalog(fx.db, schema);
    await fx.db.query({ text: `DROP TABLE ${log.idempotencyTable.sql}`, params: [] });
    await fx.db.query({ text: `DROP TABLE ${schema}.events_savepoints`, params: [] });
    // A checkpoint table from before inline rebuilds were marked: without "rebuilding".
    await fx.db.query({ text: `ALTER TABLE ${schema}.events_projections DROP COLUMN rebuilding`, params: [] });
    // An event table from before parent links: no parent_id, no link trigger.
    await fx.db.query({ text: `DROP TRIGGER events_check_parent ON ${log.table.sql}`, params: [] });
    await fx.db.query({ text: `DROP FUNCTION ${schema}.events_check_parent()`, params: [] });
    await fx.db.query({ text: `ALTER TABLE ${log.table.sql} DROP COLUMN parent_id`, params: [] });
    await fx.db.query({
      text: `INSERT INTO ${schema}.events_projections (name, scope) VALUES ('p', 'all')`,
      params: [],
    });
    await fx.db.query({
      text:
        `INSERT INTO ${log.table.sql} (id, occurred_at, resource, record_id, action, action_type, correlation_id) VALUES ($1, now(), 'tag', 'x', 'add', 'create', $1)`,
      params: ["01ARZ3NDEKTSV4RRFFQ69G5FAV"],
    });
    await store.migrate({ resourceTables: true });
    // A column added back keeps the place of the one dropped (ordinal positions skip it), or
    // comes last in its table (parent_id): compared by name.
    const placeless = (c: Record<string, Record<string, unknown>[]>) => ({
      ...c,
      columns: c["columns"]!.map(({ ordinal_position: _, ...column }) => column).sort((a, b) =>
        `${a["table_name"]}.${a["column_name"]}`.localeCompare(`${b["table_name"]}.${b["column_name"]}`)
      ),
    });
    assert.deepEqual(placeless(await catalog(fx.db, schema)), placeless(full));
    assert.deepEqual((await store.readEvents()).map((e) => e.id), ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    const checkpoint = await fx.db.query({ text: `SELECT rebuilding FROM ${schema}.events_projections`, params: [] });
    assert.deepEqual(checkpoint.rows, [{ rebuilding: false }], "the checkpoint kept, not rebuilding");
    const [old] = await store.readEvents();
    assert.equal(old?.parentId, null, "an event from before links has no parent");
    await store.resource(Tag).add({ label: "after the upgrade" });
    // Links work on the upgraded log: a parent of the same record, and the trigger refuses another's.
    const tags = store.resource(Tag);
    const added = await tags.add({ label: "linked" });
    const relabeled = await tags.relabel(added.record.id, { label: "b" }, { parentEventId: added.event!.id });
    assert.equal(relabeled.event?.parentId, added.event!.id);
    await assert.rejects(
      tags.relabel(added.record.id, { label: "c" }, { parentEventId: old!.id }),
      (error: unknown) => isEdgeEventsError(error, "VALIDATION_FAILED") && error.issues[0]?.path === "parentEventId",
    );
  });

  test(
    "migrate() on a log made before the audit indexes existed adds them, also when run concurrently, and keeps the events",
    {
      timeout: 60_000,
    },
    async () => {
      const schema = freshSchema("audit_upgrade");
      const log = defineEventLog({ table: `${schema}.events`, actors: ACTORS });
      const store = createEventStore({ db: fx.db, log, resources: [] });
      await store.migrate();
      const full = await catalog(fx.db, schema);
      // The log as the DDL before the audit indexes made it: the same, without those four.
      for (const suffix of ["action_idx", "action_type_idx", "causation_idx", "tenant_tx_idx"]) {
        await fx.db.query({ text: `DROP INDEX ${schema}.events_${suffix}`, params: [] });
      }
      assert.equal((await catalog(fx.db, schema))["indexes"]!.length, full["indexes"]!.length - 4);
      await fx.db.query({
        text:
          `INSERT INTO ${log.table.sql} (id, occurred_at, resource, record_id, action, action_type, correlation_id) VALUES ($1, now(), 'tag', 'x', 'add', 'create', $1)`,
        params: ["01ARZ3NDEKTSV4RRFFQ69G5FAV"],
      });
      const concurrent = fx.name === "pglite" ? 1 : 4;
      const results = await Promise.allSettled(Array.from({ length: concurrent }, () => store.migrate()));
      assert.deepEqual(results.filter((r) => r.status === "rejected"), []);
      await store.migrate();
      assert.deepEqual(await catalog(fx.db, schema), full);
      assert.deepEqual((await store.readEvents()).map((e) => e.id), ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    },
  );

  test("migrationSql() run statement by statement builds the same catalog as migrate()", async () => {
    const logOf = (schema: string): EventLog => defineEventLog({ table: `${schema}.events`, actors: ACTORS });
    const migrated = freshSchema("migrated");
    await createEventStore({ db: fx.db, log: logOf(migrated), resources: [] }).migrate();
    const scripted = freshSchema("scripted");
    const log = logOf(scripted);
    const statements = splitStatements(migrationSql(log));
    assert.deepEqual(statements, eventLogDdl(log).map((s) => s.text), "the script splits back into the DDL");
    for (let run = 0; run < 2; run++) {
      for (const text of statements) await fx.db.query({ text, params: [] });
    }
    assert.deepEqual(await catalog(fx.db, scripted), await catalog(fx.db, migrated));
  });

  test("resourceTableSql() and migrate({ resourceTables: true }) create tables with inferred types and overrides", async () => {
    const schema = freshSchema("shop");
    const Customer = customer(schema);
    const statements = resourceTableSql(Customer);
    assert.deepEqual(statements.map((s) => s.text), [
      `CREATE SCHEMA IF NOT EXISTS "${schema}"`,
      `CREATE TABLE IF NOT EXISTS "${schema}"."customers" ("id" uuid NOT NULL PRIMARY KEY, "full_name" text NOT NULL, ` +
      `"nickname" varchar(40), "age" integer NOT NULL, "score" double precision, "visits" bigint NOT NULL, ` +
      `"active" boolean NOT NULL, "born_at" timestamptz NOT NULL, "tags" jsonb NOT NULL, "balance" numeric(12,2) NOT NULL, ` +
      `"status" text NOT NULL)`,
    ]);
    const store = createEventStore({
      db: fx.db,
      log: defineEventLog({ table: `${fx.schema}.shop_events` }),
      resources: [Customer],
    });
    await store.migrate({ resourceTables: true });
    await store.migrate({ resourceTables: true });
    const c = await catalog(fx.db, schema);
    assert.deepEqual(
      c["columns"]!.map((
        r,
      ) => [
        r["column_name"],
        r["data_type"],
        r["is_nullable"],
        r["character_maximum_length"],
        r["numeric_precision"],
        r["numeric_scale"],
      ]),
      [
        ["id", "uuid", "NO", null, null, null],
        ["full_name", "text", "NO", null, null, null],
        ["nickname", "character varying", "YES", 40, null, null],
        ["age", "integer", "NO", null, 32, 0],
        ["score", "double precision", "YES", null, 53, null],
        ["visits", "bigint", "NO", null, 64, 0],
        ["active", "boolean", "NO", null, null, null],
        ["born_at", "timestamp with time zone", "NO", null, null, null],
        ["tags", "jsonb", "NO", null, null, null],
        ["balance", "numeric", "NO", null, 12, 2],
        ["status", "text", "NO", null, null, null],
      ],
    );
    // Newer Postgres versions (PGlite's) also list NOT NULL constraints here: compare the others.
    assert.deepEqual(c["constraints"]!.filter((r) => r["contype"] !== "n").map((r) => r["def"]), ["PRIMARY KEY (id)"]);
    const { record } = await store.resource(Customer).add({
      name: "Ada",
      age: 36,
      score: null,
      visits: 2n ** 40n,
      bornAt: new Date("1815-12-10T00:00:00Z"),
      tags: ["x"],
      balance: "12.50",
      status: "new",
    });
    assert.equal(record.balance, "12.50");
    assert.equal(record.visits, 2n ** 40n);
  });

  test("a column type that can be neither inferred nor found in columnTypes is a TypeError", () => {
    const Loose = defineResource({
      name: "loose",
      table: "loose",
      attributes: v.object({ id: v.string(), anything: v.unknown() }),
      actions: () => ({}),
    });
    assert.throws(() => resourceTableSql(Loose), TypeError);
    const Fixed = defineResource({
      name: "fixed",
      table: "fixed",
      attributes: v.object({ id: v.string(), anything: v.unknown() }),
      columnTypes: { anything: "jsonb" },
      actions: () => ({}),
    });
    assert.equal(
      resourceTableSql(Fixed)[0]!.text,
      `CREATE TABLE IF NOT EXISTS "fixed" ("id" text NOT NULL PRIMARY KEY, "anything" jsonb)`,
    );
  });

  // Seven rounds of eight migrations: more than Bun's default 5 s per test on a loaded machine.
  test("8 concurrent migrate() calls on fresh schemas all succeed and build the catalog once", {
    timeout: 60_000,
    ...needing(fx, ["concurrency"]),
  }, async () => {
    let reference: Record<string, Row[]> | undefined;
    // Rounds 3 and up migrate the log first, so that the 8 callers queue less on its DDL and
    // reach the resource tables together (which raced when they had a batch of their own).
    for (let round = 0; round < 7; round++) {
      const schema = freshSchema(`race${round}`);
      const tables = freshSchema(`race${round}_shop`);
      const log = defineEventLog({ table: `${schema}.events`, actors: ACTORS });
      const store = createEventStore({ db: fx.db, log, resources: [customer(tables)] });
      if (round >= 3) await store.migrate();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => store.migrate({ resourceTables: true })),
      );
      assert.deepEqual(results.filter((r) => r.status === "rejected"), [], `round ${round}`);
      const built = { log: await catalog(fx.db, schema), tables: await catalog(fx.db, tables) };
      reference ??= built as never;
      assert.deepEqual(built, reference);
    }
  });
});
