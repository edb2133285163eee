// The scale benchmark's use of the service's own contract and projector code, compiled like the
// CRUD baseline (bench/tsconfig.json) and loaded by bench/lib/scale.js: seeding writes exactly the
// records the service itself would append, and the fold rate is measured on the projector's own
// functions.
import { randomUUID } from 'node:crypto';
import { API_KEY_UPDATED, ApiKeyEvent, SCHEMA_VERSION, WireRecord, decodeEvent, encodeEvent } from '@app/contracts';
import { decideCreate, isRejection } from '@app/domain';
import { partitionFor } from '@app/kafka';
import { hashSecret, newSecret } from '@app/access';
import { LoggedEvent, foldBatch, membershipChanges, userKeysAfter } from '../../apps/api-keys/src/projector/batch-fold';
import { ProjectedKey } from '../../apps/api-keys/src/read-model/api-key.document';

export interface SeedKey {
  readonly keyId: number;
  readonly userId: number;
  readonly email: string;
  readonly name: string;
  /** The secret's hash; `newKey()` makes a secret when the bench needs to present the key. */
  readonly keyHash: string;
}

/** A new private key's secret and hash, as the service makes them. */
export function newKey(): { readonly value: string; readonly hash: string } {
  return newSecret('private');
}

export { hashSecret };

/**
 * The record the service appends when it creates this key (ApiKeyCreated, decided by the domain,
 * encoded by the contract), with the partition the service's producer would choose.
 */
export function createdRecord(
  topic: string,
  partitions: number,
  key: SeedKey,
  occurredAt: string,
): WireRecord & { partition: number } {
  const decision = decideCreate(
    {
      keyId: key.keyId,
      owner: { userId: key.userId, email: key.email },
      keyType: 'private',
      keyHash: key.keyHash,
      transientAssistant: false,
      fields: { name: key.name },
      liveKeys: 0,
      maxKeys: 1,
    },
    { event_id: randomUUID(), occurred_at: occurredAt, correlation_id: `bench-seed-${key.keyId}` },
  );
  if (isRejection(decision)) throw new Error(`decideCreate refused key ${key.keyId}`);
  return { ...encodeEvent(decision.event), partition: partitionFor(topic, String(key.keyId), partitions) };
}

/**
 * The projector's in-memory work per batch, without the store: decode every record, fold the
 * batch onto the keys' states (all new at the start of the log), and derive the per-user lists.
 * Returns events per second over `records` (one partition's records, in log order), in batches of
 * `batchSize` as a Kafka fetch hands them over.
 */
export function foldRate(records: readonly WireRecord[], batchSize: number): { events: number; seconds: number } {
  const states = new Map<number, ProjectedKey | null>();
  const began = process.hrtime.bigint();
  for (let start = 0; start < records.length; start += batchSize) {
    const events: LoggedEvent[] = records
      .slice(start, start + batchSize)
      .map((record, i) => ({ event: decodeEvent(record.value, record.key), at: { partition: 0, offset: start + i } }));
    const starts = new Map<number, ProjectedKey | null>();
    for (const { event } of events) starts.set(event.api_key_id, states.get(event.api_key_id) ?? null);
    const { changed } = foldBatch(events, starts);
    for (const [id, key] of changed) states.set(id, key);
    const touched = [...membershipChanges(events)].map((id) => changed.get(id)).filter((k) => k !== undefined);
    userKeysAfter(0, touched, new Map());
  }
  return { events: records.length, seconds: Number(process.hrtime.bigint() - began) / 1e9 };
}

/** A log of `keys` creations, each followed by `updatesPerKey` renames, as the fold rate's input. */
export function sampleLog(keys: number, updatesPerKey: number): WireRecord[] {
  const at = new Date().toISOString();
  const records: WireRecord[] = [];
  for (let id = 1; id <= keys; id++) {
    const key = { keyId: id, userId: 1 + (id % 1000), email: `fold-${id % 1000}@bench.example.com`, name: `k${id}` };
    records.push(createdRecord('fold', 1, { ...key, keyHash: hashSecret(`fold ${id}`) }, at));
  }
  for (let round = 1; round <= updatesPerKey; round++) {
    for (let id = 1; id <= keys; id++) {
      const event: ApiKeyEvent = {
        event_id: randomUUID(),
        event_type: API_KEY_UPDATED,
        schema_version: SCHEMA_VERSION,
        api_key_id: id,
        user_id: 1 + (id % 1000),
        occurred_at: at,
        correlation_id: 'bench-fold',
        data: { changes: { name: `k${id} renamed ${round}` } },
      };
      records.push(encodeEvent(event));
    }
  }
  return records;
}
