/**
 * Inline projections on the write path: the statements an action's batch carries for each
 * event it writes, after every write of the batch, so that they commit or fail with it.
 * @module
 */
import type { EventLog } from "./event-log.ts";
import type { SqlStatement } from "./executor.ts";
import type { PendingEvent, Projection, ProjectionContext } from "./projection.ts";
import type { BuiltWrite } from "./write-plan.ts";
import type { PreparedCall } from "./prepare-call.ts";
import { ref, sql } from "../sql/fragment.ts";
import { OCCURRED_AT_SETTING } from "../sql/event-log-ddl.ts";
import { inlineGuardSql, projectionScope } from "../sql/projection-statements.ts";

/** The event a built write will insert, as far as it is known before the batch is sent. */
function pendingEvent(call: PreparedCall, write: BuiltWrite): PendingEvent | undefined {
  const event = write.event;
  if (event === null) return undefined; // ignored actions write no event
  return Object.freeze({
    id: event.id,
    resource: call.resource.name,
    recordId: String(write.primaryKey),
    action: event.action,
    actionType: event.actionType,
    version: event.version,
    data: JSON.parse(event.data),
    changes: write.changes,
    metadata: JSON.parse(event.metadata),
    tenant: event.tenant,
    correlationId: event.correlationId,
    causationId: event.causationId,
    parentId: call.parentId,
    actor: call.actor === null ? null : { type: call.actor.type, id: call.actor.id },
  });
}

/** Position and time read in the batch itself: the event row and the prelude's stamp. */
function inlineContext(log: EventLog, eventId: string): ProjectionContext {
  const table = log.table.schema === undefined ? log.table.name : `${log.table.schema}.${log.table.name}`;
  return {
    position: sql`SELECT "position" FROM ${ref(table)} WHERE "id" = ${eventId}`,
    occurredAt: sql`SELECT current_setting(${OCCURRED_AT_SETTING}::text)::timestamptz`,
    inline: true,
  };
}

/** What inline projections add to one write batch. */
export interface InlineWrite {
  /** One guard per projection that handles an event of the batch, then the handlers' statements. */
  readonly statements: readonly SqlStatement[];
  /** The projections the batch runs (named by the error when one of them is being rebuilt). */
  readonly projections: readonly string[];
}

/**
 * The inline projections' statements for the calls of one batch: for each projection that
 * handles one of its events, a guard that refuses the batch (`EEB01`) while the projection is
 * rebuilt in `all` or in an event's tenant scope, then the handlers' statements in call order.
 * @throws {ProjectionHandlerError} code `PROJECTION_FAILED` when a handler throws (nothing is sent)
 */
export function inlineStatements(
  log: EventLog,
  projections: readonly Projection[],
  calls: readonly PreparedCall[],
  writes: readonly BuiltWrite[],
): InlineWrite {
  const out: SqlStatement[] = [];
  const scopes = new Map<Projection, Set<string>>();
  calls.forEach((call, i) => {
    const event = pendingEvent(call, writes[i]!);
    if (event === undefined) return;
    for (const projection of projections) {
      if (projection.handles(event.resource, event.action)) {
        if (writes[i]!.upserts === true) {
          // Its record id (and `changes`) are known only once the database chose insert or update.
          throw new TypeError(
            `The inline projection ${projection.name} handles ${event.resource}.${event.action}, an upsert, whose record is known only in the database: make it an async projection`,
          );
        }
        out.push(...projection.statementsFor(event, inlineContext(log, event.id)));
        let scoped = scopes.get(projection);
        if (scoped === undefined) scopes.set(projection, scoped = new Set([projectionScope(undefined)]));
        scoped.add(projectionScope(event.tenant));
      }
    }
  });
  const guards = [...scopes].map(([projection, scoped]) => inlineGuardSql(log, projection.name, [...scoped]));
  return { statements: [...guards, ...out], projections: [...scopes.keys()].map((p) => p.name) };
}
