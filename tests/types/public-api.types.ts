// Type tests of the public API, checked by `tsc --noEmit` (the typecheck step of npm test) and
// never run: each `@ts-expect-error` must meet an error, or the check fails ("unused directive"),
// and each `expectTrue<Equal<...>>()` must hold.
import * as v from "valibot";
import {
  type ActionResult,
  type ActionStore,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  type Executor,
  ref,
  type SavepointErrorHandler,
  type SavepointFailure,
  sql,
} from "../../mod.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only when `T` is `true`: `expectTrue<Equal<A, B>>()`. */
function expectTrue<T extends true>(): T | void {}

declare const db: Executor;

const log = defineEventLog({
  actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
});

interface Account {
  id: string;
  owner: string;
  balance: number;
}

const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({ id: v.string(), owner: v.string(), balance: v.number() }),
  actions: ({ create, update, destroy }) => ({
    open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
    deposit: update({
      input: v.object({ amount: v.number() }),
      set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }),
    }),
    close: destroy(),
  }),
});

const Note = defineResource({
  name: "note",
  table: "notes",
  attributes: v.object({ id: v.string(), text: v.string() }),
  actions: ({ create }) => ({ write: create({ input: v.object({ text: v.string() }) }) }),
});

const store = createEventStore({ db, log, resources: [Account, Note] });
expectTrue<Equal<typeof store, EventStore<"user" | "system">>>();

export async function actorNames(): Promise<void> {
  await store.resource(Account).open({ owner: "ada" }, { actor: { user: "0190a1b2-0000-7000-8000-000000000000" } });
  await store.resource(Account).open({ owner: "ada" }, { actor: { system: "cron" } });
  // @ts-expect-error an actor type the log does not declare
  await store.resource(Account).open({ owner: "ada" }, { actor: { usr: "u1" } });
  // @ts-expect-error also through withContext
  store.withContext({ actor: { admin: "root" } });
  const scoped = store.withContext({ tenant: "t1" });
  // @ts-expect-error and through a scoped store's calls
  await scoped.resource(Account).deposit("a1", { amount: 1 }, { actor: { usr: "u1" } });
}

export function logWithoutActors(): void {
  const bare = createEventStore({ db, log: defineEventLog({}), resources: [Note] });
  // @ts-expect-error a log without actor types takes no actor
  void bare.resource(Note).write({ text: "x" }, { actor: { user: "u1" } });
  void bare.resource(Note).write({ text: "x" }, {});
}

export function refNames(): void {
  defineResource({
    name: "account",
    table: "accounts",
    attributes: v.object({ id: v.string(), balance: v.number() }),
    actions: ({ update }) => ({
      deposit: update({
        input: v.object({ amount: v.number() }),
        // @ts-expect-error ref() names an attribute the resource does not have
        set: ({ amount }) => ({ balance: sql`${ref("balnce")} + ${amount}` }),
      }),
      ok: update({
        input: v.object({ amount: v.number() }),
        set: ({ amount }) => ({ balance: sql`${ref("balance")} * ${amount}` }),
      }),
      nested: update({ input: v.object({}), set: () => ({ balance: sql`abs(${sql`${ref("balance")} - 1`})` }) }),
    }),
  });
}

export function upsertIdentities(): void {
  defineResource({
    name: "member",
    table: "members",
    attributes: v.object({ id: v.string(), email: v.string() }),
    actions: ({ create }) => ({
      join: create({ input: v.object({ email: v.string() }), upsert: { identity: ["email"] } }),
      // @ts-expect-error an identity names attributes of the resource
      typo: create({ input: v.object({ email: v.string() }), upsert: { identity: ["emial"] } }),
      // @ts-expect-error an identity has at least one attribute
      none: create({ input: v.object({ email: v.string() }), upsert: { identity: [] } }),
    }),
  });
}

export async function transactionResults(): Promise<void> {
  const typed = await store.transaction((
    tx,
  ) => [tx.resource(Account).open({ owner: "ada" }), tx.resource(Note).write({ text: "hi" })]);
  expectTrue<Equal<typeof typed, [ActionResult<Account>, ActionResult<{ id: string; text: string }>]>>();
  const owner: string = typed[0].record.owner;
  const text: string = typed[1].record.text;
  void owner, text;
  const untyped = await store.transaction((tx) => {
    tx.resource(Account).open({ owner: "ada" });
  });
  expectTrue<Equal<typeof untyped, ActionResult<unknown>[]>>();
  // @ts-expect-error the planning functions take the action's input
  await store.transaction((tx) => [tx.resource(Account).open({ owner: 1 })]);
}

export function oneBadActionLeavesTheOthersTyped(): void {
  const Broken = defineResource({
    name: "broken",
    table: "broken",
    attributes: v.object({ id: v.string(), title: v.string() }),
    actions: ({ create, update }) => ({
      add: create({ input: v.object({ title: v.string() }) }),
      // @ts-expect-error a change function that returns an attribute the resource lacks
      bad: update({ input: v.object({}), change: () => ({ nope: 1 }) }),
    }),
  });
  const client = createEventStore({ db, log, resources: [Broken] }).resource(Broken);
  // Not `possibly undefined`: the good action keeps its exact signature.
  const add: (input: { title: string }, ctx?: object) => Promise<ActionResult<{ id: string; title: string }>> =
    client.add;
  void add;
}

export function afterHooksGetTheActionsOnly(): void {
  defineResource({
    name: "hooked",
    table: "hooked",
    attributes: v.object({ id: v.string(), title: v.string() }),
    actions: ({ create }) => ({
      add: create({
        input: v.object({ title: v.string() }),
        after: async (_record, { store }) => {
          expectTrue<Equal<typeof store, ActionStore>>();
          // @ts-expect-error a hook cannot migrate
          await store.migrate();
          // @ts-expect-error nor reach the executor
          void store.db;
          // @ts-expect-error nor read the log
          await store.readEvents();
          const scoped: ActionStore = store.withContext({ metadata: { from: "hook" } });
          // @ts-expect-error withContext keeps it narrow
          void scoped.log;
        },
      }),
    }),
  });
}

export function automaticSavepointsAreTyped(): void {
  const Counted = defineResource({
    name: "counted",
    table: false,
    savepointEvery: 50,
    attributes: v.object({ id: v.string(), count: v.number() }),
    actions: ({ create }) => ({ open: create({ input: v.object({ id: v.string() }), defaults: { count: 0 } }) }),
  });
  const onSavepointError: SavepointErrorHandler = (error, failure) => {
    expectTrue<Equal<typeof error, unknown>>();
    expectTrue<Equal<typeof failure, SavepointFailure>>();
    const named: string = failure.resource;
    void named;
  };
  createEventStore({ db, log, resources: [Counted], onSavepointError });
  defineResource({
    name: "wrong",
    table: "wrong",
    // @ts-expect-error savepointEvery is a number of events
    savepointEvery: "50",
    attributes: v.object({ id: v.string() }),
    actions: ({ create }) => ({ add: create({}) }),
  });
  // @ts-expect-error the handler is a function of the error and the record
  createEventStore({ db, log, resources: [Counted], onSavepointError: "log" });
}

export async function expectedPositions(): Promise<void> {
  const accounts = store.resource(Account);
  const held = await accounts.open({ owner: "ada" });
  const position = held.event!.position;
  await accounts.deposit(held.record.id, { amount: 1 }, { expectedPosition: position, actor: { system: "cron" } });
  await accounts.close(held.record.id, {}, { expectedPosition: position });
  await accounts.deposit(held.record.id, { amount: 1 }, { expectedPosition: position, record: held.record });
  // @ts-expect-error a position is a bigint, never a number
  await accounts.deposit(held.record.id, { amount: 1 }, { expectedPosition: 3 });
  // @ts-expect-error the record held is a record of the resource
  await accounts.deposit(held.record.id, { amount: 1 }, { expectedPosition: position, record: { id: "a" } });
  // @ts-expect-error a create has no expected position
  await accounts.open({ owner: "ada" }, { expectedPosition: position });
  // @ts-expect-error a store context carries no precondition
  store.withContext({ expectedPosition: position });
  await store.transaction((tx) => {
    tx.resource(Account).deposit(held.record.id, { amount: 1 }, { expectedPosition: position });
    // @ts-expect-error also in a transaction
    tx.resource(Account).deposit(held.record.id, { amount: 1 }, { expectedPosition: 3 });
  });
}
