/**
 * `edge-events history <resource> <id>`: one record's events, for people or as JSON lines.
 * @module
 */
import { history } from "../history/history.ts";
import { MAX_HISTORY_LIMIT } from "../history/page-options.ts";
import { CONFIG_HELP, requireConfig, withConfigStore } from "./config-store.ts";
import { eventJsonLine, eventLine } from "./event-line.ts";
import type { CliIo } from "./io.ts";
import type { TypeScriptLoader } from "./load-store.ts";
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";

/** The help text of `edge-events history`. */
export const HISTORY_HELP: string = `Usage: edge-events history <resource> <id> --config <module> [options]

Print one record's events (its own, and those a replay route sends to it), oldest first: one
line each, or one JSON object per line with --json. Exit code 1 when the record has none.

Options:
${CONFIG_HELP}
  --json                 JSON lines (positions as strings, times in ISO 8601)
  --tenant T             the record's tenant (required for a multi-tenant resource, unless
                         the config's store has one)
  --limit N              at most N events (default: all)
  --newest-first         newest first`;

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: { type: "string" },
  json: { type: "boolean" },
  tenant: { type: "string" },
  limit: { type: "string" },
  "newest-first": { type: "boolean" },
};

interface HistoryFlags {
  readonly config: string;
  readonly resource: string;
  readonly id: string;
  readonly json: boolean;
  readonly tenant: string | undefined;
  readonly limit: number;
  readonly newestFirst: boolean;
}

function parseFlags(args: string[]): HistoryFlags | "help" {
  const { help, values, positionals } = parseCommandArgs(args, OPTIONS, 2);
  if (help) return "help";
  const [resource, id] = positionals;
  if (resource === undefined || id === undefined) throw new TypeError("name the resource and the record id");
  const limitText = values["limit"] as string | undefined;
  const limit = limitText === undefined ? Number.POSITIVE_INFINITY : Number(limitText);
  if (limitText !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new TypeError("--limit needs a whole number ≥ 1");
  }
  return {
    config: requireConfig(values),
    resource,
    id,
    json: values["json"] === true,
    tenant: values["tenant"] as string | undefined,
    limit,
    newestFirst: values["newest-first"] === true,
  };
}

/**
 * Run `edge-events history`.
 *
 * @param args the arguments after `history`
 * @param io output and environment
 * @param loader how TypeScript config modules load (tests inject one)
 * @returns 0 when the record has events, 1 when it has none or on failure, 2 on a usage error
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * process.exitCode = await historyCommand(["account", "a-1", "--config", "./events.config.ts"], processIo());
 * ```
 */
export async function historyCommand(args: string[], io: CliIo, loader?: TypeScriptLoader): Promise<number> {
  let flags: HistoryFlags | "help";
  try {
    flags = parseFlags(args);
  } catch (error) {
    io.err(`edge-events history: ${(error as Error).message}\n\n${HISTORY_HELP}`);
    return 2;
  }
  if (flags === "help") return (io.out(HISTORY_HELP), 0);
  const { resource, id, limit } = flags;
  const print = flags.json ? eventJsonLine : eventLine;
  return await withConfigStore("history", flags.config, io, async ({ store }) => {
    const scoped = flags.tenant === undefined ? store : store.withContext({ tenant: flags.tenant });
    const direction = flags.newestFirst ? "backward" : "forward";
    let printed = 0;
    let cursor: string | null | undefined;
    do {
      const pageLimit = Math.min(MAX_HISTORY_LIMIT, limit - printed);
      const page = await history(scoped, resource, id, { cursor, limit: pageLimit, direction });
      for (const event of page.events) io.out(print(event));
      printed += page.events.length;
      cursor = page.cursor;
    } while (cursor !== null && printed < limit);
    if (printed > 0) return 0;
    io.err(
      `edge-events history: no events for ${resource}/${id}${
        flags.tenant === undefined ? "" : ` of tenant ${flags.tenant}`
      }`,
    );
    return 1;
  }, loader);
}
