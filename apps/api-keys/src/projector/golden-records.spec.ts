import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnreadableEventError, decodeEvent } from '@app/contracts';
import { ProjectedKey } from '../read-model/api-key.document';
import { IdempotencyRecordDocument } from '../read-model/schemas';
import { LoggedEvent, foldBatch } from './batch-fold';

// The golden records of the event contract (libs/contracts/golden/), written by hand, run through
// the service's own decoder and fold. A team in another language runs its fold over the same file.
interface GoldenRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value?: unknown;
  readonly value_text?: string;
}
interface Golden {
  readonly records: readonly GoldenRecord[];
  readonly expect: {
    readonly states: Record<string, ProjectedKey>;
    readonly dead_letters: readonly { partition: number; offset: number }[];
  };
}

const golden = JSON.parse(
  readFileSync(join(__dirname, '../../../../libs/contracts/golden/events.golden.json'), 'utf8'),
) as Golden;

/** What the projector keeps between batches: the keys, the idempotency records, the applied events. */
function foldAll(batchSize: number) {
  const keys = new Map<number, ProjectedKey>();
  const records = new Map<string, IdempotencyRecordDocument>();
  const applied = new Map<string, { offset: number }>();
  const deadLetters: { partition: number; offset: number }[] = [];
  const partitions = [...new Set(golden.records.map((r) => r.partition))].sort();
  for (const partition of partitions) {
    const logged: LoggedEvent[] = [];
    for (const record of golden.records.filter((r) => r.partition === partition)) {
      const value = record.value_text ?? JSON.stringify(record.value);
      try {
        logged.push({ event: decodeEvent(value, record.key), at: { partition, offset: record.offset } });
      } catch (error) {
        if (!(error instanceof UnreadableEventError)) throw error;
        deadLetters.push({ partition, offset: record.offset });
      }
    }
    for (let start = 0; start < logged.length; start += batchSize) {
      const batch = logged.slice(start, start + batchSize);
      const starts = new Map(batch.map(({ event }) => [event.api_key_id, keys.get(event.api_key_id) ?? null]));
      const folded = foldBatch(batch, starts, records, applied);
      for (const [id, key] of folded.changed) keys.set(id, key);
      for (const [id, record] of folded.records) records.set(id, record);
      for (const { eventId, offset } of folded.applied) applied.set(eventId, { offset });
    }
  }
  // The state and its position, as the contract has them; which events made it is the projector's own.
  const states = [...keys].map(([id, { applied_events: _events, ...key }]) => [String(id), key]);
  return { states: Object.fromEntries(states), deadLetters };
}

describe('the golden records of the event contract', () => {
  it('cover every partition in offset order, each record with the rule it shows', () => {
    for (const partition of new Set(golden.records.map((r) => r.partition))) {
      const offsets = golden.records.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it.each([1, 3, 1000])('fold, %i records a batch, into exactly the states and dead letters they name', (size) => {
    const { states, deadLetters } = foldAll(size);
    expect(states).toEqual(golden.expect.states);
    expect(deadLetters).toEqual(golden.expect.dead_letters);
  });
});
