/**
 * What the replay engine, the dry run and the clear step need from the store (their own
 * module, so that the engine and the dry run do not import each other).
 * @module
 */
import type { EventLog } from "../core/event-log.ts";
import type { Executor } from "../core/executor.ts";
import type { AnyResource } from "../core/resource.ts";
import type { Keyring } from "../core/keyring.ts";
import type { ReplayConfig } from "./replay-types.ts";

/** What the engine needs from the store. */
export interface ReplayEnv {
  readonly log: EventLog;
  readonly db: Executor;
  readonly resources: ReadonlyMap<string, AnyResource>;
  readonly config: ReplayConfig;
  /** The store's keyring, to decrypt the log's encrypted values. */
  readonly keyring: Keyring | undefined;
}
