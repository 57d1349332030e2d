/**
 * The PGlite backend: one embedded connection shared by all requests, which run one after the
 * other under PGlite's own lock. Credentials are not checked.
 * @module
 */

import type { PGlite } from "@electric-sql/pglite";
import type { ConnectionInfo } from "./connection-string.ts";
import { applySessionSettings } from "./pglite-settings.ts";
import { loadOptionalPeer } from "./optional-peer.ts";
import { type PgliteLike, PgliteSession } from "./pglite-session.ts";
import type { Backend } from "./session.ts";

/** A PGlite instance to use, or the options to create one (in memory without `dataDir`). */
export type PgliteOption = PGlite | { readonly dataDir?: string };

function isInstance(option: PgliteOption): option is PGlite {
  return typeof (option as Partial<PgliteLike>).execProtocol === "function";
}

const FEATURE = "The PGlite backend of the local server (edge-events serve --pglite, or { pglite } in edge-events/dev)";

/**
 * Create the backend. A PGlite passed in stays open on `close()`; one created here is closed.
 * `@electric-sql/pglite` is imported here, lazily, so that the rest of the server works without it.
 *
 * @param option a PGlite instance, or `{ dataDir }`
 * @returns the backend
 * @throws {MissingPeerError} when `@electric-sql/pglite` is not installed
 */
export async function createPgliteBackend(option: PgliteOption): Promise<Backend> {
  const owned = !isInstance(option);
  const { PGlite, protocol } = await loadOptionalPeer(
    "@electric-sql/pglite",
    FEATURE,
    () => import("@electric-sql/pglite"),
  );
  let db: PgliteLike;
  if (isInstance(option)) {
    db = option;
    // A fresh `new PGlite()` is still starting: its protocol API fails until it is ready.
    await db.waitReady;
  } else {
    db = option.dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir: option.dataDir });
  }
  const applied = new Map<string, string>();

  return {
    withSession<T>(info: ConnectionInfo, _signal: AbortSignal, work: (session: PgliteSession) => Promise<T>) {
      // PGlite cannot cancel a running statement; the signal is checked between statements.
      return db.runExclusive(async () => {
        const session = new PgliteSession(db, protocol.serialize);
        await applySessionSettings(session, info, applied);
        try {
          return await work(session);
        } finally {
          // Neon discards a connection left in a transaction; here the one connection stays,
          // so its transaction is rolled back instead.
          if (session.status !== "I") await session.run({ text: "ROLLBACK", params: [] }, null).catch(() => {});
        }
      });
    },
    async close() {
      if (owned) await db.close();
    },
  };
}
