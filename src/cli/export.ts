/**
 * `edge-events export`: write the event log as a chain export (JSON Lines: a header, then one
 * event per line with every envelope field as stored), for `edge-events verify --file`.
 * @module
 */
import { open } from "node:fs/promises";
import { CHAIN_EXPORT_FORMAT, readChainExport } from "../history/verify-export.ts";
import { CONFIG_HELP, requireConfig, withConfigStore } from "./config-store.ts";
import type { CliIo } from "./io.ts";
import type { TypeScriptLoader } from "./load-store.ts";
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";

/** The help text of `edge-events export`. */
export const EXPORT_HELP: string = `Usage: edge-events export --config <module> [--out PATH]

Write the event log as a chain export: JSON Lines, a header line, then one event per line in
position order, every field the hash chain covers as stored (the jsonb payloads as Postgres
prints them). \`edge-events verify --file PATH\` verifies it with no database.

Options:
${CONFIG_HELP}
  --out PATH             write to this file (default: standard output)`;

const OPTIONS: Readonly<Record<string, OptionSpec>> = { config: { type: "string" }, out: { type: "string" } };

/**
 * Run `edge-events export`.
 *
 * @param args the arguments after `export`
 * @param io output and environment
 * @param loader how TypeScript config modules load (tests inject one)
 * @returns 0 on success, 1 on failure, 2 on a usage error
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * process.exitCode = await exportCommand(["--config", "./events.config.ts", "--out", "log.jsonl"], processIo());
 * ```
 */
export async function exportCommand(args: string[], io: CliIo, loader?: TypeScriptLoader): Promise<number> {
  let config: string;
  let out: string | undefined;
  try {
    const { help, values } = parseCommandArgs(args, OPTIONS);
    if (help) return (io.out(EXPORT_HELP), 0);
    config = requireConfig(values);
    out = values["out"] as string | undefined;
  } catch (error) {
    io.err(`edge-events export: ${(error as Error).message}\n\n${EXPORT_HELP}`);
    return 2;
  }
  return await withConfigStore("export", config, io, async ({ store }) => {
    const integrity = store.log.integrity;
    const chainScope = integrity.chain ? integrity.chainScope : "global";
    const file = out === undefined ? undefined : await open(out, "w");
    const write = async (line: string): Promise<void> => {
      if (file === undefined) io.out(line);
      else await file.write(`${line}\n`);
    };
    let count = 0;
    try {
      await write(JSON.stringify({ format: CHAIN_EXPORT_FORMAT, chainScope, table: store.log.table.sql }));
      for (let after: bigint | null = 0n; after !== null;) {
        const page = await readChainExport(store, { after });
        for (const event of page.events) await write(JSON.stringify(event));
        count += page.events.length;
        after = page.next;
      }
    } finally {
      await file?.close();
    }
    if (file !== undefined) io.err(`exported ${count} events to ${out}`);
    return 0;
  }, loader);
}
