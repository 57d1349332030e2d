// What one replay costs on the edge, on every executor: the events in scope are counted once
// per replay (not once per `replayStep`, which made a long replay quadratic), and a page's write
// request stays within `maxBatchBytes` as the executor encodes it (UTF-8 of the request body,
// so multi-byte text counts by its bytes, not by its UTF-16 length).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as v from "valibot";
import { createEventStore, defineEventLog, defineResource, type EventStore, replay, replayStep } from "../../mod.ts";
import type { SqlStatement } from "../../src/core/executor.ts";
import { encodeParams } from "../../src/drivers/pg-text/mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { DEPOSIT_INPUT, depositSet, prefixedTables } from "../support/models.ts";
import { countRows } from "../support/store-helpers.ts";
import { recordingExecutor } from "./gated-executor.ts";
import { snapshot, tickingClock } from "./replay-helpers.ts";

function model(schema: string, prefix: string) {
  const t = prefixedTables(schema, prefix);
  const log = defineEventLog({ table: t("events") });
  const Note = defineResource({
    name: "note",
    table: t("notes"),
    primaryKey: { attribute: "id", generate: "none" },
    attributes: v.object({ id: v.string(), body: v.string(), balance: v.number() }),
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ id: v.string(), body: v.string() }), defaults: { balance: 0 } }),
      edit: update({ input: v.object({ body: v.string() }) }),
      deposit: update({ input: DEPOSIT_INPUT, set: depositSet }),
    }),
  });
  return { log, Note, events: t("events"), notes: t("notes") };
}

type Model = ReturnType<typeof model>;

/** The bytes of a batch request as the SQL-over-HTTP driver sends it: `{"queries":[...]}` in UTF-8. */
function bodyBytes(statements: readonly SqlStatement[]): number {
  const body = JSON.stringify({ queries: statements.map((s) => ({ query: s.text, params: encodeParams(s.params) })) });
  return new TextEncoder().encode(body).length;
}

/** The statements that count rows of the event table (not the `count(*)` checks of set-based writes). */
const eventCounts = (m: Model, sent: readonly SqlStatement[][]): SqlStatement[] =>
  sent.flat().filter((s) => s.text.includes("count(*)") && s.text.replaceAll('"', "").includes(`FROM ${m.events} `));

/** Whether a request moves the replay's checkpoint (a page, or one event of it). */
const isPage = (statements: readonly SqlStatement[]): boolean =>
  statements.some((s) => s.text.includes("WITH moved AS"));

describeEachExecutor("replay costs", {}, (fx) => {
  let prefixes = 0;

  const fresh = async (): Promise<{ m: Model; store: EventStore }> => {
    const m = model(fx.schema, `b${++prefixes}`);
    const store = createEventStore({ db: fx.db, log: m.log, resources: [m.Note], clock: tickingClock() });
    await store.migrate({ resourceTables: true });
    return { m, store };
  };

  test("a replay run in many replaySteps counts the events in scope once, and reports the exact remaining count at every step", async () => {
    const { m, store } = await fresh();
    await store.transaction((tx) => {
      for (let i = 0; i < 20; i++) tx.resource(m.Note).write({ id: `n${i}`, body: `note ${i}` });
    });
    await store.transaction((tx) => {
      for (let i = 0; i < 20; i++) tx.resource(m.Note).deposit(`n${i}`, { amount: i });
    });
    const events = await countRows(fx.db, m.events);
    const live = await snapshot(fx.db, [m.notes]);
    const { db, sent } = recordingExecutor(fx.db);
    const stepper = createEventStore({
      db,
      log: m.log,
      resources: [m.Note],
      replay: { clear: "tracked-tables", pageSize: 4 },
    });

    let step = await replayStep(stepper, { budgetMs: 1 });
    let steps = 1;
    assert.equal(step.remaining, events - 4);
    while (!step.done) {
      step = await replayStep(stepper, { cursor: step.replayId, budgetMs: 1 });
      steps++;
      assert.equal(step.remaining, events - step.applied - step.skipped, `step ${steps}`);
    }
    assert.equal(steps, events / 4 + 1);
    assert.equal(step.remaining, 0);
    assert.equal(eventCounts(m, sent).length, 1, `one count of the events in ${steps} steps`);
    assert.deepEqual(await snapshot(fx.db, [m.notes]), live);

    // A resume of the same replay (here: a new one, stopped after a page) does not count again either.
    const resumer = createEventStore({
      db,
      log: m.log,
      resources: [m.Note],
      replay: { clear: "tracked-tables", pageSize: 4 },
    });
    const controller = new AbortController();
    await replay(resumer, { signal: controller.signal, onProgress: () => controller.abort() });
    sent.length = 0;
    const resumed = await replay(resumer, { resume: true });
    assert.equal(resumed.done, true);
    assert.equal(eventCounts(m, sent).length, 0, "the resume reads the count from the replay's row");
  });

  test("with multi-byte text, every page request stays within maxBatchBytes as encoded, and the replay rebuilds the same rows", async () => {
    const { m, store } = await fresh();
    // 300 characters of 4 bytes (emoji: 2 UTF-16 units) and 300 of 3 bytes (CJK: 1 unit) per body.
    const body = (i: number): string => `${"😀".repeat(150)}${"漢字".repeat(150)} ${i}`;
    await store.transaction((tx) => {
      for (let i = 0; i < 24; i++) tx.resource(m.Note).write({ id: `n${i}`, body: body(i) });
    });
    await store.transaction((tx) => {
      for (let i = 0; i < 24; i++) tx.resource(m.Note).edit(`n${i}`, { body: `${body(i)} ✎ “edited” \\ "quoted"` });
    });
    const live = await snapshot(fx.db, [m.notes]);
    const maxBatchBytes = 8 * 1024;
    const { db, sent } = recordingExecutor(fx.db);
    const replayer = createEventStore({
      db,
      log: m.log,
      resources: [m.Note],
      replay: { clear: "tracked-tables", pageSize: 50, maxBatchBytes },
    });

    const result = await replay(replayer);

    const pages = sent.filter(isPage);
    assert.ok(pages.length >= 2, "the page was cut into several requests");
    for (const [i, statements] of pages.entries()) {
      assert.ok(
        bodyBytes(statements) <= maxBatchBytes,
        `request ${i} is ${bodyBytes(statements)} bytes, over ${maxBatchBytes}`,
      );
    }
    assert.equal(result.applied, 48);
    assert.equal(result.pages, pages.length);
    assert.deepEqual(await snapshot(fx.db, [m.notes]), live);
  });
});
