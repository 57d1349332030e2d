// edge-events in one file: users and bank accounts on an in-memory PGlite.
// Run it with `npm run demo`. In production, swap `pglite(db)` for `neonHttp(neon(url))`.
import { memoryPglite } from "./support/memory-pglite.ts";
import { ulid } from "ulid";
import * as v from "valibot";
import {
  createEventStore,
  defineEventLog,
  defineResource,
  isEdgeEventsError,
  ref,
  sql,
  ValidationError,
} from "../mod.ts";
import { pglite } from "../src/drivers/pglite/mod.ts";

// One event log for every resource; each actor type gets its own column.
const log = defineEventLog({
  actors: { user: { column: "user_id", type: "uuid" }, system: { column: "system_actor", type: "text" } },
});

const Amount = v.object({ amount: v.pipe(v.number(), v.integer(), v.minValue(1)) }); // in cents

const Account = defineResource({
  name: "account",
  table: "accounts",
  attributes: v.object({
    id: v.string(),
    ownerId: v.pipe(v.string(), v.uuid()),
    currency: v.picklist(["EUR", "USD"]),
    balance: v.pipe(v.number(), v.integer(), v.minValue(0)),
    status: v.picklist(["open", "archived"]),
    openedAt: v.date(),
  }),
  timestamps: { createdAt: "openedAt" },
  actions: ({ create, update, destroy }) => ({
    open: create({
      input: v.object({
        ownerId: v.pipe(v.string(), v.uuid()),
        currency: v.optional(v.picklist(["EUR", "USD"]), "EUR"),
      }),
      defaults: { balance: 0, status: "open" },
    }),
    // Atomic: the database computes the new balance in the write itself; no read, no race.
    deposit: update({ input: Amount, set: ({ amount }) => ({ balance: sql`${ref("balance")} + ${amount}` }) }),
    // Change function: reads the account, then writes only if no other event landed since.
    withdraw: update({
      input: Amount,
      change: (account, { amount }) => {
        if (account.balance < amount) {
          throw new ValidationError("Insufficient funds", [{
            path: "amount",
            message: "Insufficient funds",
            kind: "funds",
          }]);
        }
        return { balance: account.balance - amount };
      },
    }),
    archive: update({ change: () => ({ status: "archived" }) }),
    remove: destroy(),
  }),
});

const User = defineResource({
  name: "user",
  table: "users",
  attributes: v.object({
    id: v.string(),
    email: v.pipe(v.string(), v.email()),
    name: v.pipe(v.string(), v.minLength(1)),
    createdAt: v.date(),
    updatedAt: v.date(),
    deletedAt: v.nullish(v.date()),
  }),
  primaryKey: { attribute: "id", generate: "uuidv7" }, // a UUID, so it can be the `user` actor
  timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
  actions: ({ create, update, destroy }) => ({
    register: create({
      input: v.object({ email: v.pipe(v.string(), v.email()), name: v.pipe(v.string(), v.minLength(1)) }),
      // After commit: open a first account. Its event names this one as its cause.
      after: async (user, { store }) => {
        await store.resource(Account).open({ ownerId: user.id }, { actor: { system: "onboarding" } });
      },
    }),
    rename: update({ input: v.object({ name: v.pipe(v.string(), v.minLength(1)) }) }),
    deactivate: destroy({ soft: "deletedAt" }), // keeps the row, sets deletedAt
  }),
});

const db = await memoryPglite(); // in memory (new PGlite(), see examples/support)
const store = createEventStore({ db: pglite(db), log, resources: [User, Account] });
await store.migrate({ resourceTables: true }); // the event log, plus tables from the definitions

const users = store.resource(User);
const accounts = store.resource(Account);
const signup = { actor: { system: "signup-api" }, metadata: { source: "api", requestId: "req-1" } };

const { record: ada } = await users.register({ email: "ada@example.com", name: "Ada" }, signup);
const { record: bob } = await users.register({ email: "bob@example.com", name: "Bob" }, signup);
// Resource tables are ordinary tables: query them as you like.
const accountOf = async (ownerId: string): Promise<string> =>
  (await db.query<{ id: string }>("SELECT id FROM accounts WHERE owner_id = $1", [ownerId])).rows[0]!.id;
const adaChecking = await accountOf(ada.id); // opened by the after hook of register

// Everything Ada does in this request shares her actor, metadata and correlation id.
const asAda = store.withContext({
  actor: { user: ada.id },
  metadata: { source: "app", requestId: "req-2" },
  correlationId: "req-2",
});
const { record: savings } = await asAda.resource(Account).open({ ownerId: ada.id, currency: "EUR" });
await asAda.resource(Account).deposit(adaChecking, { amount: 100_00 });
await asAda.resource(User).rename(ada.id, { name: "Ada Lovelace" });

// A transfer: both writes commit together, or neither does.
await asAda.transaction((tx) => {
  tx.resource(Account).withdraw(adaChecking, { amount: 30_00 });
  tx.resource(Account).deposit(savings.id, { amount: 30_00 });
});

// An idempotent retry: the same event id returns the first outcome and writes nothing.
const eventId = ulid();
const first = await accounts.deposit(savings.id, { amount: 5_00 }, { actor: { user: ada.id }, eventId });
const retry = await accounts.deposit(savings.id, { amount: 5_00 }, { actor: { user: ada.id }, eventId });
console.log(
  `deposit: duplicate=${first.duplicate}, retry: duplicate=${retry.duplicate}, balance ${retry.record.balance}`,
);

// Refused, nothing written: invalid input, and a withdrawal that would overdraw.
for (
  const attempt of [
    () => users.register({ email: "not-an-email", name: "" }),
    () => accounts.withdraw(savings.id, { amount: 1_000_00 }, { actor: { user: ada.id } }),
  ]
) {
  try {
    await attempt();
  } catch (err) {
    if (!isEdgeEventsError(err, "VALIDATION_FAILED")) throw err;
    console.log(`${err.code}: ${err.issues.map((issue) => `${issue.path} (${issue.message})`).join(", ")}`);
  }
}

// Bob leaves: his account is archived, then deleted; his user row is soft-destroyed.
const bobAccount = await accountOf(bob.id);
const asOps = { actor: { system: "ops" }, metadata: { source: "admin", requestId: "req-3" }, correlationId: "req-3" };
await accounts.archive(bobAccount, {}, asOps);
await accounts.remove(bobAccount, {}, asOps);
await users.deactivate(bob.id, {}, asOps);

// The log: every write above, in commit order (positions may skip numbers; never order).
const cut = (text: string, n = 40): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const tail = (id: string | null): string => (id === null ? "-" : id.length > 12 ? `…${id.slice(-6)}` : id);
const rows = (await store.readEvents()).map((e) => [
  String(e.position),
  tail(e.id),
  `${e.resource}.${e.action}`,
  tail(e.recordId),
  e.actor === null ? "-" : `${e.actor.type}:${tail(e.actor.id)}`,
  cut(JSON.stringify(e.data)),
  cut(JSON.stringify(e.changes)),
  tail(e.correlationId),
  tail(e.causationId),
]);
const header = ["pos", "event", "action", "record", "actor", "data", "changes", "correlation", "cause"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
await db.close();
