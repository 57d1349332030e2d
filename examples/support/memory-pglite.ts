// An in-memory PGlite for the examples: what `new PGlite()` makes. PGlite runs initdb when it
// starts (seconds of CPU); when EDGE_EVENTS_PGLITE_SNAPSHOT names a tarball of an empty cluster
// (`dumpDataDir()` of a fresh instance), it loads that instead, which yields the same empty
// cluster in a fraction of the time: the examples' test (tests/examples) sets it for every script.
import { readFile } from "node:fs/promises";
import process from "node:process";
import { PGlite } from "@electric-sql/pglite";

/**
 * A new in-memory PGlite, from the snapshot of EDGE_EVENTS_PGLITE_SNAPSHOT when it is set.
 *
 * @returns the instance (ready once its first query runs, as `new PGlite()`)
 */
export async function memoryPglite(): Promise<PGlite> {
  const snapshot = process.env["EDGE_EVENTS_PGLITE_SNAPSHOT"];
  if (snapshot === undefined || snapshot === "") return new PGlite();
  return new PGlite({ loadDataDir: new Blob([await readFile(snapshot)]) });
}
