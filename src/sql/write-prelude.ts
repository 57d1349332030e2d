/**
 * The statements that open a write batch: the fence lock a replay takes alone, the write
 * locks in a deadlock-free order, the fence check, and the batch's stamp. The record writes
 * that follow are `write-statements.ts`.
 * @module
 */
import type { SqlStatement } from "../core/executor.ts";
import type { EventLog, LockKey } from "../core/event-log.ts";
import { statement } from "./statement.ts";
import { derivedName } from "./event-log-ddl.ts";

/** The two int32 keys of the fence lock of a log: writes share it, a replay start takes it alone. */
export function fenceLockKey(log: EventLog): readonly [number, number] {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(log.table.sql)) hash = Math.imul(hash ^ byte, 0x01000193);
  return [0x65656665, hash | 0];
}

/**
 * The statement every write batch starts with: one call of `<table>_begin_write`, which takes
 * the shared fence lock, then the write locks, then runs the fence check for each tenant
 * written (raises `EER01` while a replay runs), then fixes the batch's stamp: `clock`, or the
 * latest `occurred_at` of the log when that is later. The keys are deduplicated and sorted here, so
 * that concurrent multi-lock batches cannot deadlock: sorted by `b<bigint>` / `p<int>,<int>`
 * text, which puts every bigint key before every pair, so the function takes the bigint keys,
 * then the pairs, in exactly the order earlier versions took them one statement each.
 */
export function writePreludeSql(
  log: EventLog,
  keys: readonly LockKey[],
  tenants: readonly (string | null)[],
  clock: Date,
): SqlStatement {
  const unique = new Map(keys.map((k) => [typeof k === "bigint" ? `b${k}` : `p${k[0]},${k[1]}`, k]));
  const bigints: bigint[] = [];
  const pairsA: number[] = [];
  const pairsB: number[] = [];
  for (const id of [...unique.keys()].sort()) {
    const key = unique.get(id)!;
    if (typeof key === "bigint") bigints.push(key);
    else (pairsA.push(key[0]), pairsB.push(key[1]));
  }
  const [fenceA, fenceB] = fenceLockKey(log);
  return statement(
    `SELECT ${
      derivedName(log, "begin_write")
    }($1::int, $2::int, $3::bigint[], $4::int[], $5::int[], $6::text[], $7::timestamptz)`,
    [
      fenceA,
      fenceB,
      Object.freeze(bigints),
      Object.freeze(pairsA),
      Object.freeze(pairsB),
      Object.freeze([...new Set(tenants)]),
      clock,
    ],
  );
}

/** The fence check alone: raises `EER01` while a replay of all tenants or of `tenant` runs. */
export function fenceCheckSql(log: EventLog, tenant: string | null): SqlStatement {
  return statement(`SELECT ${derivedName(log, "assert_writable")}($1::text)`, [tenant]);
}
