// Property (fast-check, a few short runs per executor): for random action sequences (creates,
// renames, atomic deposits, change-function bumps, soft and hard destroys, transactions and
// legacy v1 events that replay routes), stateAt at every event equals the record the live
// action returned, and at two sampled events and the last equals the table a replay up to that event rebuilds
// (records absent from that table are not created or hard-destroyed there).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, replay, stateAt, type StoredEvent } from "../../mod.ts";
import { rowToRecord } from "../../src/core/record-mapping.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { ACCOUNT_ENTRIES, DEPOSIT_INPUT, depositSet, prefixedTables, TIMESTAMP_ENTRIES } from "../support/models.ts";
import { legacyEventSql, tickingClock } from "../replay/replay-helpers.ts";

const RUNS = 3;

function model(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({
    table: t("events"),
    lock: { key: () => [0x68697374, prefix.length] },
    replayOverrides: [
      { resource: "account", action: "adjustLegacy", versions: [1], routeTo: [["account", "setBalance"]] },
    ],
  });
  const Account = defineResource({
    name: "account",
    table: t("accounts"),
    attributes: v.object({ ...ACCOUNT_ENTRIES, ...TIMESTAMP_ENTRIES }),
    timestamps: { createdAt: "createdAt", updatedAt: "updatedAt" },
    actions: ({ create, update, destroy }) => ({
      open: create({ input: v.object({ owner: v.string() }), defaults: { balance: 0 } }),
      rename: update({ input: v.object({ owner: v.string() }), aliases: ["changeOwner"] }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
      bump: update({ change: (record) => ({ balance: record.balance * 2, label: `x${record.balance}` }) }),
      close: destroy({ soft: "deletedAt" }),
      remove: destroy(),
      setBalance: update({ input: v.object({ balance: v.number() }), ignored: true }),
    }),
  });
  return { log, Account, events: t("events"), accounts: t("accounts") };
}

type Step = { kind: "open" | "rename" | "deposit" | "bump" | "close" | "remove" | "pair" | "legacy"; pick: number };

const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom("open", "open", "rename", "deposit", "bump", "close", "remove", "pair", "legacy"),
  pick: fc.nat({ max: 1000 }),
});

describeEachExecutor("stateAt property", {}, (fx) => {
  let runs = 0;

  test(`stateAt at every event equals the live record, and at sampled events and the last the table a replay rebuilds (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 4, maxLength: 16 }),
        fc.array(fc.nat(), { minLength: 2, maxLength: 2 }),
        async (steps, samples) => {
          const m = model(fx.schema, `s${++runs}`);
          const clock = tickingClock(new Date(Date.UTC(2024, 5, runs)));
          const store = createEventStore({
            db: fx.db,
            log: m.log,
            resources: [m.Account],
            clock,
            replay: { clear: "tracked-tables" },
          });
          await store.migrate({ resourceTables: true });
          const accounts = store.resource(m.Account);
          const open: string[] = [];
          const ids = new Set<string>();
          /** Each event and the record the live write left (undefined: hard-destroyed). */
          const seen: { event: StoredEvent; id: string; record: Record<string, unknown> | undefined }[] = [];
          for (const { kind, pick } of steps) {
            const id = open[pick % Math.max(open.length, 1)];
            if (kind === "open" || id === undefined) {
              const r = await accounts.open({ owner: `o${pick}` });
              open.push(r.record.id);
              ids.add(r.record.id);
              seen.push({ event: r.event!, id: r.record.id, record: r.record });
            } else if (kind === "pair") {
              const [r] = await store.transaction((tx) => [tx.resource(m.Account).deposit(id, { amount: pick % 7 })]);
              seen.push({ event: r.event!, id, record: r.record });
            } else if (kind === "legacy") {
              const at = clock();
              const event = legacyEventSql(m.events, {
                resource: "account",
                recordId: id,
                action: "adjustLegacy",
                actionType: "update",
                version: 1,
                data: { balance: pick },
                changes: { updatedAt: at.toISOString() },
                occurredAt: at,
              });
              await fx.db.batch([
                {
                  text: `UPDATE ${m.accounts} SET balance = $1, updated_at = $2 WHERE id = $3`,
                  params: [pick, at, id],
                },
                event,
              ]);
              const row = (await fx.db.query({ text: `SELECT * FROM ${m.accounts} WHERE id = $1`, params: [id] }))
                .rows[0]!;
              const stored =
                (await fx.db.query({ text: `SELECT * FROM ${m.events} WHERE id = $1`, params: [event.id] }))
                  .rows[0]!;
              seen.push({
                event: { id: event.id, position: BigInt(stored["position"] as bigint) } as StoredEvent,
                id,
                record: rowToRecord(m.Account, row),
              });
            } else {
              const r = kind === "rename"
                ? await accounts.rename(id, { owner: `r${pick}` })
                : kind === "deposit"
                ? await accounts.deposit(id, { amount: (pick % 50) - 20 })
                : kind === "bump"
                ? await accounts.bump(id)
                : kind === "close"
                ? await accounts.close(id)
                : await accounts.remove(id);
              if (kind === "close" || kind === "remove") open.splice(open.indexOf(id), 1);
              seen.push({ event: r.event!, id, record: kind === "remove" ? undefined : r.record });
            }
          }

          for (const { event, id, record } of seen) {
            const state = await stateAt(store, m.Account, id, { eventId: event.id });
            if (record === undefined) {
              assert.ok(state.status === "destroyed" && !state.soft && state.destroyedBy.id === event.id);
            } else {
              assert.ok(state.status !== "not-created", `${id} exists after event ${event.position}`);
              assert.deepEqual("record" in state ? state.record : undefined, record);
              assert.equal(state.status === "destroyed", record["deletedAt"] !== null);
            }
          }

          // A replay up to each sampled event (two per run, and the last event) rebuilds the table stateAt
          // describes at that event.
          const points = [...samples.map((sample) => seen[sample % seen.length]!.event), seen[seen.length - 1]!.event];
          for (const event of points) {
            await replay(store, { untilEventId: event.id });
            const rows = (await fx.db.query({ text: `SELECT * FROM ${m.accounts}`, params: [] })).rows;
            const table = new Map(rows.map((row) => [String(row["id"]), rowToRecord(m.Account, row)]));
            for (const id of ids) {
              const state = await stateAt(store, m.Account, id, { eventId: event.id });
              const row = table.get(id);
              if (row === undefined) {
                assert.ok(state.status === "not-created" || (state.status === "destroyed" && !state.soft));
              } else assert.deepEqual("record" in state ? state.record : undefined, row, `${id} at ${event.position}`);
            }
          }
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
});
