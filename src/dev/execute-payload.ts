/**
 * Runs one request's statements on a session: a single query in its implicit transaction, or a
 * batch in one explicit transaction rolled back on its first error (spec §4 and §6).
 * @module
 */

import { type BatchHeaders, beginSql } from "./batch-headers.ts";
import { isCopyStatement } from "./copy-guard.ts";
import { ProxyError } from "./errors.ts";
import type { Payload, Statement } from "./request-body.ts";
import type { ResponseBudget } from "./response-budget.ts";
import { ResultWriter } from "./result-writer.ts";
import type { Session } from "./session.ts";

/** Everything one request decided before touching the database. */
export interface ExecutionPlan {
  readonly payload: Payload;
  readonly batch: BatchHeaders;
  /** `Neon-Array-Mode: true`: the default row shape of every statement. */
  readonly arrayMode: boolean;
  /** `Neon-Raw-Text-Output: true`. */
  readonly rawText: boolean;
  readonly budget: ResponseBudget;
  readonly signal: AbortSignal;
  /** Fault injection: run a batch's statements, then roll back instead of committing. */
  readonly rollbackInsteadOfCommit?: boolean;
}

/** The error answered (to nobody) once the client has gone. */
function cancelled(): ProxyError {
  return new ProxyError(400, "Query cancelled, connection was terminated", "08P01");
}

async function runStatement(session: Session, statement: Statement, plan: ExecutionPlan): Promise<string> {
  if (plan.signal.aborted) throw cancelled();
  if (isCopyStatement(statement.text)) throw new ProxyError(400, "COPY is not supported over SQL-over-HTTP");
  const writer = new ResultWriter(plan.budget, {
    arrayMode: statement.arrayMode ?? plan.arrayMode,
    rawText: plan.rawText,
  });
  await session.run(statement, writer);
  const json = writer.json();
  if (json === null) throw plan.budget.exceeded();
  return json;
}

async function runBatch(session: Session, statements: readonly Statement[], plan: ExecutionPlan): Promise<string> {
  if (plan.signal.aborted) throw cancelled();
  await session.run({ text: beginSql(plan.batch), params: [] }, null);
  const results: string[] = [];
  try {
    for (const statement of statements) results.push(await runStatement(session, statement, plan));
    if (plan.signal.aborted) throw cancelled();
    if (plan.rollbackInsteadOfCommit === true) throw cancelled();
  } catch (err) {
    // After an abort the backend throws the connection away, which rolls back too. A failed
    // ROLLBACK leaves the connection not idle, so the backend drops it; the answer is still
    // the statement's error.
    if (!plan.signal.aborted) await session.run({ text: "ROLLBACK", params: [] }, null).catch(() => {});
    throw err;
  }
  await session.run({ text: "COMMIT", params: [] }, null);
  return `{"results":[${results.join(",")}]}`;
}

/**
 * Execute a request's payload and build its response body.
 *
 * @param session the connection lent for this request
 * @param plan the decoded request
 * @returns the JSON response body
 * @throws a Postgres error (first failing statement), or a `ProxyError` (COPY, 507, cancelled)
 */
export function executePayload(session: Session, plan: ExecutionPlan): Promise<string> {
  return plan.payload.kind === "query"
    ? runStatement(session, plan.payload.statement, plan)
    : runBatch(session, plan.payload.statements, plan);
}
