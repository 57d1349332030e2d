/**
 * `edge-events status`: the log's size and last event, the replay that runs (or ran last),
 * and how far behind each projection of the config module is.
 * @module
 */
import type { Projection } from "../core/projection.ts";
import type { EventStore } from "../core/store-types.ts";
import { type AuditSummary, summary, summaryAllTenants } from "../history/summary.ts";
import { type ProjectionStatus, projectionStatus } from "../projections/projection-status.ts";
import { type ReplayStatus, replayStatus } from "../replay/replay-status.ts";
import { replayStatusToJson } from "../replay/replay-wire.ts";
import { CONFIG_HELP, requireConfig, withConfigStore } from "./config-store.ts";
import { formatCount } from "./format-units.ts";
import type { CliIo } from "./io.ts";
import type { TypeScriptLoader } from "./load-store.ts";
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";

/** The help text of `edge-events status`. */
export const STATUS_HELP: string = `Usage: edge-events status --config <module> [--tenant T] [--json]

Report the event log: how many events it holds (by action type) and its last one, the replay
that runs (or the one that ran last), and each projection's checkpoint and lag (the
projections the config module exports as "projections"). Reads only; counting the events
reads the whole log (or the tenant's part of it).

Options:
${CONFIG_HELP}
  --tenant T             one tenant's events and projections (default: the store's tenant,
                         or every tenant on a store without one)
  --json                 one JSON object (positions and counts of events as strings)`;

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: { type: "string" },
  tenant: { type: "string" },
  json: { type: "boolean" },
};

// Every time Postgres and a Date can both hold: the whole log, whenever its events occurred.
const EVER = { from: new Date(Date.UTC(-4712, 0, 1)), to: new Date(8.64e15) } as const;

interface Status {
  readonly log: AuditSummary;
  readonly replay: ReplayStatus | null;
  readonly projections: readonly ProjectionStatus[];
}

async function readStatus(store: EventStore, projections: readonly Projection[], tenant?: string): Promise<Status> {
  const scoped = tenant === undefined ? store : store.withContext({ tenant });
  const unscoped = store.context.tenant === undefined || store.context.tenant === null;
  // A store without a tenant reads the whole log (an operator's view), or the --tenant's part.
  const log = unscoped
    ? await summaryAllTenants(store, { ...EVER, ...(tenant === undefined ? {} : { tenant }) })
    : await summary(scoped, EVER);
  const replay = await replayStatus(store);
  const statuses: ProjectionStatus[] = [];
  for (const projection of projections) statuses.push(await projectionStatus(scoped, projection));
  return { log, replay, projections: statuses };
}

function statusJson(table: string, status: Status): unknown {
  const { log } = status;
  const event = (e: AuditSummary["last"]) =>
    e === null ? null : { id: e.id, position: String(e.position), occurredAt: e.occurredAt.toISOString() };
  return {
    table,
    events: String(log.total),
    byActionType: log.byActionType,
    first: event(log.first),
    last: event(log.last),
    replay: status.replay === null ? null : replayStatusToJson(status.replay),
    projections: status.projections.map((p) => ({
      name: p.name,
      started: p.started,
      position: String(p.position),
      lag: String(p.lag),
      events: String(p.events),
      updatedAt: p.updatedAt?.toISOString() ?? null,
      rebuiltAt: p.rebuiltAt?.toISOString() ?? null,
    })),
  };
}

function replayLine(replay: ReplayStatus | null): string {
  if (replay === null) return "none has run";
  const done = `${formatCount(replay.applied)} applied, ${formatCount(replay.skipped)} skipped`;
  if (replay.status !== "running") {
    return `none running; the last, ${replay.replayId}, ${replay.status} ${
      (replay.finishedAt ?? replay.updatedAt).toISOString()
    } (${done})`;
  }
  const stopped = replay.error === null ? "" : `; stopped: ${replay.error}`;
  return `${replay.replayId} running: position ${replay.lastPosition} of ${replay.targetPosition} (${done})` +
    `; writes are refused until it completes or is aborted${stopped}`;
}

function printStatus(io: CliIo, table: string, status: Status, tenant: string | undefined): void {
  const { log } = status;
  const types = log.byActionType;
  io.out(`Event log ${table}${tenant === undefined ? "" : ` (tenant ${tenant})`}`);
  io.out(
    `  events         ${formatCount(log.total)} (create ${formatCount(types.create)}, update ${
      formatCount(types.update)
    }, destroy ${formatCount(types.destroy)})`,
  );
  io.out(
    `  last event     ${
      log.last === null ? "none" : `#${log.last.position} ${log.last.id} at ${log.last.occurredAt.toISOString()}`
    }`,
  );
  io.out(`Replay           ${replayLine(status.replay)}`);
  if (status.projections.length === 0) {
    io.out('Projections      none listed (export them from the config module as "projections")');
    return;
  }
  io.out("Projections");
  const width = Math.max(...status.projections.map((p) => p.name.length)) + 2;
  for (const p of status.projections) {
    const state = p.started
      ? `at #${p.position}, ${formatCount(Number(p.lag))} behind${
        p.updatedAt === null ? "" : ` (moved ${p.updatedAt.toISOString()})`
      }`
      : `not started, ${formatCount(Number(p.lag))} events to apply`;
    io.out(`  ${p.name.padEnd(width)}${state}`);
  }
}

/**
 * Run `edge-events status`.
 *
 * @param args the arguments after `status`
 * @param io output and environment
 * @param loader how TypeScript config modules load (tests inject one)
 * @returns 0 on success, 1 on failure, 2 on a usage error
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * process.exitCode = await statusCommand(["--config", "./events.config.ts", "--json"], processIo());
 * ```
 */
export async function statusCommand(args: string[], io: CliIo, loader?: TypeScriptLoader): Promise<number> {
  let config: string;
  let tenant: string | undefined;
  let json: boolean;
  try {
    const { help, values } = parseCommandArgs(args, OPTIONS);
    if (help) return (io.out(STATUS_HELP), 0);
    config = requireConfig(values);
    tenant = values["tenant"] as string | undefined;
    json = values["json"] === true;
  } catch (error) {
    io.err(`edge-events status: ${(error as Error).message}\n\n${STATUS_HELP}`);
    return 2;
  }
  return await withConfigStore("status", config, io, async ({ store, projections }) => {
    const status = await readStatus(store, projections, tenant);
    const table = store.log.table.sql;
    if (json) io.out(JSON.stringify(statusJson(table, status)));
    else printStatus(io, table, status, tenant);
    return 0;
  }, loader);
}
