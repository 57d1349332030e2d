/**
 * Signed checkpoints of a hash chain (docs/integrity.md, "Checkpoints"): the chain's head
 * (position, event id, hash) and the time, signed with a Web Crypto key the database never
 * sees. A checkpoint is plain JSON; keep it (and publish it: `onCheckpoint`) outside the database.
 * @module
 */
import type { ChainScope } from "../core/event-log.ts";
import type { EventStore } from "../core/store-types.ts";
import { validationError } from "../core/validation.ts";
import { chainHeadSql, type ChainSelector } from "../sql/chain-statements.ts";
import type { ChainMark } from "./chain-walk.ts";

/** The format name of checkpoints this version writes and reads. */
export const CHECKPOINT_FORMAT = "edge-events/checkpoint/1";

/** The signature algorithms of checkpoints. */
export type CheckpointAlgorithm = "Ed25519" | "ECDSA-P256-SHA256" | "HMAC-SHA256";

/** A signed checkpoint of one chain. */
export interface Checkpoint {
  /** Always {@link CHECKPOINT_FORMAT}. */
  readonly format: typeof CHECKPOINT_FORMAT;
  /** The chain: the log's one (`global`), or one tenant's (`tenant`; null: events without a tenant). */
  readonly chain: { readonly scope: ChainScope; readonly tenant: string | null };
  /** The head's position, decimal digits. */
  readonly position: string;
  /** The head's event id. */
  readonly eventId: string;
  /** The head's stored hash, lowercase hex. */
  readonly hash: string;
  /** When the checkpoint was signed (ISO-8601, UTC). */
  readonly signedAt: string;
  /** How it was signed. */
  readonly algorithm: CheckpointAlgorithm;
  /** The caller's name of the key, to pick the verifying key later; null when none was given. */
  readonly keyId: string | null;
  /** The signature over {@link checkpointPayload}, base64url without padding. */
  readonly signature: string;
}

/** What {@link checkpoint} reads from the store. */
export type CheckpointStore = Pick<EventStore, "log" | "db" | "clock">;

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /** The signing key: an Ed25519 or ECDSA P-256 private key, or an HMAC SHA-256 key. */
  readonly key: CryptoKey;
  /** The tenant whose chain to sign (tenant chain scope; null: events without a tenant). */
  readonly tenant?: string | null;
  /** A name of the key, recorded in the checkpoint. */
  readonly keyId?: string;
  /** Called with the checkpoint before it is returned: publish it elsewhere (an anchor). */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => void | Promise<void>;
}

function algorithmOf(key: CryptoKey): { name: CheckpointAlgorithm; params: AlgorithmIdentifier | EcdsaParams } {
  const algorithm = key.algorithm as KeyAlgorithm & { namedCurve?: string; hash?: { name?: string } };
  if (algorithm.name === "Ed25519") return { name: "Ed25519", params: { name: "Ed25519" } };
  if (algorithm.name === "ECDSA" && algorithm.namedCurve === "P-256") {
    return { name: "ECDSA-P256-SHA256", params: { name: "ECDSA", hash: "SHA-256" } };
  }
  if (algorithm.name === "HMAC" && algorithm.hash?.name === "SHA-256") return { name: "HMAC-SHA256", params: "HMAC" };
  throw new TypeError("A checkpoint key must be Ed25519, ECDSA P-256 or HMAC SHA-256");
}

/**
 * The bytes a checkpoint's signature covers: the UTF-8 of the JSON array
 * `[format, scope, tenant, position, eventId, hash, signedAt, algorithm, keyId]`
 * (`JSON.stringify`, no whitespace).
 */
export function checkpointPayload(checkpoint: Omit<Checkpoint, "signature">): Uint8Array<ArrayBuffer> {
  const c = checkpoint;
  return new TextEncoder().encode(
    JSON.stringify([
      c.format,
      c.chain.scope,
      c.chain.tenant,
      c.position,
      c.eventId,
      c.hash,
      c.signedAt,
      c.algorithm,
      c.keyId,
    ]),
  );
}

function base64Url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

function fromBase64UrlBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * Sign the head of a chain: its position, event id and hash, and the time (the store's clock).
 *
 * @returns the checkpoint (JSON-safe), after `onCheckpoint` resolved
 * @throws {TypeError} when the log has no chain, the key is of another kind, or a tenant is
 *   given for a global chain
 * @throws {ValidationError} code `VALIDATION_FAILED` when the chain has no event yet
 * @example
 * ```ts
 * import { checkpoint, type EventStore } from "edge-events";
 *
 * async function sign(store: EventStore, key: CryptoKey): Promise<string> {
 *   const signed = await checkpoint(store, { key, keyId: "2025-01" });
 *   return JSON.stringify(signed); // keep it outside the database
 * }
 * ```
 */
export async function checkpoint(store: CheckpointStore, options: CheckpointOptions): Promise<Checkpoint> {
  const integrity = store.log.integrity;
  if (!integrity.chain) {
    throw new TypeError("This log has no hash chain (defineEventLog({ integrity: { chain: true } }))");
  }
  const { name, params } = algorithmOf(options.key);
  if (integrity.chainScope === "global" && options.tenant !== undefined && options.tenant !== null) {
    throw new TypeError("The log has one global chain: sign it without a tenant");
  }
  const tenant = integrity.chainScope === "global" ? null : options.tenant ?? null;
  const chain: ChainSelector = integrity.chainScope === "global" ? { all: true } : { tenant };
  const head = (await store.db.query(chainHeadSql(store.log, chain))).rows[0];
  if (head === undefined) throw validationError("the chain has no event to sign yet", "tenant", "empty");
  const unsigned: Omit<Checkpoint, "signature"> = {
    format: CHECKPOINT_FORMAT,
    chain: { scope: integrity.chainScope, tenant },
    position: String(head["position"]),
    eventId: String(head["id"]),
    hash: String(head["hash"]),
    signedAt: store.clock().toISOString(),
    algorithm: name,
    keyId: options.keyId ?? null,
  };
  const signature = await crypto.subtle.sign(params, options.key, checkpointPayload(unsigned));
  const signed: Checkpoint = Object.freeze({ ...unsigned, signature: base64Url(signature) });
  await options.onCheckpoint?.(signed);
  return signed;
}

/**
 * Whether `key` verifies the signature of `checkpoint` (and the checkpoint is well formed).
 *
 * @example
 * ```ts
 * import { type Checkpoint, verifyCheckpoint } from "edge-events";
 *
 * async function trusted(saved: string, publicKey: CryptoKey): Promise<boolean> {
 *   return await verifyCheckpoint(JSON.parse(saved) as Checkpoint, publicKey);
 * }
 * ```
 */
export async function verifyCheckpoint(checkpoint: Checkpoint, key: CryptoKey): Promise<boolean> {
  const c = checkpoint as Partial<Checkpoint> | null;
  if (
    typeof c !== "object" || c === null || c.format !== CHECKPOINT_FORMAT || typeof c.signature !== "string" ||
    typeof c.position !== "string" || !/^[0-9]+$/.test(c.position) || typeof c.hash !== "string" ||
    typeof c.eventId !== "string" || typeof c.chain !== "object" || c.chain === null
  ) return false;
  let algorithm: ReturnType<typeof algorithmOf>;
  try {
    algorithm = algorithmOf(key);
  } catch {
    return false;
  }
  if (algorithm.name !== c.algorithm) return false;
  const signature = fromBase64UrlBytes(c.signature);
  if (signature === undefined) return false;
  const { signature: _, ...unsigned } = checkpoint;
  return await crypto.subtle.verify(algorithm.params, key, signature, checkpointPayload(unsigned));
}

/**
 * The chain mark of a checkpoint whose signature `key` verifies.
 * @throws {ValidationError} code `VALIDATION_FAILED` (path `checkpoint`) when it does not
 */
export async function checkpointMark(checkpoint: Checkpoint, key: CryptoKey): Promise<ChainMark> {
  if (!(await verifyCheckpoint(checkpoint, key))) {
    throw validationError("the checkpoint's signature does not verify with this key", "checkpoint", "signature");
  }
  return { position: BigInt(checkpoint.position), eventId: checkpoint.eventId, hash: checkpoint.hash };
}

/**
 * A new key pair for checkpoints: Ed25519 where the runtime has it, else ECDSA P-256.
 * Export the private key to keep it (`crypto.subtle.exportKey("pkcs8", ...)`).
 *
 * @example
 * ```ts
 * import { generateCheckpointKey } from "edge-events";
 *
 * const { privateKey, publicKey } = await generateCheckpointKey();
 * ```
 */
export async function generateCheckpointKey(): Promise<CryptoKeyPair> {
  try {
    return await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair;
  } catch {
    return await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  }
}
