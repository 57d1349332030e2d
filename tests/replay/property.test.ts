// Property: for random sequences of actions (creates, every kind of update, hard and soft
// destroys, restores and purges, upserts on a handle, transactions, tenants, and hand-written legacy v1 events that replay routes),
// the tables after live execution equal the tables after a full replay, row by row.
//
// The seed is random per run and printed on failure; SEED=<n> replays a run exactly.
import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  ref,
  replay,
  replayStep,
  sql,
} from "../../mod.ts";
import type { SqlStatement } from "../../src/core/executor.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import type { ExecutorFixture } from "../support/executors.ts";
import {
  ACCOUNT_ENTRIES,
  DEPOSIT_INPUT,
  depositSet,
  prefixedTables,
  projectResource,
  TIMESTAMP_ENTRIES,
} from "../support/models.ts";
import { countRows } from "../support/store-helpers.ts";
import { legacyEventSql, mulberry32, snapshot, tickingClock } from "./replay-helpers.ts";
import { stressSize } from "../support/stress.ts";

const SEQUENCES = stressSize(20, 8);
const ACTIONS = 60;
const PARALLEL = 3;
const BASE_SEED = process.env["SEED"] === undefined || process.env["SEED"] === ""
  ? crypto.getRandomValues(new Uint32Array(1))[0]!
  : Number(process.env["SEED"]) >>> 0;

function model(schema: string, prefix: string, lockKey: readonly [number, number]) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({
    table: t("events"),
    // A key of its own: the default global key is shared with every other suite on this database.
    lock: { key: () => lockKey },
    replayOverrides: [
      { resource: "account", action: "openLegacy", versions: [1], routeTo: [["account", "importLegacy"]] },
      { resource: "account", action: "adjustLegacy", versions: [1], routeTo: [["account", "setBalance"]] },
      {
        resource: "account",
        action: "openWithNote",
        versions: [1],
        routeTo: [["account", "importLegacy"], ["note", "importNote"]],
      },
    ],
  });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    attributes: v.object({
      ...ACCOUNT_ENTRIES,
      visits: v.optional(v.bigint()),
      tags: v.optional(v.array(v.string())),
      handle: v.nullish(v.string()),
      ...TIMESTAMP_ENTRIES,
    }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy, restore, purge }) => ({
      open: create({
        input: v.object({ owner: v.string(), tags: v.optional(v.array(v.string())) }),
        defaults: { balance: 0, visits: 0n },
        change: (input) => ({ label: input.owner.slice(0, 3) }),
      }),
      // An upsert: the first claim of a handle opens an account, later ones update it.
      claim: create({
        input: v.object({ handle: v.string(), owner: v.string() }),
        defaults: { balance: 0, visits: 0n },
        change: (input) => ({ label: input.owner.slice(0, 3) }),
        upsert: { identity: ["handle"] },
      }),
      rename: update({ input: v.object({ owner: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      visit: update({ set: () => ({ visits: sql`${ref("visits")} + ${1n}` }) }),
      bump: update({
        change: (record) => ({ balance: record.balance * 2, status: record.balance > 100 ? "frozen" : "open" }),
      }),
      close: destroy({ soft: "deletedAt" }),
      reopen: restore({ soft: "deletedAt" }),
      remove: destroy(),
      erase: purge(),
      importLegacy: create({
        input: v.object({ name: v.string(), cents: v.number() }),
        map: (input) => ({ owner: input.name, balance: input.cents / 100 }),
        ignored: true,
      }),
      setBalance: update({ input: v.object({ balance: v.number() }), ignored: true }),
    }),
  });
  const Note = defineResource({
    name: "note",
    table: t("notes"),
    attributes: v.object({ id: v.string(), text: v.string() }),
    actions: ({ create }) => ({
      importNote: create({
        input: v.object({ name: v.string(), cents: v.number(), text: v.string() }),
        map: (input) => ({ text: input.text }),
        ignored: true,
      }),
    }),
  });
  const Project = projectResource(t("projects"));
  return {
    log,
    Account,
    Note,
    Project,
    events: t("events"),
    tables: [t("accounts"), t("notes"), t("projects")] as const,
  };
}

type Model = ReturnType<typeof model>;

/** What the generator knows of the live state, to pick targets that exist. */
interface World {
  readonly open: string[];
  readonly closed: string[];
  readonly projects: { id: string; org: string }[];
  /** The account each handle was last claimed by. */
  readonly handles: Map<string, string>;
  legacyRouted: number;
  legacyCounter: number;
}

const pick = <T>(random: () => number, items: readonly T[]): T | undefined =>
  items.length === 0 ? undefined : items[Math.floor(random() * items.length)];
const remove = <T>(items: T[], item: T): void => {
  const i = items.indexOf(item);
  if (i !== -1) items.splice(i, 1);
};
const word = (random: () => number): string => Math.floor(random() * 36 ** 4).toString(36);
const money = (random: () => number): number => Math.round((random() * 200 - 50) * 100) / 100;

/** One random step: a live action, a transaction, or a legacy event written by hand with its row change. */
async function step(
  store: EventStore,
  m: Model,
  fx: ExecutorFixture,
  random: () => number,
  clock: () => Date,
  world: World,
): Promise<string> {
  const accounts = store.resource(m.Account);
  const projects = store.resource(m.Project);
  const roll = random();
  const open = pick(random, world.open);
  if (roll < 0.16 || open === undefined) {
    const tags = random() < 0.3 ? [word(random), word(random)] : undefined;
    const { record } = await accounts.open({ owner: word(random), ...(tags === undefined ? {} : { tags }) });
    world.open.push(record.id);
    return "open";
  }
  if (roll < 0.26) return (await accounts.rename(open, { owner: word(random) }), "rename");
  if (roll < 0.38) return (await accounts.deposit(open, { amount: money(random) }), "deposit");
  if (roll < 0.44) return (await accounts.visit(open), "visit");
  if (roll < 0.52) return (await accounts.bump(open), "bump");
  if (roll < 0.56) {
    await accounts.close(open);
    remove(world.open, open);
    world.closed.push(open);
    return "close";
  }
  if (roll < 0.60) {
    await accounts.remove(open);
    remove(world.open, open);
    return "remove";
  }
  if (roll < 0.68) {
    const other = pick(random, world.open)!;
    let created = "";
    await store.transaction((tx) => {
      created = tx.resource(m.Account).open({ owner: word(random) }).recordId;
      tx.resource(m.Account).deposit(other, { amount: money(random) });
      tx.resource(m.Account).deposit(created, { amount: money(random) });
    });
    world.open.push(created);
    return "transaction";
  }
  if (roll < 0.80) {
    const project = pick(random, world.projects);
    if (project === undefined || random() < 0.4) {
      const org = pick(random, ["org-a", "org-b", "org-c"])!;
      const { record } = await projects.start({ title: word(random) }, { tenant: org });
      world.projects.push({ id: record.id, org });
      return "start";
    }
    if (random() < 0.7) {
      return (await projects.retitle(project.id, { title: word(random) }, { tenant: project.org }), "retitle");
    }
    await projects.drop(project.id, {}, { tenant: project.org });
    remove(world.projects, project);
    return "drop";
  }
  if (roll < 0.84) {
    // A write that fails writes nothing.
    const missing = pick(random, world.closed) ?? "01J00000000000000000000000";
    await assert.rejects(
      accounts.rename(missing, { owner: "ghost" }),
      (error) => isEdgeEventsError(error, "NOT_FOUND"),
    );
    return "missing";
  }
  if (roll < 0.88) {
    const closed = pick(random, world.closed);
    if (closed === undefined || random() < 0.3) {
      // A soft destroy and its restore in one transaction, then a change of the live record.
      await store.transaction((tx) => {
        tx.resource(m.Account).close(open);
        tx.resource(m.Account).reopen(open);
        tx.resource(m.Account).deposit(open, { amount: money(random) });
      });
      return "close-reopen";
    }
    await accounts.reopen(closed);
    remove(world.closed, closed);
    world.open.push(closed);
    return "reopen";
  }
  if (roll < 0.91) {
    const closed = pick(random, world.closed);
    const target = closed !== undefined && random() < 0.6 ? closed : open;
    await accounts.erase(target);
    remove(world.closed, target);
    remove(world.open, target);
    return "erase";
  }
  if (roll < 0.95) {
    const handle = pick(random, ["h1", "h2", "h3", "h4"])!;
    const holder = world.handles.get(handle);
    // A soft-destroyed holder keeps its handle out of the (live-only) index: a claim would open
    // a second account with it, and a later restore of the first would collide.
    if (holder === undefined || !world.closed.includes(holder)) {
      const { record } = await accounts.claim({ handle, owner: word(random) });
      assert.ok(holder === undefined || !world.open.includes(holder) || record.id === holder);
      if (!world.open.includes(record.id)) world.open.push(record.id);
      world.handles.set(handle, record.id);
      return "claim";
    }
  }
  return legacy(m, fx, random, clock, world, open);
}

/** A legacy v1 event and the row change the old app made with it, in one batch. */
async function legacy(
  m: Model,
  fx: ExecutorFixture,
  random: () => number,
  clock: () => Date,
  world: World,
  open: string,
): Promise<string> {
  const at = clock();
  const [accounts, notes] = m.tables;
  const statements: SqlStatement[] = [];
  const kind = random();
  if (kind < 0.4) {
    const balance = money(random);
    statements.push(
      { text: `UPDATE ${accounts} SET balance = $1, updated_at = $2 WHERE id = $3`, params: [balance, at, open] },
      legacyEventSql(m.events, {
        resource: "account",
        recordId: open,
        action: "adjustLegacy",
        actionType: "update",
        version: 1,
        data: { balance },
        changes: { updatedAt: at.toISOString() },
        occurredAt: at,
      }),
    );
  } else {
    const id = `legacy-${++world.legacyCounter}`;
    const name = word(random);
    const cents = Math.floor(random() * 100_000);
    const withNote = kind >= 0.7;
    statements.push(
      {
        text:
          `INSERT INTO ${accounts} (id, owner, status, balance, created_at, updated_at) VALUES ($1, $2, 'open', $3, $4, $4)`,
        params: [id, name, cents / 100, at],
      },
      legacyEventSql(m.events, {
        resource: "account",
        recordId: id,
        action: withNote ? "openWithNote" : "openLegacy",
        actionType: "create",
        version: 1,
        data: withNote ? { name, cents, text: `note of ${name}` } : { name, cents },
        changes: { createdAt: at.toISOString(), updatedAt: at.toISOString() },
        occurredAt: at,
      }),
    );
    if (withNote) {
      statements.push({ text: `INSERT INTO ${notes} (id, text) VALUES ($1, $2)`, params: [id, `note of ${name}`] });
    }
    world.open.push(id);
  }
  await fx.db.batch(statements);
  world.legacyRouted++;
  return "legacy";
}

describeEachExecutor("replay property", {}, (fx) => {
  const runSequence = async (index: number): Promise<void> => {
    const seed = (BASE_SEED + index) >>> 0;
    const random = mulberry32(seed);
    const m = model(fx.schema, `p${index}`, [0x72706c79, seed | 0]);
    const clock = tickingClock(new Date(Date.UTC(2024, 0, 1 + index)));
    const pageSize = 1 + Math.floor(random() * 25);
    const store = createEventStore({
      db: fx.db,
      log: m.log,
      resources: [m.Account, m.Note, m.Project],
      clock,
      replay: { clear: "tracked-tables", pageSize },
    });
    const world: World = {
      open: [],
      closed: [],
      projects: [],
      handles: new Map(),
      legacyRouted: 0,
      legacyCounter: 0,
    };
    const trail: string[] = [];
    try {
      await store.migrate({ resourceTables: true });
      for (let i = 0; i < ACTIONS; i++) trail.push(await step(store, m, fx, random, clock, world));
      const live = await snapshot(fx.db, m.tables);
      const events = await countRows(fx.db, m.events);

      let result;
      if (random() < 0.5) {
        result = await replay(store);
      } else {
        result = await replayStep(store, { budgetMs: 1 });
        while (!result.done) result = await replayStep(store, { cursor: result.replayId, budgetMs: 1 });
      }

      assert.deepEqual(await snapshot(fx.db, m.tables), live);
      assert.equal(result.applied, events);
      assert.equal(result.skipped, 0);
      assert.equal(result.routed, world.legacyRouted);
      assert.equal(await countRows(fx.db, m.events), events, "replay wrote no events");
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Sequence ${index} failed: rerun with SEED=${BASE_SEED} (sequence seed ${seed}, page size ${pageSize}); ` +
          `actions: ${trail.join(" ")}\n${message}`,
        { cause: error },
      );
    }
  };

  // Sequences run PARALLEL at a time, each reported by its own test: a test starts the
  // ones ahead of it and waits for its own, so no single test runs long.
  const started: Promise<void>[] = [];
  const startUpTo = (last: number): void => {
    while (started.length <= Math.min(last, SEQUENCES - 1)) {
      const sequence = runSequence(started.length);
      sequence.catch(() => undefined);
      started.push(sequence);
    }
  };
  for (let index = 0; index < SEQUENCES; index++) {
    test(`sequence ${index}: the tables after ${ACTIONS} random actions equal the tables a full replay rebuilds`, async () => {
      startUpTo(index + PARALLEL - 1);
      await started[index];
    });
  }
});
