/**
 * What a Worker bundle carries: a Worker that only writes and reads, bundled by esbuild the
 * way `workerd.test.ts` bundles its Worker, holds no replay code (replay, replay steps,
 * aborting and adoption are functions over the store, not methods of it) and no history code
 * (`history`, `stateAt`, ...: functions too), while the same Worker calling `replay(store)` or
 * `history(store, ...)` does (so this test can fail).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { esbuildWorker } from "./esbuild-worker.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The Worker's source: writes and reads through the store; `extra` is appended to the handler. */
function workerSource(imports: string, extra: string): string {
  return `
import * as v from "valibot";
import { neon } from "@neondatabase/serverless";
import { createEventStore, defineEventLog, defineResource${imports} } from "./mod.ts";
import { neonHttp } from "./src/drivers/neon/mod.ts";

const log = defineEventLog({ actors: { user: { column: "user_id", type: "uuid" } } });
const Todo = defineResource({
  name: "todo", table: "todos",
  attributes: v.object({ id: v.string(), title: v.string(), done: v.boolean() }),
  actions: ({ create, update }) => ({
    add: create({ input: v.object({ title: v.string() }), defaults: { done: false } }),
    complete: update({ set: () => ({ done: true }) }),
  }),
});

export default {
  async fetch(request, env) {
    const store = createEventStore({ db: neonHttp(neon(env.DATABASE_URL)), log, resources: [Todo], replay: { clear: "tracked-tables" } });
    await store.migrate();
    const { record } = await store.resource(Todo).add({ title: await request.text() }, { actor: { user: env.USER } });
    await store.transaction((tx) => { tx.resource(Todo).complete(record.id); });
    const page = await store.readFeed({ limit: 10 });
    ${extra}
    return Response.json({ record, events: page.events.length });
  },
};
`;
}

/**
 * Bundle a Worker (one ES module, browser platform, workerd conditions); `inputs` are the
 * modules that contribute code to the output (esbuild lists tree-shaken ones with 0 bytes).
 */
async function bundle(source: string): Promise<{ code: string; inputs: string[] }> {
  const { code, metafile } = await esbuildWorker({
    contents: source,
    resolveDir: ROOT,
    sourcefile: "worker-entry.ts",
    loader: "ts",
  });
  const [emitted] = Object.values(metafile.outputs);
  assert.ok(emitted !== undefined, "esbuild listed no output");
  const inputs = Object.entries(emitted.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([input]) =>
    input
  );
  return { code, inputs };
}

/** Names only the replay layer defines: the engine, paging, clearing, adoption. */
const REPLAY_MARKERS = ["runReplay", "foldPageSql", "clearForReplay", "adoptRows", "exclusiveFenceSql"];

/**
 * Names only the history layer defines: its fold read, the page and fold SQL. (The fold itself,
 * `foldRecord`, is core's: the write path of event-only resources folds with it too.)
 */
const HISTORY_MARKERS = ["readFold", "recordFoldSql", "historyPageSql"];

describe("the bundle of a Worker", () => {
  test("a Worker that only writes and reads carries no replay or history code", async () => {
    const { code, inputs } = await bundle(workerSource("", ""));
    assert.ok(inputs.some((input) => input.endsWith("src/core/store.ts")), "the store is in the bundle");
    assert.deepEqual(inputs.filter((input) => input.includes("src/replay/")), []);
    assert.deepEqual(REPLAY_MARKERS.filter((name) => code.includes(name)), []);
    assert.deepEqual(inputs.filter((input) => input.includes("src/history/")), []);
    assert.deepEqual(HISTORY_MARKERS.filter((name) => code.includes(name)), []);
  });

  test("a Worker that calls history(store, ...) and stateAt(store, ...) carries the history layer", async () => {
    const { code, inputs } = await bundle(
      workerSource(
        ", history, stateAt",
        "await history(store, Todo, record.id); await stateAt(store, Todo, record.id, { at: new Date() });",
      ),
    );
    assert.ok(inputs.some((input) => input.endsWith("src/history/read-fold.ts")));
    assert.deepEqual(HISTORY_MARKERS.filter((name) => !code.includes(name)), []);
  });

  test("a Worker that calls replay(store) and adopt(store, ...) carries the replay engine", async () => {
    const { code, inputs } = await bundle(
      workerSource(", adopt, replay", "await replay(store); await adopt(store, Todo);"),
    );
    assert.ok(inputs.some((input) => input.endsWith("src/replay/replay-engine.ts")));
    assert.deepEqual(REPLAY_MARKERS.filter((name) => !code.includes(name)), []);
  });
});
