/**
 * `edge-events tail`: follow the feed from a cursor, the start or the end, printing each event
 * as it joins the feed, until SIGINT or SIGTERM.
 * @module
 */
import { feedEnd } from "../core/feed-end.ts";
import type { EventStore, FeedPage, ReadFeedOptions } from "../core/store-types.ts";
import { CONFIG_HELP, requireConfig, withConfigStore } from "./config-store.ts";
import { eventJsonLine, eventLine } from "./event-line.ts";
import type { CliIo } from "./io.ts";
import type { TypeScriptLoader } from "./load-store.ts";
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";
import { pause, trapStop } from "./stop-signal.ts";

/** The help text of `edge-events tail`. */
export const TAIL_HELP: string = `Usage: edge-events tail --config <module> [options]

Follow the event log in feed order, printing each event as it commits: one line each, or one
JSON object per line with --json. Starts at the end (only new events) unless told otherwise.
Ctrl-C (SIGINT) or SIGTERM stops it with exit code 0 and prints, on standard error, the
cursor to continue from with --after.

Options:
${CONFIG_HELP}
  --after CURSOR         continue after this cursor (printed when a tail stops)
  --from-start           from the first event
  --resource NAME        only this resource's events
  --tenant T             only this tenant's events (default: the store's tenant, or every
                         tenant on a store without one)
  --json                 JSON lines (positions as strings, times in ISO 8601)
  --interval-ms N        how long to wait when the feed has nothing new (default 1000)`;

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: { type: "string" },
  after: { type: "string" },
  "from-start": { type: "boolean" },
  resource: { type: "string" },
  tenant: { type: "string" },
  json: { type: "boolean" },
  "interval-ms": { type: "string" },
};

const PAGE = 1000;

interface TailFlags {
  readonly config: string;
  readonly after: string | undefined;
  readonly fromStart: boolean;
  readonly resource: string | undefined;
  readonly tenant: string | undefined;
  readonly json: boolean;
  readonly intervalMs: number;
}

function parseFlags(args: string[]): TailFlags | "help" {
  const { help, values } = parseCommandArgs(args, OPTIONS);
  if (help) return "help";
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const interval = Number(text("interval-ms") ?? 1000);
  if (!Number.isInteger(interval) || interval < 1) throw new TypeError("--interval-ms needs a whole number ≥ 1");
  if (text("after") !== undefined && values["from-start"] === true) {
    throw new TypeError("use either --after or --from-start");
  }
  return {
    config: requireConfig(values),
    after: text("after"),
    fromStart: values["from-start"] === true,
    resource: text("resource"),
    tenant: text("tenant"),
    json: values["json"] === true,
    intervalMs: interval,
  };
}

/** The feed to follow: every tenant on a store without one (and no --tenant), else one tenant's. */
function feedOf(store: EventStore, flags: TailFlags): {
  read: (options: ReadFeedOptions) => Promise<FeedPage>;
  end: () => Promise<string>;
} {
  const resource = flags.resource === undefined ? {} : { resource: flags.resource };
  const unscoped = store.context.tenant === undefined || store.context.tenant === null;
  if (unscoped && flags.tenant === undefined) {
    return { read: (o) => store.readAllTenantsFeed(o), end: () => feedEnd(store, { ...resource, allTenants: true }) };
  }
  const scoped = flags.tenant === undefined ? store : store.withContext({ tenant: flags.tenant });
  return { read: (o) => scoped.readFeed(o), end: () => feedEnd(scoped, resource) };
}

/**
 * Run `edge-events tail`.
 *
 * @param args the arguments after `tail`
 * @param io output, environment and an extra stop signal
 * @param loader how TypeScript config modules load (tests inject one)
 * @returns 0 when stopped by a signal, 1 on failure, 2 on a usage error
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * process.exitCode = await tailCommand(["--config", "./events.config.ts", "--json"], processIo());
 * ```
 */
export async function tailCommand(args: string[], io: CliIo, loader?: TypeScriptLoader): Promise<number> {
  let flags: TailFlags | "help";
  try {
    flags = parseFlags(args);
  } catch (error) {
    io.err(`edge-events tail: ${(error as Error).message}\n\n${TAIL_HELP}`);
    return 2;
  }
  if (flags === "help") return (io.out(TAIL_HELP), 0);
  const options = flags;
  const print = options.json ? eventJsonLine : eventLine;
  return await withConfigStore("tail", options.config, io, async ({ store }) => {
    const feed = feedOf(store, options);
    const stop = trapStop(io);
    try {
      let cursor = options.after ?? (options.fromStart ? undefined : await feed.end());
      const from = options.after !== undefined ? "the cursor" : options.fromStart ? "the start" : "the end";
      io.err(`Following ${store.log.table.sql} from ${from} (Ctrl-C stops)`);
      while (!stop.signal.aborted) {
        const page = await feed.read({
          limit: PAGE,
          ...(cursor === undefined ? {} : { after: cursor }),
          ...(options.resource === undefined ? {} : { resource: options.resource }),
        });
        for (const event of page.events) io.out(print(event));
        cursor = page.cursor;
        if (page.events.length < PAGE) await pause(options.intervalMs, stop.signal);
      }
      io.err(`Stopped. Continue with: ${cursor === undefined ? "--from-start" : `--after ${cursor}`}`);
      return 0;
    } finally {
      stop.release();
    }
  }, loader);
}
