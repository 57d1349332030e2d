/**
 * The flags of `edge-events replay`, parsed and checked for combinations that make no sense.
 * @module
 */
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";

/** The help text of `edge-events replay`. */
export const REPLAY_HELP = `Usage: edge-events replay --config <module> [options]

Rebuild the tracked tables from the event log: clear them, then apply every event in
position order, one write batch per page. Writes through the store are refused meanwhile.

Options:
  --config PATH          module exporting the store: default export or "store", a store or a
                         function returning one (or a promise of one); an optional "close"
                         export runs at the end. Relative to the current directory
  --until-event ID       replay up to and including this event
  --until-time ISO       replay the events that occurred at or before this time
  --tenant T             replay one tenant's rows only
  --resume               continue the running replay from its checkpoint (scope is kept)
  --abort                abort the running replay: lift the fence, leave the tables as they are
  --page-size N          events per page (1 to 10000; default: the store's, else 1000)
  --on-error stop|skip   stop at the first event that cannot be applied (default), or skip it
  --dry-run              report what would be applied and skipped; write nothing

Ctrl-C stops at the next page boundary with a saved checkpoint (exit 130); run again with
--resume to continue or --abort to give up. Exit codes: 0 done, 1 failed (or a dry run found
events a stopping replay would fail on), 2 usage error, 130 interrupted.`;

/** What `edge-events replay` was asked to do. */
export interface ReplayFlags {
  readonly config: string;
  readonly untilEventId?: string;
  readonly untilTime?: Date;
  readonly tenant?: string;
  readonly resume: boolean;
  readonly abort: boolean;
  readonly pageSize?: number;
  readonly onError?: "stop" | "skip";
  readonly dryRun: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: { type: "string" },
  "until-event": { type: "string" },
  "until-time": { type: "string" },
  tenant: { type: "string" },
  resume: { type: "boolean" },
  abort: { type: "boolean" },
  "page-size": { type: "string" },
  "on-error": { type: "string" },
  "dry-run": { type: "boolean" },
};

function parseTime(text: string): Date {
  // An ISO 8601 date or date-time; Date.parse alone accepts too many shapes.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    throw new TypeError("--until-time needs an ISO 8601 time, e.g. 2025-01-31T23:59:59Z");
  }
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new TypeError("--until-time is not a valid time");
  return time;
}

function parsePageSize(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new TypeError("--page-size needs a whole number from 1 to 10000");
  }
  return n;
}

function checkCombinations(flags: Mutable<Partial<ReplayFlags>>): void {
  if (flags.config === undefined) throw new TypeError("--config is required");
  if (flags.untilEventId !== undefined && flags.untilTime !== undefined) {
    throw new TypeError("use either --until-event or --until-time");
  }
  const scoped = flags.untilEventId !== undefined || flags.untilTime !== undefined || flags.tenant !== undefined;
  if (
    flags.abort === true &&
    (scoped || flags.resume === true || flags.dryRun === true || flags.pageSize !== undefined ||
      flags.onError !== undefined)
  ) {
    throw new TypeError("--abort takes no other option than --config");
  }
  if (flags.resume === true && scoped) {
    throw new TypeError(
      "--resume keeps the scope of the running replay: drop --until-event, --until-time and --tenant",
    );
  }
  if (flags.resume === true && flags.dryRun === true) throw new TypeError("use either --resume or --dry-run");
}

/**
 * Parse the arguments after `replay`.
 *
 * @param args the arguments, e.g. `["--config", "./events.config.ts", "--page-size", "1000"]`
 * @returns the flags
 * @throws {TypeError} for an unknown option, a missing or bad value, or a contradiction (`--flag=value` and `--flag value` both work)
 * @example
 * ```ts
 * parseReplayFlags(["--config", "c.ts", "--resume"]) // => { config: "c.ts", resume: true, abort: false, dryRun: false }
 * ```
 */
export function parseReplayFlags(args: readonly string[]): ReplayFlags {
  const { values } = parseCommandArgs(args, OPTIONS);
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const flags: Mutable<Partial<ReplayFlags>> = {
    resume: values["resume"] === true,
    abort: values["abort"] === true,
    dryRun: values["dry-run"] === true,
  };
  if (text("config") !== undefined) flags.config = text("config")!;
  if (text("until-event") !== undefined) flags.untilEventId = text("until-event")!;
  if (text("until-time") !== undefined) flags.untilTime = parseTime(text("until-time")!);
  if (text("tenant") !== undefined) flags.tenant = text("tenant")!;
  if (text("page-size") !== undefined) flags.pageSize = parsePageSize(text("page-size")!);
  const onError = text("on-error");
  if (onError !== undefined) {
    if (onError !== "stop" && onError !== "skip") throw new TypeError("--on-error needs stop or skip");
    flags.onError = onError;
  }
  checkCombinations(flags);
  return flags as ReplayFlags;
}
