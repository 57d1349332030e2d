// Replay by arguments (AshEvents' as_arguments), chosen per action with replayInput: "changes".
// Events of `retitle` v1 carry only the title: its before hook derived the slug, recorded in
// `changes`. Today's `retitle` (v2) requires the slug in its input. With replayInput: "changes"
// the recorded slug is offered as the argument and replay (and stateAt) rebuild the live rows;
// without it, replay stops at the first such event, its cause a VALIDATION_FAILED naming slug.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as v from "valibot";
import {
  abortReplay,
  createEventStore,
  defineEventLog,
  defineResource,
  type EventStore,
  isEdgeEventsError,
  replay,
  stateAt,
} from "../../mod.ts";
import { describeEachExecutor } from "../support/each-executor.ts";
import { rejectsWith } from "../support/store-helpers.ts";
import { snapshot } from "./replay-helpers.ts";

const slugOf = (title: string): string => title.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-");
const attributes = v.object({ id: v.string(), title: v.string(), slug: v.string() });

/** The post of today: `retitle` requires the slug. */
function postOf(schema: string, retitle: { readonly replayInput?: "data" | "changes" }) {
  return defineResource({
    name: "post",
    table: `${schema}.posts`,
    attributes,
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ title: v.string() }), change: ({ title }) => ({ slug: slugOf(title) }) }),
      retitle: update({ input: v.object({ title: v.string(), slug: v.string() }), version: 2, ...retitle }),
    }),
  });
}

/** The post as it was when the events were written: `retitle` derived the slug from the title. */
function thenPost(schema: string) {
  return defineResource({
    name: "post",
    table: `${schema}.posts`,
    attributes,
    actions: ({ create, update }) => ({
      write: create({ input: v.object({ title: v.string() }), change: ({ title }) => ({ slug: slugOf(title) }) }),
      retitle: update({
        input: v.object({ title: v.string() }),
        before: (set) => (set.title === undefined ? set : { ...set, slug: slugOf(set.title) }),
      }),
    }),
  });
}

describeEachExecutor("replayInput", {}, (fx) => {
  let then: EventStore;
  const table = (): string => `${fx.schema}.posts`;
  const log = (): ReturnType<typeof defineEventLog> => defineEventLog({ table: `${fx.schema}.events` });
  const storeOf = (today?: { readonly replayInput?: "data" | "changes" }): EventStore =>
    createEventStore({
      db: fx.db,
      log: log(),
      resources: [today === undefined ? thenPost(fx.schema) : postOf(fx.schema, today)],
      replay: { clear: "tracked-tables" },
    });
  let ids: string[] = [];
  /** The table as the live writes left it, before any replay. */
  let live: Awaited<ReturnType<typeof snapshot>>;
  let firstRetitle: { position: bigint; id: string };

  before(async () => {
    const Post = thenPost(fx.schema);
    then = createEventStore({ db: fx.db, log: log(), resources: [Post], replay: { clear: "tracked-tables" } });
    await then.migrate({ resourceTables: true });
    const posts = then.resource(Post);
    const a = (await posts.write({ title: "Hello World" })).record;
    const b = (await posts.write({ title: "Second" })).record;
    const event = (await posts.retitle(a.id, { title: "Hello, Again" })).event!;
    firstRetitle = { position: event.position, id: event.id };
    await posts.retitle(b.id, { title: "Second Edition" });
    await posts.retitle(a.id, { title: "Third Time" });
    ids = [a.id, b.id];
    live = await snapshot(fx.db, [table()]);
  });

  test("the events recorded the derived slug in changes, not in data", async () => {
    const events = await then.readEvents({ limit: 10 });
    const retitle = events.find((e) => e.action === "retitle")!;
    assert.deepEqual(retitle.data, { title: "Hello, Again" });
    assert.equal(retitle.changes["slug"], "hello-again");
  });

  test("without the strategy, replay stops at the first such event: VALIDATION_FAILED naming slug as its cause", async () => {
    const store = storeOf();
    const today = storeOf({ replayInput: "data" });
    const error = await rejectsWith<Error & { position?: bigint; eventId?: string }>(replay(today), "REPLAY_FAILED");
    assert.equal(error.position, firstRetitle.position);
    assert.equal(error.eventId, firstRetitle.id);
    assert.match(error.message, new RegExp(`position ${firstRetitle.position} \\(post\\.retitle v1\\)`));
    assert.match(error.message, /slug/);
    assert.ok(isEdgeEventsError(error.cause, "VALIDATION_FAILED"), String(error.cause));
    assert.equal(error.cause.issues[0]?.path, "slug");
    await abortReplay(store);
    // The fold of stateAt refuses the event alike.
    await rejectsWith(stateAt(today, "post", ids[0]!, { position: firstRetitle.position }), "FOLD_FAILED");
  });

  test('with replayInput: "changes", replay and stateAt rebuild the live rows from the recorded slug', async () => {
    const today = storeOf({ replayInput: "changes" });
    const result = await replay(today);
    assert.equal(result.applied, 5);
    assert.deepEqual(await snapshot(fx.db, [table()]), live);
    const state = await stateAt(today, "post", ids[0]!, { position: firstRetitle.position });
    assert.equal(state.status, "exists");
    assert.deepEqual(state.status === "exists" ? state.record : undefined, {
      id: ids[0],
      title: "Hello, Again",
      slug: "hello-again",
    });
  });
});

test('replayInput takes "data" or "changes"', () => {
  assert.throws(
    () =>
      defineResource({
        name: "x",
        table: "xs",
        attributes,
        actions: ({ update }) => ({ edit: update({ replayInput: "arguments" as never }) }),
      }),
    (error: unknown) =>
      error instanceof TypeError && /replayInput of update\(\) is "data" or "changes"/.test(error.message),
  );
});
