/**
 * New in-memory PGlite instances for the suites, started from a snapshot of a fresh cluster
 * instead of running initdb each time.
 *
 * A plain `new PGlite()` runs initdb inside WebAssembly: about 6 s of CPU on the 2-core CI
 * machine, and the suites start some forty of them per runtime. Loading the data directory
 * of a cluster that has just been initialised (`loadDataDir`) takes about 1 s and yields the
 * same empty cluster. The snapshot is made once (the first instance of a run is booted the
 * plain way and dumped) and kept in `node_modules/.cache/edge-events/`, keyed by PGlite's
 * version, so the other test processes of the run (Node runs each file in its own, Bun and
 * Deno in workers) load it too; `npm ci` removes it. Every instance is still its own
 * database: nothing is shared between instances but the bytes they start from.
 * @module
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STATE_KEY = Symbol.for("edge-events.tests.pglite-snapshot");

interface SnapshotState {
  snapshot: Promise<Blob | undefined> | undefined;
}

/**
 * A new in-memory PGlite instance, ready, holding an empty cluster. The caller closes it.
 *
 * @param options PGlite options (parsers, serializers, ...); not `dataDir` or `loadDataDir`
 * @returns the instance, once ready
 * @example
 * ```ts
 * const instance = await newPglite();
 * try { ... pglite(instance) ... } finally { await instance.close() }
 * ```
 */
export async function newPglite(options: Omit<PGliteOptions, "dataDir" | "loadDataDir"> = {}): Promise<PGlite> {
  const holder = globalThis as { [STATE_KEY]?: SnapshotState };
  const state = (holder[STATE_KEY] ??= { snapshot: undefined });
  state.snapshot ??= readSnapshot();
  const snapshot = await state.snapshot;
  if (snapshot !== undefined) {
    const instance = new PGlite({ ...options, loadDataDir: snapshot });
    try {
      await instance.waitReady;
      return instance;
    } catch {
      // A damaged cache file: make a new snapshot below, as if there were none.
      await instance.close().catch(() => undefined);
    }
  }
  const instance = new PGlite(options);
  await instance.waitReady;
  const fresh = await instance.dumpDataDir("none");
  state.snapshot = Promise.resolve(fresh);
  await writeSnapshot(fresh);
  return instance;
}

async function snapshotPath(): Promise<string> {
  const manifest = JSON.parse(
    await readFile(`${ROOT}node_modules/@electric-sql/pglite/package.json`, "utf8"),
  ) as { version: string };
  return `${ROOT}node_modules/.cache/edge-events/pglite-${manifest.version}-empty-cluster.tar`;
}

/**
 * The snapshot of an empty cluster itself (made by booting one instance when there is none yet),
 * for a test that starts PGlite its own way (`new PGlite({ loadDataDir })`, over a directory).
 *
 * @returns the data directory's tarball
 */
export async function pgliteSnapshot(): Promise<Blob> {
  const holder = globalThis as { [STATE_KEY]?: SnapshotState };
  const cached = await (holder[STATE_KEY]?.snapshot ?? readSnapshot());
  if (cached !== undefined) return cached;
  await (await newPglite()).close();
  return (await holder[STATE_KEY]!.snapshot)!;
}

async function readSnapshot(): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(await snapshotPath())]);
  } catch {
    return undefined;
  }
}

// Written whole under a unique name, then renamed: a reader never sees half a file, and two
// processes that make it at once both leave a complete one.
async function writeSnapshot(snapshot: Blob): Promise<void> {
  try {
    const path = await snapshotPath();
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${crypto.randomUUID()}.partial`;
    await writeFile(partial, new Uint8Array(await snapshot.arrayBuffer()));
    await rename(partial, path);
  } catch {
    // No cache (a read-only tree): every process makes its own snapshot, which is only slower.
  }
}
