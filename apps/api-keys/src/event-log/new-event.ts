import { randomUUID } from 'node:crypto';
import { ApiKeyEvent, SCHEMA_VERSION } from '@app/contracts';

type Fields<E extends ApiKeyEvent> = Pick<E, 'event_type' | 'api_key_id' | 'user_id' | 'correlation_id' | 'data'>;

/** Stamps an event with its id, schema version and time. */
export function newEvent<E extends ApiKeyEvent>(fields: Fields<E>): E {
  return {
    event_id: randomUUID(),
    event_type: fields.event_type,
    schema_version: SCHEMA_VERSION,
    api_key_id: fields.api_key_id,
    user_id: fields.user_id,
    occurred_at: new Date().toISOString(),
    correlation_id: fields.correlation_id,
    data: fields.data,
  } as E;
}
