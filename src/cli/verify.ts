/**
 * `edge-events verify`: verify the hash chains of a store's log step by step with progress, or
 * a chain export file offline; optionally against a signed checkpoint.
 * @module
 */
import { readFile } from "node:fs/promises";
import type { ChainFailure } from "../history/chain-walk.ts";
import type { Checkpoint } from "../history/checkpoint.ts";
import { type ChainVerification, verifyChain } from "../history/verify-chain.ts";
import { parseChainExport, verifyExport } from "../history/verify-export.ts";
import { CONFIG_HELP, messageOf, withConfigStore } from "./config-store.ts";
import { formatCount } from "./format-units.ts";
import type { CliIo } from "./io.ts";
import type { TypeScriptLoader } from "./load-store.ts";
import { type OptionSpec, parseCommandArgs } from "./parse-args.ts";

/** The help text of `edge-events verify`. */
export const VERIFY_HELP: string = `Usage: edge-events verify --config <module> [--tenant T] [--limit N] [--json]
       edge-events verify --file <export.jsonl> [--json]
       ... [--checkpoint <checkpoint.json> --key <key.jwk>]

Recompute the hash chain of the event log (or of a chain export written by
\`edge-events export\`) and report ok, or the first bad event and why: payload_edited,
hash_edited, event_deleted, event_inserted, events_reordered, checkpoint_mismatch.
Exits 0 when the chains are intact, 1 when one is not (or on failure), 2 on a usage error.

Options:
${CONFIG_HELP}
  --file PATH            verify a chain export offline instead (no database)
  --tenant T             one tenant's chain (tenant chain scope); default every chain
  --limit N              events per step (default 1000): one query each
  --checkpoint PATH      a signed checkpoint (JSON) the chain must pass through unchanged
  --key PATH             the key that verifies it: a JWK (Ed25519 or P-256 public key, or HMAC)
  --json                 one JSON object`;

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: { type: "string" },
  file: { type: "string" },
  tenant: { type: "string" },
  limit: { type: "string" },
  checkpoint: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean" },
};

/**
 * Import a JWK as a key that verifies checkpoints.
 * @throws {TypeError} for a key of another kind
 */
export async function importVerifyKey(jwk: JsonWebKey): Promise<CryptoKey> {
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    return await crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["verify"]);
  }
  if (jwk.kty === "EC" && jwk.crv === "P-256") {
    return await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  }
  if (jwk.kty === "oct") {
    return await crypto.subtle.importKey("jwk", jwk, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  }
  throw new TypeError("--key must be an Ed25519 or P-256 public key, or an HMAC key, as a JWK");
}

function failureJson(failure: ChainFailure | null): unknown {
  return failure === null ? null : { ...failure, position: String(failure.position) };
}

function report(io: CliIo, json: boolean, result: { ok: boolean; checked: number; failure: ChainFailure | null }) {
  if (json) {
    io.out(JSON.stringify({ ok: result.ok, checked: result.checked, failure: failureJson(result.failure) }));
  } else if (result.failure === null) io.out(`ok: ${formatCount(result.checked)} events verified`);
  else {
    const f = result.failure;
    const chain = f.tenant === null ? "" : ` (chain of tenant ${f.tenant})`;
    io.out(`${f.reason}: event ${f.eventId} at #${f.position}${chain}: ${f.message}`);
  }
  return result.ok ? 0 : 1;
}

interface VerifyArgs {
  readonly config: string | undefined;
  readonly file: string | undefined;
  readonly tenant: string | undefined;
  readonly limit: number | undefined;
  readonly checkpoint: string | undefined;
  readonly key: string | undefined;
  readonly json: boolean;
}

function parse(args: string[]): VerifyArgs | "help" {
  const { help, values } = parseCommandArgs(args, OPTIONS);
  if (help) return "help";
  const text = (name: string) => values[name] as string | undefined;
  if ((text("config") === undefined) === (text("file") === undefined)) {
    throw new TypeError("give either --config or --file");
  }
  if ((text("checkpoint") === undefined) !== (text("key") === undefined)) {
    throw new TypeError("--checkpoint and --key go together");
  }
  const limit = text("limit") === undefined ? undefined : Number(text("limit"));
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
    throw new TypeError("--limit must be an integer from 1 to 10000");
  }
  return {
    config: text("config"),
    file: text("file"),
    tenant: text("tenant"),
    limit,
    checkpoint: text("checkpoint"),
    key: text("key"),
    json: values["json"] === true,
  };
}

async function signed(a: VerifyArgs): Promise<{ checkpoint?: Checkpoint; key?: CryptoKey }> {
  if (a.checkpoint === undefined || a.key === undefined) return {};
  const checkpoint = JSON.parse(await readFile(a.checkpoint, "utf8")) as Checkpoint;
  const key = await importVerifyKey(JSON.parse(await readFile(a.key, "utf8")) as JsonWebKey);
  return { checkpoint, key };
}

/**
 * Run `edge-events verify`.
 *
 * @param args the arguments after `verify`
 * @param io output and environment
 * @param loader how TypeScript config modules load (tests inject one)
 * @returns 0 when the chains are intact, 1 when not (or on failure), 2 on a usage error
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 *
 * process.exitCode = await verifyCommand(["--config", "./events.config.ts"], processIo());
 * ```
 */
export async function verifyCommand(args: string[], io: CliIo, loader?: TypeScriptLoader): Promise<number> {
  let a: VerifyArgs;
  try {
    const parsed = parse(args);
    if (parsed === "help") return (io.out(VERIFY_HELP), 0);
    a = parsed;
  } catch (error) {
    io.err(`edge-events verify: ${(error as Error).message}\n\n${VERIFY_HELP}`);
    return 2;
  }
  if (a.file !== undefined) {
    try {
      const exported = parseChainExport(await readFile(a.file, "utf8"));
      return report(io, a.json, await verifyExport(exported, await signed(a)));
    } catch (error) {
      io.err(`edge-events verify: ${messageOf(error)}`);
      return 1;
    }
  }
  return await withConfigStore("verify", a.config!, io, async ({ store }) => {
    const onProgress = (step: ChainVerification): void => {
      if (!a.json && !step.done) io.err(`verified ${formatCount(step.checked)} events, at #${step.position}`);
    };
    const result = await verifyChain(store, {
      ...(a.tenant === undefined ? {} : { tenant: a.tenant }),
      ...(a.limit === undefined ? {} : { limit: a.limit }),
      ...await signed(a),
      onProgress,
    });
    return report(io, a.json, result);
  }, loader);
}
