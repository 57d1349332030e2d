/**
 * edge-events: event sourcing and audit trails for edge functions over Postgres
 * spoken through SQL-over-HTTP.
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { createEventStore, defineEventLog, defineResource } from "edge-events";
 * import { pglite } from "edge-events/pglite";
 * import { PGlite } from "@electric-sql/pglite";
 *
 * const log = defineEventLog({ actors: { user: { column: "user_id", type: "text" } } });
 * const User = defineResource({
 *   name: "user", table: "users",
 *   attributes: v.object({ id: v.string(), name: v.string() }),
 *   actions: ({ create, update }) => ({
 *     register: create({ input: v.object({ name: v.string() }) }),
 *     rename: update({ input: v.object({ name: v.string() }) }),
 *   }),
 * });
 * const local = new PGlite(); // in memory
 * const store = createEventStore({ db: pglite(local), log, resources: [User] });
 * await store.migrate({ resourceTables: true });
 * const { record } = await store.resource(User).register({ name: "Ada" }, { actor: { user: "u1" } });
 * console.log(record.id, record.name);
 * await local.close(); // or the process stays alive ~10 s after its last line
 * ```
 * @module
 */
export {
  ConflictError,
  DecryptionError,
  EdgeEventsError,
  FoldError,
  HookFailedError,
  isEdgeEventsError,
  NotFoundError,
  ProjectionConflictError,
  ProjectionHandlerError,
  ProjectionRebuildingError,
  RecordDestroyedError,
  RecordNotDestroyedError,
  RedactedValueError,
  ReplayAlreadyRunningError,
  ReplayConflictError,
  ReplayError,
  ReplayInProgressError,
  RowExistsError,
  StaleRecordError,
  StorageError,
  ValidationError,
} from "./src/core/errors.ts";
export type {
  EdgeEventsErrorCode,
  EdgeEventsErrorOptions,
  ErrorClassByCode,
  ErrorForCode,
  ValidationIssue,
} from "./src/core/errors.ts";
export type {
  BatchOptions,
  Executor,
  IsolationLevel,
  QueryResult,
  Row,
  SqlParam,
  SqlStatement,
} from "./src/core/executor.ts";
export { defineEventLog } from "./src/core/event-log.ts";
export type {
  ActorColumnType,
  ActorDefinition,
  ActorDefinitions,
  ChainScope,
  EventLog,
  EventLogOptions,
  Integrity,
  IntegrityOptions,
  LockKey,
  LockKeyInput,
  LockOption,
  ReplayOverride,
} from "./src/core/event-log.ts";
export { migrationSql } from "./src/sql/event-log-ddl.ts";
export { defineResource } from "./src/core/resource.ts";
export type {
  AnyActionOf,
  AnyResource,
  AttributesSchema,
  PrimaryKeyGeneration,
  PrimaryKeyOption,
  Resource,
  ResourceOptions,
} from "./src/core/resource.ts";
export type {
  ActionBuilders,
  ActionDefinition,
  ActionType,
  AfterHookInfo,
  AtomicSet,
  BeforeHookInfo,
  CommonActionOptions,
  CreateOptions,
  DestroyOptions,
  PurgeOptions,
  RestoreOptions,
  UpdateOptions,
  UpsertOptions,
} from "./src/core/action.ts";
export type { ActionContext, ActorId, ChangeCallContext } from "./src/core/context.ts";
export type { EventActor, StoredEvent } from "./src/core/stored-event.ts";
export { createEventStore } from "./src/core/store.ts";
export type { EventStoreOptions } from "./src/core/store.ts";
export type { CommittedSubscriber, ConflictRetryOptions } from "./src/core/action-runner.ts";
export type {
  ActionCall,
  ActionResult,
  ActionsOf,
  ActionStore,
  EventStore,
  FeedPage,
  InputArg,
  PlannedAction,
  PlannedCall,
  ReadEventsOptions,
  ReadFeedOptions,
  RecordId,
  RecordOf,
  ResourceClient,
  TransactionBuilder,
  TransactionResourceClient,
  TransactionResults,
} from "./src/core/store-types.ts";
export { feedEnd } from "./src/core/feed-end.ts";
export type { FeedEndOptions, FeedEndStore } from "./src/core/feed-end.ts";
export type { AnySchema } from "./src/core/validation.ts";
export type { TableName } from "./src/sql/identifier.ts";
export { ref, sql } from "./src/sql/fragment.ts";
export type { AttributeRef, SqlFragment } from "./src/sql/fragment.ts";
export { resourceTableSql } from "./src/core/resource-table.ts";
export { GLOBAL_LOCK_KEY, tenantLockKey } from "./src/core/lock-key.ts";
export type { JsonObject, JsonValue } from "./src/core/json.ts";
export { MAX_EVENT_JSON_BYTES, MAX_JSON_DEPTH } from "./src/core/json.ts";
export { isUlid, isUuid, newEventId, newUuidV7 } from "./src/core/ids.ts";
export type {
  ClearContext,
  ReplayClear,
  ReplayConfig,
  ReplayOptions,
  ReplayProgress,
  ReplayResult,
  ReplayScope,
  ReplayStepOptions,
  SkippedEvent,
} from "./src/replay/replay-types.ts";
export { abortReplay, replay, replayStep } from "./src/replay/replay.ts";
export type { ReplayStore } from "./src/replay/replay.ts";
export { adopt } from "./src/replay/adopt.ts";
export type { AdoptOptions, AdoptResult, AdoptStore } from "./src/replay/adopt.ts";
export { replayStatus } from "./src/replay/replay-status.ts";
export type { ReplayStatusEnv } from "./src/replay/replay-status.ts";
export type { ReplayStatus, ReplayStatusName, ReplayStatusOptions } from "./src/replay/replay-status.ts";
export {
  dateFromJson,
  dateToJson,
  eventFromJson,
  eventToJson,
  feedPageFromJson,
  feedPageToJson,
  positionFromJson,
  positionToJson,
} from "./src/core/wire.ts";
export type { DateJson, FeedPageJson, PositionJson, StoredEventJson } from "./src/core/wire.ts";
export { replayResultToJson, replayStatusToJson } from "./src/replay/replay-wire.ts";
export type { ReplayResultJson, ReplayStatusJson, SkippedEventJson } from "./src/replay/replay-wire.ts";
export { audit, auditAllTenants } from "./src/history/audit.ts";
export type { AuditOptions, AuditPage, AuditStore, TenantOption } from "./src/history/audit.ts";
export { summary, summaryAllTenants } from "./src/history/summary.ts";
export type { AuditSummary, SummaryEvent, SummaryOptions } from "./src/history/summary.ts";
export { history } from "./src/history/history.ts";
export type { HistoryPage } from "./src/history/history.ts";
export type { HistoryStore, ResourceArg } from "./src/history/history-store.ts";
export { DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT } from "./src/history/page-options.ts";
export type { PageOptions } from "./src/history/page-options.ts";
export type { Direction } from "./src/history/position-cursor.ts";
export type { HistoryPoint } from "./src/history/history-point.ts";
export { stateAt } from "./src/history/state-at.ts";
export type {
  RecordDestroyed,
  RecordExists,
  RecordNotCreated,
  RecordOfArg,
  RecordState,
} from "./src/history/state-at.ts";
export { diff } from "./src/history/diff.ts";
export type { AttributeChange, RecordDiff } from "./src/history/diff.ts";
export { timeline } from "./src/history/timeline.ts";
export type { TimelineEntry, TimelinePage } from "./src/history/timeline.ts";
export { ancestors } from "./src/history/ancestors.ts";
export { previousEvents } from "./src/history/previous-events.ts";
export { defineProjection } from "./src/core/projection.ts";
export type {
  PendingEvent,
  Projection,
  ProjectionContext,
  ProjectionHandler,
  ProjectionOptions,
  ProjectionStatements,
} from "./src/core/projection.ts";
export { project } from "./src/projections/project.ts";
export type { ProjectOptions, ProjectResult } from "./src/projections/project.ts";
export { rebuildProjection } from "./src/projections/rebuild-projection.ts";
export type { RebuildProjectionOptions } from "./src/projections/rebuild-projection.ts";
export { projectionStatus } from "./src/projections/projection-status.ts";
export type { ProjectionStatus } from "./src/projections/projection-status.ts";
export type { ProjectionStore } from "./src/projections/projection-env.ts";
export { savepoint } from "./src/history/savepoint.ts";
export type { SavepointResult } from "./src/history/savepoint.ts";
export type { SavepointErrorHandler, SavepointFailure } from "./src/core/auto-savepoints.ts";
export type { SavepointStore } from "./src/history/record-scope.ts";
export { verifySavepoints } from "./src/history/verify-savepoints.ts";
export type { SavepointIssue, SavepointReport } from "./src/history/verify-savepoints.ts";
export { verifyChain, verifyChainStep } from "./src/history/verify-chain.ts";
export type { ChainStore, ChainVerification, VerifyChainOptions } from "./src/history/verify-chain.ts";
export type { ChainFailure, ChainFailureReason } from "./src/history/chain-walk.ts";
export { CHAIN_RULE_V1, chainEnvelope, chainHash } from "./src/history/chain-envelope.ts";
export type { ChainedEvent } from "./src/history/chain-envelope.ts";
export { CHAIN_EXPORT_FORMAT, parseChainExport, readChainExport, verifyExport } from "./src/history/verify-export.ts";
export type { ChainExport, ChainExportPage, ExportVerification } from "./src/history/verify-export.ts";
export { checkpoint, CHECKPOINT_FORMAT, generateCheckpointKey, verifyCheckpoint } from "./src/history/checkpoint.ts";
export type { Checkpoint, CheckpointAlgorithm, CheckpointOptions, CheckpointStore } from "./src/history/checkpoint.ts";
export { eventsSinceSavepoint } from "./src/history/events-since-savepoint.ts";
export type { EventsSinceSavepoint } from "./src/history/events-since-savepoint.ts";
export { materialize } from "./src/history/materialize.ts";
export type { MaterializeOptions, MaterializeResult, MaterializeStore } from "./src/history/materialize.ts";
export { memoryKeyring } from "./src/core/keyring.ts";
export type { Keyring, KeyringKey, MemoryKeyring } from "./src/core/keyring.ts";
export { recordSubject } from "./src/core/sensitivity.ts";
export type { EncryptionSubjectInfo, SensitiveOptions } from "./src/core/sensitivity.ts";
export { ERASED, isEncrypted, isErased, isRedacted, REDACTED } from "./src/core/sensitive-markers.ts";
export type { EncryptedValue, ErasedMarker, RedactedMarker, SensitiveMode } from "./src/core/sensitive-markers.ts";
export { Sensitive } from "./src/core/sensitive-value.ts";
export { revealEvent } from "./src/history/reveal-event.ts";
export type { RevealedEvent, RevealStore } from "./src/history/reveal-event.ts";
