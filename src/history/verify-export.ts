/**
 * Chain exports (docs/integrity.md, "Exports"): reading a log's events as the chain sees them,
 * in pages, and verifying an export offline, with no database: `verifyExport`.
 * @module
 */
import type { ChainScope } from "../core/event-log.ts";
import { chainPageSql } from "../sql/chain-statements.ts";
import type { ChainedEvent } from "./chain-envelope.ts";
import { type ChainFailure, markMissing, startWalk, walkChain } from "./chain-walk.ts";
import { type Checkpoint, checkpointMark } from "./checkpoint.ts";
import { type ChainStore, rowToChainedEvent } from "./verify-chain.ts";

/** The format name of chain exports. */
export const CHAIN_EXPORT_FORMAT = "edge-events/chain-export/1";

/** A chain export: its header and the events (any order; each chain is sorted by position). */
export interface ChainExport {
  /** Always {@link CHAIN_EXPORT_FORMAT}. */
  readonly format: typeof CHAIN_EXPORT_FORMAT;
  /** How the events form chains: one chain, or one per tenant. */
  readonly chainScope: ChainScope;
  /** The exported events. */
  readonly events: readonly ChainedEvent[];
}

/** A page of exported events and where the next one starts. */
export interface ChainExportPage {
  /** The events of the page, in position order. */
  readonly events: readonly ChainedEvent[];
  /** The position to pass as `after` for the next page; null when this was the last. */
  readonly next: bigint | null;
}

/**
 * One page of the log's events in position order, as a chain export holds them.
 *
 * @param options `after`: the position the page starts after (default 0); `limit` (default 1000)
 * @example
 * ```ts
 * import { type EventStore, readChainExport } from "edge-events";
 *
 * async function exportAll(store: EventStore): Promise<number> {
 *   let count = 0;
 *   for (let after: bigint | null = 0n; after !== null;) {
 *     const page = await readChainExport(store, { after });
 *     count += page.events.length;
 *     after = page.next;
 *   }
 *   return count;
 * }
 * ```
 */
export async function readChainExport(
  store: ChainStore,
  options: { readonly after?: bigint; readonly limit?: number } = {},
): Promise<ChainExportPage> {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new RangeError("limit must be an integer from 1 to 10000");
  }
  const page = chainPageSql(store.log, { chain: { all: true }, after: options.after ?? 0n, from: 0n, limit });
  const events = (await store.db.query(page)).rows.map((row) => rowToChainedEvent(store.log, row));
  return { events, next: events.length < limit ? null : BigInt(events[events.length - 1]!.position) };
}

/** What {@link verifyExport} found. */
export interface ExportVerification {
  /** No bad event was found. */
  readonly ok: boolean;
  /** Events checked. */
  readonly checked: number;
  /** Chains found (one per tenant under the tenant scope). */
  readonly chains: number;
  /** The first bad event (of the first chain, in chain order, that has one), or null. */
  readonly failure: ChainFailure | null;
}

/**
 * Verify a chain export offline: every chain recomputed with SHA-256 and the envelope rule,
 * and, with `checkpoint` and `key`, checked against a signed checkpoint.
 *
 * @returns ok, or the first bad event and the reason (as `verifyChain`)
 * @throws {TypeError} for an export of another format
 * @throws {ValidationError} code `VALIDATION_FAILED` when the checkpoint's signature does not verify
 * @example
 * ```ts
 * import { type ChainExport, verifyExport } from "edge-events";
 *
 * async function check(exported: ChainExport): Promise<void> {
 *   const result = await verifyExport(exported);
 *   console.log(result.ok ? `${result.checked} events intact` : result.failure);
 * }
 * ```
 */
export async function verifyExport(
  exported: ChainExport,
  options: { readonly checkpoint?: Checkpoint; readonly key?: CryptoKey } = {},
): Promise<ExportVerification> {
  if (exported?.format !== CHAIN_EXPORT_FORMAT || !Array.isArray(exported.events)) {
    throw new TypeError(`Not a chain export (format ${CHAIN_EXPORT_FORMAT})`);
  }
  if (options.checkpoint !== undefined && options.key === undefined) {
    throw new TypeError("checkpoint needs the key that verifies its signature");
  }
  const mark = options.checkpoint === undefined ? undefined : await checkpointMark(options.checkpoint, options.key!);
  const chains = new Map<string, ChainedEvent[]>();
  for (const event of exported.events) {
    const id = exported.chainScope === "global" ? "" : JSON.stringify(event.tenant);
    const chain = chains.get(id) ?? [];
    chain.push(event);
    chains.set(id, chain);
  }
  let checked = 0;
  const markChain = options.checkpoint === undefined ? undefined : JSON.stringify(options.checkpoint.chain.tenant);
  for (const [id, events] of [...chains].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    events.sort((a, b) => (BigInt(a.position) < BigInt(b.position) ? -1 : 1));
    const chainMark = exported.chainScope === "global" || id === markChain ? mark : undefined;
    const walked = await walkChain(startWalk(), events, events.length, chainMark);
    checked += walked.verified;
    const failure = walked.failure ??
      (chainMark !== undefined && !walked.state.markPassed
        ? markMissing(chainMark, events[0]?.tenant ?? null)
        : undefined);
    if (failure !== undefined) return { ok: false, checked, chains: chains.size, failure };
  }
  if (mark !== undefined && exported.chainScope === "tenant" && !chains.has(markChain!)) {
    return { ok: false, checked, chains: chains.size, failure: markMissing(mark, options.checkpoint!.chain.tenant) };
  }
  return { ok: true, checked, chains: chains.size, failure: null };
}

/**
 * Parse a chain export written as JSON Lines (`edge-events export`): a header line
 * `{"format": ..., "chainScope": ...}`, then one event per line.
 *
 * @throws {TypeError} when the text is not such an export
 * @example
 * ```ts
 * import { parseChainExport, verifyExport } from "edge-events";
 *
 * async function checkFile(text: string): Promise<boolean> {
 *   return (await verifyExport(parseChainExport(text))).ok;
 * }
 * ```
 */
export function parseChainExport(text: string): ChainExport {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  let header: { format?: unknown; chainScope?: unknown };
  try {
    header = JSON.parse(lines[0] ?? "null") ?? {};
  } catch {
    throw new TypeError("A chain export starts with its header line (JSON)");
  }
  if (header.format !== CHAIN_EXPORT_FORMAT || (header.chainScope !== "global" && header.chainScope !== "tenant")) {
    throw new TypeError(`Not a chain export (format ${CHAIN_EXPORT_FORMAT})`);
  }
  const events = lines.slice(1).map((line, i) => {
    try {
      return JSON.parse(line) as ChainedEvent;
    } catch {
      throw new TypeError(`Line ${i + 2} of the chain export is not JSON`);
    }
  });
  return { format: CHAIN_EXPORT_FORMAT, chainScope: header.chainScope, events };
}
