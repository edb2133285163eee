// The verify benchmark's use of the service's own domain and contract code, compiled like the
// scale benchmark's log tools (bench/tsconfig.json) and loaded by bench/lib/verify.js: it seeds the
// state topic with exactly the records the service's projector publishes for a newly created key
// (decideCreate, evolve, encodeState), so that a verifier loads them as it would load real keys.
import { randomUUID } from 'node:crypto';
import { StateWireRecord, encodeState } from '@app/contracts';
import { decideCreate, evolve, isRejection } from '@app/domain';
import { partitionFor } from '@app/kafka';
import { newSecret } from '@app/access';

/** A seeded key the bench can present: its id and its secret (never published; only its hash is). */
export interface SeededSecret {
  readonly id: number;
  readonly secret: string;
}

/**
 * The state records of keys `firstId` … `firstId + count - 1`, each a new private key with a name
 * of 20 characters and empty meta, `keysPerUser` keys a user, with the state-topic partition the
 * service's producer would choose; and their secrets. `applied` names a made-up events-topic
 * position (no event was appended: these keys live in the state topic only), which the verifier
 * does not read.
 */
export function seededStates(
  stateTopic: string,
  partitions: number,
  firstId: number,
  count: number,
  keysPerUser: number,
  occurredAt: string,
): { records: Array<StateWireRecord & { partition: number }>; secrets: SeededSecret[] } {
  const records: Array<StateWireRecord & { partition: number }> = [];
  const secrets: SeededSecret[] = [];
  for (let id = firstId; id < firstId + count; id++) {
    const secret = newSecret('private');
    const userId = 1_000_000 + Math.floor((id - firstId) / keysPerUser);
    const decision = decideCreate(
      {
        keyId: id,
        owner: { userId, email: `verify-${userId}@bench.example.com` },
        keyType: 'private',
        keyHash: secret.hash,
        transientAssistant: false,
        // 20 characters: "verify key " and a zero-padded 9-digit number.
        fields: { name: `verify key ${String(id % 1e9).padStart(9, '0')}` },
        liveKeys: 0,
        maxKeys: 1,
      },
      { event_id: randomUUID(), occurred_at: occurredAt, correlation_id: `bench-verify-${id}` },
    );
    if (isRejection(decision)) throw new Error(`decideCreate refused key ${id}`);
    const state = evolve(null, decision.event);
    if (!state) throw new Error(`evolve made no state for key ${id}`);
    const record = encodeState(state, { partition: 0, offset: id - firstId });
    records.push({ ...record, partition: partitionFor(stateTopic, record.key, partitions) });
    secrets.push({ id, secret: secret.value });
  }
  return { records, secrets };
}
