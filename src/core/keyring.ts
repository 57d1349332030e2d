/**
 * Where the encryption keys of sensitive values come from: the {@link Keyring} interface the
 * store is given, and {@link memoryKeyring}, an in-memory implementation for tests, examples
 * and the shape of a real one.
 * @module
 */

/** A key to encrypt new values with, and the id stored beside each ciphertext. */
export interface KeyringKey {
  /**
   * The key id, stored in clear in every envelope: choose ids that say nothing about the
   * subject (a random id, not an email address).
   */
  readonly kid: string;
  /** An AES-GCM key (128, 192 or 256 bits) that can `encrypt` and `decrypt`. */
  readonly key: CryptoKey;
}

/**
 * The store's source of keys (`createEventStore({ keyring })`). Keys belong to subjects (a
 * user, a tenant, a record: see the resource's `encryptionSubject`); rotating a subject's key
 * means `currentKey` returns a new one while `keyFor` still finds the old ones; destroying a
 * subject's keys (crypto-shredding) means `keyFor` returns null for each of them, and every
 * value encrypted under them then reads as erased. Both methods may be async (a KMS, a key
 * table) and are called once per value to encrypt or decrypt: cache in the implementation.
 */
export interface Keyring {
  /** The key to encrypt new values of `subject` with. */
  currentKey(subject: string): KeyringKey | Promise<KeyringKey>;
  /** The key with id `kid`, or null when it was destroyed or never existed (the value reads as erased). */
  keyFor(kid: string): CryptoKey | null | Promise<CryptoKey | null>;
}

/** A {@link Keyring} held in memory, with rotation and destruction by subject. */
export interface MemoryKeyring extends Keyring {
  /** Give `subject` a new current key (older ones still decrypt); returns its id. */
  rotate(subject: string): Promise<string>;
  /** Destroy every key of `subject` (crypto-shredding); returns how many were destroyed. */
  destroy(subject: string): number;
  /** The ids of `subject`'s keys that still exist, oldest first. */
  keyIds(subject: string): readonly string[];
}

/** A random key id: 16 random bytes as hex, so that it says nothing about its subject. */
function newKeyId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A keyring in memory: each subject gets a fresh AES-256-GCM key (non-extractable, from Web
 * Crypto) the first time a value of it is encrypted. Keys live as long as the object: use it
 * in tests and examples, and implement {@link Keyring} over a key store (a KMS, a table of
 * wrapped keys) in production, where a destroyed key must be gone from every backup too.
 *
 * @returns the keyring, with `rotate`, `destroy` and `keyIds`
 * @example
 * ```ts
 * import { type AnyResource, createEventStore, defineEventLog, type Executor, memoryKeyring } from "edge-events";
 *
 * function storeWithKeys(db: Executor, resources: AnyResource[]) {
 *   const keyring = memoryKeyring();
 *   const store = createEventStore({ db, log: defineEventLog(), resources, keyring });
 *   return { store, keyring }; // keyring.destroy("user/42") erases user 42's encrypted values
 * }
 * ```
 */
export function memoryKeyring(): MemoryKeyring {
  const keys = new Map<string, CryptoKey>();
  const bySubject = new Map<string, string[]>();
  const pending = new Map<string, Promise<KeyringKey>>();
  const rotate = async (subject: string): Promise<string> => {
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    const kid = newKeyId();
    keys.set(kid, key);
    bySubject.set(subject, [...(bySubject.get(subject) ?? []), kid]);
    return kid;
  };
  const current = (subject: string): Promise<KeyringKey> => {
    const kid = bySubject.get(subject)?.at(-1);
    if (kid !== undefined) return Promise.resolve({ kid, key: keys.get(kid)! });
    // Two writes of a new subject at once share one key rather than make two.
    let made = pending.get(subject);
    if (made === undefined) {
      made = rotate(subject).then((id) => ({ kid: id, key: keys.get(id)! })).finally(() => pending.delete(subject));
      pending.set(subject, made);
    }
    return made;
  };
  return Object.freeze({
    currentKey: current,
    keyFor: (kid: string) => keys.get(kid) ?? null,
    rotate,
    destroy(subject: string): number {
      const ids = bySubject.get(subject) ?? [];
      for (const kid of ids) keys.delete(kid);
      bySubject.delete(subject);
      return ids.length;
    },
    keyIds: (subject: string) => Object.freeze([...(bySubject.get(subject) ?? [])]),
  });
}
