// The public contract of the topics, for the service and for downstream consumers written in
// TypeScript: the event types, the events' record codec, the state topic's record codec, the
// schema identifiers (ce_dataschema) and the domain's fold (`evolve`), so a consumer can hold the
// current state of every key from the log without reimplementing it, or read it from the state topic.
// It also presents the updatable fields (schema, wording, example), for the schemas and the API docs.
export { API_KEY_CREATED, API_KEY_DELETED, API_KEY_UPDATED, SCHEMA_VERSION, KEY_TYPES, evolve } from '@app/domain';
export type {
  ApiKeyChanges,
  ApiKeyCreated,
  ApiKeyCreatedData,
  ApiKeyDeleted,
  ApiKeyDeletedData,
  ApiKeyEvent,
  ApiKeyState,
  ApiKeyUpdated,
  ApiKeyUpdatedData,
  KeyType,
} from '@app/domain';
export * from './wire';
export * from './state';
export * from './usage';
export {
  API_KEY_STATE,
  DEAD_LETTER_SCHEMA_FILE,
  DEAD_LETTER_SCHEMA_ID,
  EVENT_TYPES,
  SCHEMA_ID_BASE,
  STATE_SCHEMA_FILE,
  STATE_SCHEMA_ID,
  STATE_SCHEMA_VERSION,
  API_KEY_USAGE,
  USAGE_SCHEMA_FILE,
  USAGE_SCHEMA_ID,
  USAGE_SCHEMA_VERSION,
  USAGE_VERSIONS,
  MAX_KEYS_PER_USAGE_RECORD,
  usageSchemaFile,
  contractSchemas,
  eventSchemaFile,
  eventSchemaId,
} from './schemas';
export type { ContractSchema, EventType, JsonSchema } from './schemas';
export { FIELD_PRESENTATION, fieldSchemas } from './field-presentation';
export type { FieldPresentation } from './field-presentation';
export {
  HEARTBEAT_SCHEMA_VERSION,
  UnreadableHeartbeatError,
  VERIFIER_CE_SOURCE,
  VERIFIER_HEARTBEAT,
  decodeHeartbeat,
  encodeHeartbeat,
} from './heartbeat';
export type { Heartbeat, HeartbeatWireRecord } from './heartbeat';
