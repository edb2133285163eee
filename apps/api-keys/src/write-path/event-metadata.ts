import { randomUUID } from 'node:crypto';
import { EventMetadata } from '@app/domain';

/** A new event's id and time (the domain's decisions stay pure: they are given these). */
export const eventMetadata = (correlationId: string): EventMetadata => ({
  event_id: randomUUID(),
  occurred_at: new Date().toISOString(),
  correlation_id: correlationId,
});
