/**
 * `edge-events migrate`: print the DDL of the config's event log (and resource tables), or
 * apply it with `store.migrate()`.
 * @module
 */
import { resourceTableSql } from "../core/resource-table.ts";
import type { EventStore } from "../core/store-types.ts";
import { migrationSql } from "../sql/event-log-ddl.ts";
import { CONFIG_HELP, requireConfig, withConfigStore } from "./config-store.ts";
import type { CliIo } from "./io.ts";
import type { TypeScriptLoader } from "./load-store.ts";
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";

/** The help text of `edge-events migrate`. */
export const MIGRATE_HELP: string = `Usage: edge-events migrate --config <module> [--apply] [--resource-tables]

Print the DDL of the event log (table, indexes, immutability triggers, replay state, ids of
ignored calls, fence functions) as one SQL script, for your migration tool; or apply it.
Idempotent: CREATE ... IF NOT EXISTS and CREATE OR REPLACE, never ALTER.

Options:
${CONFIG_HELP}
  --apply                run it: store.migrate() (one transaction under an advisory lock)
  --resource-tables      also each resource's table, from its definition`;

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: { type: "string" },
  apply: { type: "boolean" },
  "resource-tables": { type: "boolean" },
};

/** The script: the event log's DDL, then each resource's tables. */
function script(store: EventStore, resourceTables: boolean): string {
  const tables = resourceTables ? [...store.resources.values()].flatMap((r) => resourceTableSql(r)) : [];
  return [migrationSql(store.log), ...tables.map((s) => `${s.text};\n`)].join("\n");
}

/**
 * Run `edge-events migrate`.
 *
 * @param args the arguments after `migrate`
 * @param io output and environment
 * @param loader how TypeScript config modules load (tests inject one)
 * @returns 0 on success, 1 on failure, 2 on a usage error
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * process.exitCode = await migrateCommand(["--config", "./events.config.ts", "--apply"], processIo());
 * ```
 */
export async function migrateCommand(args: string[], io: CliIo, loader?: TypeScriptLoader): Promise<number> {
  let config: string;
  let apply: boolean;
  let resourceTables: boolean;
  try {
    const { help, values } = parseCommandArgs(args, OPTIONS);
    if (help) return (io.out(MIGRATE_HELP), 0);
    config = requireConfig(values);
    apply = values["apply"] === true;
    resourceTables = values["resource-tables"] === true;
  } catch (error) {
    io.err(`edge-events migrate: ${(error as Error).message}\n\n${MIGRATE_HELP}`);
    return 2;
  }
  return await withConfigStore("migrate", config, io, async ({ store }) => {
    if (!apply) {
      io.out(script(store, resourceTables).trimEnd());
      return 0;
    }
    await store.migrate({ resourceTables });
    const tables = resourceTables ? ` and the tables of ${store.resources.size} resource(s)` : "";
    io.out(`Migrated: the event log ${store.log.table.sql}${tables} are up to date`);
    return 0;
  }, loader);
}
