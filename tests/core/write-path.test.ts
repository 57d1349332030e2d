// The write path, end to end, on every executor: what each action writes to its table and
// to the event log, what it refuses (and that a refusal writes and sends nothing), hooks,
// tenants and multi-action transactions.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type HookFailedError,
  isEdgeEventsError,
  sql,
  type ValidationError,
} from "../../mod.ts";
import type { Row } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { ACCOUNT_ENTRIES, DEPOSIT_INPUT, depositSet, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { countRows, rejectsWith } from "../support/store-helpers.ts";

/** A builder called with options its types refuse, to reach the definition-time checks. */
type AnyFunction = (...args: unknown[]) => never;

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const USER_ID = "0b6f3a52-1a8e-4f53-9d0c-7f3c1c9b8e21";

/** Every resource of the suite, in the fixture's schema. */
function model(schema: string) {
  const log = defineEventLog({
    table: `${schema}.events`,
    actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
  });
  const Account = defineResource({
    name: "account",
    table: `${schema}.accounts`,
    attributes: v.object({ ...ACCOUNT_ENTRIES, ...TIMESTAMP_ENTRIES }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({
        input: v.object({
          owner: v.string(),
          note: v.optional(v.string()),
          address: v.optional(v.object({ city: v.pipe(v.string(), v.minLength(1)) })),
        }),
        defaults: { balance: 100 },
        change: (input) => ({ label: input.owner.toUpperCase() }),
        version: 3,
      }),
      openTrimmed: create({
        input: v.object({ owner: v.string() }),
        defaults: { balance: 0 },
        before: (attributes) => ({ ...attributes, owner: (attributes.owner ?? "").trim() }),
      }),
      importLegacy: create({ input: v.object({ owner: v.string(), balance: v.number() }), ignored: true }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      bump: update({ change: (record) => ({ balance: record.balance + 1 }) }),
      close: destroy({ soft: "deletedAt" }),
      remove: destroy(),
    }),
  });
  const Tag = defineResource({
    name: "tag",
    table: `${schema}.tags`,
    attributes: v.object({ id: v.string(), label: v.string() }),
    only: ["add"],
    actions: ({ create, update }) => ({
      add: create({ input: v.object({ label: v.string() }) }),
      relabel: update({ input: v.object({ label: v.string() }) }),
    }),
  });
  const Role = defineResource({
    name: "role",
    table: `${schema}.roles`,
    attributes: v.object({ id: v.string(), userId: v.string(), role: v.string() }),
    actions: ({ create, destroy }) => ({
      grant: create({ input: v.object({ userId: v.string(), role: v.string() }) }),
      grantWithId: create({ input: v.object({ id: v.string(), userId: v.string(), role: v.string() }) }),
      revoke: destroy(),
    }),
  });
  const User = defineResource({
    name: "user",
    table: `${schema}.users`,
    primaryKey: { attribute: "id", generate: "uuidv7" },
    attributes: v.object({ id: v.string(), email: v.string(), name: v.string() }),
    actions: ({ create }) => ({
      register: create({ input: v.object({ email: v.string(), name: v.string() }) }),
      invite: create({
        input: v.object({ email: v.string(), name: v.string() }),
        after: async (user, { store }) => {
          await store.resource(Role).grant({ userId: user.id, role: "member" });
        },
      }),
      inviteBroken: create({
        input: v.object({ email: v.string(), name: v.string() }),
        after: () => {
          throw new Error("mailer down");
        },
      }),
    }),
  });
  const Project = defineResource({
    name: "project",
    table: `${schema}.projects`,
    tenant: "orgId",
    attributes: v.object({ id: v.string(), orgId: v.string(), title: v.string() }),
    actions: ({ create, update }) => ({
      start: create({ input: v.object({ title: v.string(), orgId: v.optional(v.string()) }) }),
      startElsewhere: create({
        input: v.object({ title: v.string() }),
        before: (attributes) => ({ ...attributes, orgId: "other-org" }),
      }),
      retitle: update({ input: v.object({ title: v.string() }) }),
    }),
  });
  return { log, Account, Tag, Role, User, Project };
}

describeEachExecutor("the write path", {}, (fx) => {
  let m: ReturnType<typeof model>;
  let store: EventStore;
  const hookErrors: HookFailedError[] = [];
  const events = (): string => `${fx.schema}.events`;

  const event = async (id: string): Promise<Row> => {
    const rows = (await fx.db.query({ text: `SELECT * FROM ${events()} WHERE id = $1`, params: [id] })).rows;
    assert.equal(rows.length, 1, "exactly one event row with that id");
    return rows[0]!;
  };
  const rowOf = async (table: string, id: string): Promise<Row | undefined> =>
    (await fx.db.query({ text: `SELECT * FROM ${fx.schema}.${table} WHERE id = $1`, params: [id] })).rows[0];

  /** Run `call`, which must fail with `code`, and prove it sent nothing and wrote nothing. */
  const refusedBeforeSending = async (call: () => Promise<unknown>): Promise<ValidationError> => {
    const tables = ["events", "accounts", "projects", "users", "roles"].map((t) => `${fx.schema}.${t}`);
    const counts = await Promise.all(tables.map((t) => countRows(fx.db, t)));
    const sentBefore = fx.requests();
    const error = await rejectsWith<ValidationError>(call(), "VALIDATION_FAILED");
    if (sentBefore !== undefined) assert.equal(fx.requests(), sentBefore, "no HTTP request was sent");
    assert.deepEqual(await Promise.all(tables.map((t) => countRows(fx.db, t))), counts, "nothing was written");
    return error;
  };

  before(async () => {
    m = model(fx.schema);
    store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account, m.Tag, m.Role, m.User, m.Project],
      onHookError: (error) => hookErrors.push(error),
    });
    await store.migrate({ resourceTables: true });
  });

  describe("event shape", () => {
    test("a create writes one create event whose row carries every column, occurred_at equal to the timestamps", async () => {
      const { record, event: stored, duplicate } = await store.resource(m.Account).open(
        { owner: "ada", note: "first" },
        { actor: { user: USER_ID } },
      );
      assert.equal(duplicate, false);
      assert.ok(stored !== null);
      const row = await event(stored.id);
      assert.match(String(row["id"]), ULID);
      assert.equal(typeof row["position"], "bigint");
      assert.equal(row["position"], stored.position);
      assert.equal(row["resource"], "account");
      assert.equal(row["record_id"], record.id);
      assert.equal(row["action"], "open");
      assert.equal(row["action_type"], "create");
      assert.equal(row["version"], 3);
      assert.deepEqual(row["data"], { owner: "ada", note: "first" });
      assert.equal(row["user_id"], USER_ID);
      assert.equal(row["system_actor"], null);
      assert.equal(row["tenant"], null);
      assert.equal(row["causation_id"], null);
      assert.match(String(row["correlation_id"]), ULID);
      assert.ok(row["occurred_at"] instanceof Date);
      assert.equal((row["occurred_at"] as Date).getTime(), record.createdAt?.getTime());
      assert.equal((row["occurred_at"] as Date).getTime(), record.updatedAt?.getTime());
      const exact = await fx.db.query({
        text: `SELECT e.occurred_at = a.created_at AND e.occurred_at = a.updated_at AS same
                 FROM ${events()} e JOIN ${fx.schema}.accounts a ON a.id = e.record_id WHERE e.id = $1`,
        params: [stored.id],
      });
      assert.equal(exact.rows[0]?.["same"], true, "occurred_at equals the stored timestamps to the microsecond");
      assert.deepEqual(stored.data, row["data"]);
      assert.deepEqual(stored.changes, row["changes"]);
      assert.deepEqual(stored.actor, { type: "user", id: USER_ID });
      assert.equal(stored.occurredAt.getTime(), (row["occurred_at"] as Date).getTime());
    });

    test("an update writes one update event at a later position, occurred_at equal to updatedAt", async () => {
      const opened = await store.resource(m.Account).open({ owner: "bea" });
      const renamed = await store.resource(m.Account).rename(opened.record.id, { owner: "bee" });
      assert.ok(opened.event !== null && renamed.event !== null);
      const row = await event(renamed.event.id);
      assert.equal(row["action"], "rename");
      assert.equal(row["action_type"], "update");
      assert.equal(row["version"], 1);
      assert.equal(row["record_id"], opened.record.id);
      assert.ok((row["position"] as bigint) > opened.event.position);
      assert.equal((row["occurred_at"] as Date).getTime(), renamed.record.updatedAt?.getTime());
      assert.equal(renamed.record.createdAt?.getTime(), opened.record.createdAt?.getTime());
      assert.equal(renamed.record.owner, "bee");
    });

    test("a hard destroy deletes the row and writes one destroy event with empty data and changes", async () => {
      const opened = await store.resource(m.Account).open({ owner: "cy" });
      const removed = await store.resource(m.Account).remove(opened.record.id);
      assert.ok(removed.event !== null);
      const row = await event(removed.event.id);
      assert.equal(row["action"], "remove");
      assert.equal(row["action_type"], "destroy");
      assert.deepEqual(row["data"], {});
      assert.deepEqual(row["changes"], {});
      assert.equal(removed.record.id, opened.record.id);
      assert.equal(await rowOf("accounts", opened.record.id), undefined);
    });

    test("a soft destroy keeps the row with deletedAt set and writes a destroy event; later writes are NOT_FOUND", async () => {
      const opened = await store.resource(m.Account).open({ owner: "dee" });
      const closed = await store.resource(m.Account).close(opened.record.id);
      assert.ok(closed.event !== null);
      const row = await event(closed.event.id);
      assert.equal(row["action_type"], "destroy");
      assert.equal(row["action"], "close");
      const kept = await rowOf("accounts", opened.record.id);
      assert.ok(kept !== undefined, "the row is kept");
      assert.equal((kept["deleted_at"] as Date).getTime(), (row["occurred_at"] as Date).getTime());
      assert.deepEqual(row["changes"], {
        deletedAt: (row["occurred_at"] as Date).toISOString(),
        updatedAt: (row["occurred_at"] as Date).toISOString(),
      });
      const before = await countRows(fx.db, events());
      await rejectsWith(store.resource(m.Account).rename(opened.record.id, { owner: "ghost" }), "NOT_FOUND");
      await rejectsWith(store.resource(m.Account).deposit(opened.record.id, { amount: 1 }), "NOT_FOUND");
      await rejectsWith(store.resource(m.Account).bump(opened.record.id), "NOT_FOUND");
      await rejectsWith(store.resource(m.Account).close(opened.record.id), "NOT_FOUND");
      assert.equal(await countRows(fx.db, events()), before);
      assert.equal((await rowOf("accounts", opened.record.id))?.["owner"], "dee");
    });

    test("an update or destroy of a missing record is NOT_FOUND and writes no event", async () => {
      const before = await countRows(fx.db, events());
      const missing = "01J00000000000000000000000";
      const error = await rejectsWith<Error & { resource: string; recordId: string }>(
        store.resource(m.Account).rename(missing, { owner: "x" }),
        "NOT_FOUND",
      );
      assert.equal(error.resource, "account");
      assert.equal(error.recordId, missing);
      await rejectsWith(store.resource(m.Account).deposit(missing, { amount: 5 }), "NOT_FOUND");
      await rejectsWith(store.resource(m.Account).bump(missing), "NOT_FOUND");
      await rejectsWith(store.resource(m.Account).remove(missing), "NOT_FOUND");
      await rejectsWith(store.resource(m.Account).close(missing), "NOT_FOUND");
      assert.equal(await countRows(fx.db, events()), before);
    });
  });

  describe("data and changes", () => {
    test("a create stores the validated input exactly in data, and generated id, defaults, timestamps and change values in changes", async () => {
      const { record, event: stored } = await store.resource(m.Account).open({ owner: "eve", note: "n" });
      assert.ok(stored !== null);
      assert.match(record.id, ULID);
      assert.deepEqual(record, {
        id: record.id,
        owner: "eve",
        label: "EVE",
        status: "open",
        balance: 100,
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
        deletedAt: null,
      });
      const at = stored.occurredAt.toISOString();
      const row = await event(stored.id);
      assert.deepEqual(row["data"], { owner: "eve", note: "n" });
      assert.deepEqual(row["changes"], {
        id: record.id,
        balance: 100,
        label: "EVE",
        status: "open",
        createdAt: at,
        updatedAt: at,
      });
    });

    test("an atomic update stores its input in data and the value the database computed in changes", async () => {
      const { record } = await store.resource(m.Account).open({ owner: "fay" });
      const deposited = await store.resource(m.Account).deposit(record.id, { amount: 5 });
      assert.equal(deposited.record.balance, 105);
      const row = await event(deposited.event!.id);
      assert.deepEqual(row["data"], { amount: 5 });
      assert.deepEqual(row["changes"], { balance: 105, updatedAt: deposited.event!.occurredAt.toISOString() });
      assert.deepEqual(deposited.event!.changes, row["changes"]);
    });

    test("a change-function update stores the computed value in changes and empty data", async () => {
      const { record } = await store.resource(m.Account).open({ owner: "gus" });
      const bumped = await store.resource(m.Account).bump(record.id);
      assert.equal(bumped.record.balance, 101);
      const row = await event(bumped.event!.id);
      assert.deepEqual(row["data"], {});
      assert.deepEqual(row["changes"], { balance: 101, updatedAt: bumped.event!.occurredAt.toISOString() });
    });

    test("a set-from-input update keeps input values out of changes", async () => {
      const { record } = await store.resource(m.Account).open({ owner: "hal" });
      const renamed = await store.resource(m.Account).rename(record.id, { owner: "hank" });
      const row = await event(renamed.event!.id);
      assert.deepEqual(row["data"], { owner: "hank" });
      assert.deepEqual(row["changes"], { updatedAt: renamed.event!.occurredAt.toISOString() });
    });

    test("a before hook may adjust attributes: the record and changes hold its value, data the raw input", async () => {
      const { record, event: stored } = await store.resource(m.Account).openTrimmed({ owner: "  ivy  " });
      assert.equal(record.owner, "ivy");
      assert.equal((await rowOf("accounts", record.id))?.["owner"], "ivy");
      const row = await event(stored!.id);
      assert.deepEqual(row["data"], { owner: "  ivy  " });
      assert.equal((row["changes"] as Record<string, unknown>)["owner"], "ivy");
    });
  });

  describe("actors and metadata", () => {
    const actorColumns = async (id: string): Promise<[unknown, unknown]> => {
      const row = await event(id);
      return [row["user_id"], row["system_actor"]];
    };

    test("without an actor both actor columns are null", async () => {
      const { event: stored } = await store.resource(m.Account).open({ owner: "anon" });
      assert.deepEqual(await actorColumns(stored!.id), [null, null]);
      assert.equal(stored!.actor, null);
    });

    test("a user actor fills user_id and a system actor fills system_actor", async () => {
      const upper = await store.resource(m.Account).open({ owner: "u" }, { actor: { user: USER_ID.toUpperCase() } });
      assert.deepEqual(await actorColumns(upper.event!.id), [USER_ID, null]);
      const system = await store.resource(m.Account).open({ owner: "s" }, { actor: { system: "nightly-job" } });
      assert.deepEqual(await actorColumns(system.event!.id), [null, "nightly-job"]);
      assert.deepEqual(system.event!.actor, { type: "system", id: "nightly-job" });
    });

    test("an undeclared actor type, two actors or a malformed uuid are refused before anything is sent", async () => {
      const accounts = store.resource(m.Account);
      const undeclared = await refusedBeforeSending(() => accounts.open({ owner: "x" }, { actor: { robot: "r2" } }));
      assert.equal(undeclared.issues[0]?.path, "actor.robot");
      await refusedBeforeSending(() => accounts.open({ owner: "x" }, { actor: { user: USER_ID, system: "cron" } }));
      const malformed = await refusedBeforeSending(() =>
        accounts.open({ owner: "x" }, { actor: { user: "not-a-uuid" } })
      );
      assert.equal(malformed.issues[0]?.path, "actor.user");
      await refusedBeforeSending(() => accounts.open({ owner: "x" }, { actor: { user: "'; DROP TABLE x; --" } }));
    });

    test("metadata is stored exactly as given", async () => {
      const metadata = { source: "api", requestId: "req-1", nested: { list: [1, "two", null, true] }, quote: "it's" };
      const { event: stored } = await store.resource(m.Account).open({ owner: "meta" }, { metadata });
      assert.deepEqual((await event(stored!.id))["metadata"], metadata);
      assert.deepEqual(stored!.metadata, metadata);
    });

    test("each event stores the version its action had", async () => {
      const { record, event: opened } = await store.resource(m.Account).open({ owner: "ver" });
      const renamed = await store.resource(m.Account).rename(record.id, { owner: "ver2" });
      assert.equal((await event(opened!.id))["version"], 3);
      assert.equal((await event(renamed.event!.id))["version"], 1);
      assert.equal(opened!.version, 3);
    });
  });

  describe("untracked actions", () => {
    test("an ignored action writes its record and no event", async () => {
      const before = await countRows(fx.db, events());
      const result = await store.resource(m.Account).importLegacy({ owner: "old", balance: 7 });
      assert.equal(result.event, null);
      assert.equal((await rowOf("accounts", result.record.id))?.["balance"], 7);
      assert.equal(await countRows(fx.db, events()), before);
    });

    test("actions outside only write their record and no event, actions inside write both", async () => {
      const added = await store.resource(m.Tag).add({ label: "red" });
      assert.ok(added.event !== null);
      const before = await countRows(fx.db, events());
      const relabelled = await store.resource(m.Tag).relabel(added.record.id, { label: "blue" });
      assert.equal(relabelled.event, null);
      assert.equal((await rowOf("tags", added.record.id))?.["label"], "blue");
      assert.equal(await countRows(fx.db, events()), before);
    });
  });

  describe("validation", () => {
    test("invalid input is VALIDATION_FAILED with the path of every bad field, and nothing is sent or written", async () => {
      const error = await refusedBeforeSending(() =>
        store.resource(m.Account).open({ owner: 42, address: { city: "" } } as never)
      );
      assert.deepEqual(error.issues.map((issue) => issue.path), ["owner", "address.city"]);
      assert.deepEqual(error.issues.map((issue) => issue.kind), ["string", "min_length"]);
      assert.ok(!error.message.includes("42"), "the message carries no input value");
      await refusedBeforeSending(() => store.resource(m.Account).deposit("any-id", { amount: "5" } as never));
      await refusedBeforeSending(() => store.resource(m.Account).open({} as never));
    });

    test("an event id that is not a ULID is refused before anything is sent", async () => {
      const error = await refusedBeforeSending(() =>
        store.resource(m.Account).open({ owner: "x" }, { eventId: "01j0000000000000000000000a" })
      );
      assert.equal(error.issues[0]?.path, "eventId");
    });
  });

  describe("correlation and hooks", () => {
    test("a correlation id is generated when absent and taken from the context when given", async () => {
      const first = await store.resource(m.Account).open({ owner: "c1" });
      const second = await store.resource(m.Account).open({ owner: "c2" });
      assert.match(first.event!.correlationId, ULID);
      assert.notEqual(first.event!.correlationId, second.event!.correlationId);
      const given = "request-7f3c";
      const third = await store.resource(m.Account).open({ owner: "c3" }, {
        correlationId: given,
        causationId: "cause-1",
      });
      const row = await event(third.event!.id);
      assert.equal(row["correlation_id"], given);
      assert.equal(row["causation_id"], "cause-1");
    });

    test("actions called from an after hook share the correlation id and name the triggering event as cause", async () => {
      const invited = await store.resource(m.User).invite(
        { email: "ivan@example.com", name: "Ivan" },
        { correlationId: "req-invite", actor: { user: USER_ID } },
      );
      assert.equal(invited.hookError, undefined);
      const caused = (await fx.db.query({
        text: `SELECT * FROM ${events()} WHERE causation_id = $1`,
        params: [invited.event!.id],
      })).rows;
      assert.equal(caused.length, 1);
      assert.equal(caused[0]?.["resource"], "role");
      assert.equal(caused[0]?.["action"], "grant");
      assert.equal(caused[0]?.["correlation_id"], "req-invite");
      assert.equal(caused[0]?.["user_id"], USER_ID);
      assert.deepEqual(caused[0]?.["data"], { userId: invited.record.id, role: "member" });
      assert.ok((caused[0]?.["position"] as bigint) > invited.event!.position);
      const generated = await store.resource(m.User).invite({ email: "jan@example.com", name: "Jan" });
      const child = await fx.db.query({
        text: `SELECT correlation_id FROM ${events()} WHERE causation_id = $1`,
        params: [generated.event!.id],
      });
      assert.equal(
        child.rows[0]?.["correlation_id"],
        generated.event!.correlationId,
        "a generated correlation id is shared too",
      );
    });

    test("a failing after hook is reported on hookError while the action stays committed", async () => {
      const result = await store.resource(m.User).inviteBroken({ email: "x@example.com", name: "X" });
      assert.ok(result.hookError !== undefined);
      assert.ok(isEdgeEventsError(result.hookError, "HOOK_FAILED"));
      assert.equal((result.hookError.cause as Error).message, "mailer down");
      assert.equal(hookErrors.at(-1), result.hookError, "onHookError saw the same error");
      assert.ok(await rowOf("users", result.record.id));
      assert.equal((await event(result.event!.id))["action"], "inviteBroken");
    });
  });

  describe("tenants", () => {
    test("the tenant comes from the context, never the input, and is stored on the event", async () => {
      const { record, event: stored } = await store.resource(m.Project).start(
        { title: "Apollo", orgId: "evil-corp" },
        { tenant: "acme" },
      );
      assert.equal(record.orgId, "acme");
      assert.equal((await rowOf("projects", record.id))?.["org_id"], "acme");
      const row = await event(stored!.id);
      assert.equal(row["tenant"], "acme");
      assert.deepEqual(row["data"], { title: "Apollo", orgId: "evil-corp" });
      assert.equal((row["changes"] as Record<string, unknown>)["orgId"], "acme");
    });

    test("a before hook that moves a create to another tenant is refused before anything is sent", async () => {
      const error = await refusedBeforeSending(() =>
        store.resource(m.Project).startElsewhere({ title: "Moved" }, { tenant: "acme" })
      );
      assert.equal(error.issues[0]?.path, "orgId");
    });

    test("a call without a tenant is refused before anything is sent", async () => {
      const error = await refusedBeforeSending(() => store.resource(m.Project).start({ title: "Orphan" }));
      assert.equal(error.issues[0]?.path, "tenant");
      await refusedBeforeSending(() => store.resource(m.Project).retitle("any", { title: "x" }));
    });

    test("an update under another tenant is NOT_FOUND and leaves the record alone", async () => {
      const { record } = await store.resource(m.Project).start({ title: "Gemini" }, { tenant: "acme" });
      const before = await countRows(fx.db, events());
      await rejectsWith(
        store.resource(m.Project).retitle(record.id, { title: "stolen" }, { tenant: "globex" }),
        "NOT_FOUND",
      );
      assert.equal(await countRows(fx.db, events()), before);
      assert.equal((await rowOf("projects", record.id))?.["title"], "Gemini");
      const retitled = await store.resource(m.Project).retitle(record.id, { title: "Gemini II" }, { tenant: "acme" });
      assert.equal(retitled.record.title, "Gemini II");
      assert.equal(retitled.event!.tenant, "acme");
    });
  });

  describe("transactions", () => {
    test("a user and its first role are created together in one database transaction", async () => {
      const results = await store.transaction((tx) => {
        const user = tx.resource(m.User).register({ email: "tx@example.com", name: "Tx" });
        tx.resource(m.Role).grant({ userId: user.recordId, role: "owner" });
      });
      assert.equal(results.length, 2);
      const [user, role] = results as [
        typeof results[0] & { record: { id: string } },
        typeof results[0] & { record: { userId: string } },
      ];
      assert.equal(role.record.userId, user.record.id);
      const rows = await Promise.all([event(user.event!.id), event(role.event!.id)]);
      assert.equal(rows[0]["tx_id"], rows[1]["tx_id"], "both events were written by one transaction");
      assert.equal(rows[1]["position"], (rows[0]["position"] as bigint) + 1n);
    });

    test("when the second action finds no record, neither record nor event is written", async () => {
      const before = await Promise.all([countRows(fx.db, events()), countRows(fx.db, `${fx.schema}.users`)]);
      await rejectsWith(
        store.transaction((tx) => {
          tx.resource(m.User).register({ email: "gone@example.com", name: "Gone" });
          tx.resource(m.Role).revoke("01J00000000000000000000000");
        }),
        "NOT_FOUND",
      );
      assert.deepEqual(await Promise.all([countRows(fx.db, events()), countRows(fx.db, `${fx.schema}.users`)]), before);
    });

    test("when the database refuses the second action, neither record nor event is written", async () => {
      const existing = await store.resource(m.Role).grant({ userId: "someone", role: "reader" });
      const tables = ["events", "users", "roles"].map((t) => `${fx.schema}.${t}`);
      const before = await Promise.all(tables.map((t) => countRows(fx.db, t)));
      const error = await rejectsWith<Error & { sqlState?: string }>(
        store.transaction((tx) => {
          const user = tx.resource(m.User).register({ email: "dup@example.com", name: "Dup" });
          tx.resource(m.Role).grantWithId({ id: existing.record.id, userId: user.recordId, role: "owner" });
        }),
        "STORAGE_FAILURE",
      );
      assert.equal(error.sqlState, "23505");
      assert.deepEqual(await Promise.all(tables.map((t) => countRows(fx.db, t))), before);
    });

    test("an invalid planned action refuses the whole transaction before anything is sent", async () => {
      await refusedBeforeSending(() =>
        store.transaction((tx) => {
          tx.resource(m.User).register({ email: "ok@example.com", name: "Ok" });
          tx.resource(m.Role).grant({ userId: 7, role: "owner" } as never);
        })
      );
    });
  });
});

describe("definition mistakes throw at definition time", () => {
  const attributes = v.object({ id: v.string(), name: v.string() });
  const resource = (overrides: Record<string, unknown>) => () =>
    defineResource({ name: "thing", table: "things", attributes, actions: () => ({}), ...overrides } as never);

  test("accept naming an unknown attribute is a TypeError", () => {
    assert.throws(
      resource({ actions: ({ create }: never) => ({ make: (create as AnyFunction)({ accept: ["nope"] }) }) }),
      TypeError,
    );
  });

  test("an alias that repeats an action name, or another alias, is a TypeError", () => {
    assert.throws(
      resource({
        actions: ({ create, update }: never) => ({
          make: (create as AnyFunction)(),
          rename: (update as AnyFunction)({ aliases: ["make"] }),
        }),
      }),
      /Duplicate action name "make"/,
    );
    assert.throws(
      resource({
        actions: ({ update }: never) => ({
          rename: (update as AnyFunction)({ aliases: ["retitle"] }),
          relabel: (update as AnyFunction)({ aliases: ["retitle"] }),
        }),
      }),
      /Duplicate action name "retitle"/,
    );
  });

  test("invalid identifiers, injection attempts included, are TypeErrors", () => {
    const hostile = [
      'users"; DROP TABLE x; --',
      "users; DROP TABLE x",
      "a.b.c",
      "1users",
      "",
      "us ers",
      "x".repeat(64),
    ];
    for (const table of hostile) assert.throws(resource({ table }), TypeError, `table ${JSON.stringify(table)}`);
    assert.throws(resource({ columns: { name: 'name"; DROP TABLE x; --' } }), TypeError);
    assert.throws(resource({ columns: { name: "id" } }), TypeError, "two attributes on one column");
    for (const table of hostile) assert.throws(() => defineEventLog({ table }), TypeError);
    assert.throws(() => defineEventLog({ actors: { user: { column: "user_id; --", type: "uuid" } } }), TypeError);
    assert.throws(() => defineEventLog({ actors: { 'x"y': { column: "x", type: "text" } } }), TypeError);
    assert.throws(() => defineEventLog({ actors: { user: { column: "position", type: "uuid" } } }), TypeError);
    assert.throws(() => sql`balance; DROP TABLE x`, TypeError);
    assert.throws(() => sql`balance -- ${1}`, TypeError);
  });

  test("a resource without a primary key is a TypeError", () => {
    assert.throws(resource({ attributes: v.object({ name: v.string() }) }), /no primary key/);
    assert.throws(resource({ primaryKey: "uuid" }), /no primary key/);
  });

  test("tenant, timestamps, soft and only naming unknown attributes or actions are TypeErrors", () => {
    assert.throws(resource({ tenant: "orgId" }), TypeError);
    assert.throws(resource({ timestamps: { createdAt: "insertedAt" } }), TypeError);
    assert.throws(
      resource({ actions: ({ destroy }: never) => ({ drop: (destroy as AnyFunction)({ soft: "deletedAt" }) }) }),
      TypeError,
    );
    assert.throws(resource({ only: ["missing"] }), TypeError);
  });

  test("two resources with one name in one store are a TypeError", () => {
    const a = defineResource({ name: "dup", table: "a", attributes, actions: () => ({}) });
    const b = defineResource({ name: "dup", table: "b", attributes, actions: () => ({}) });
    assert.throws(() => createEventStore({ db: {} as never, log: defineEventLog(), resources: [a, b] }), TypeError);
  });
});
