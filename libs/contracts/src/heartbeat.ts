// The verifiers topic's wire form. Every verifier publishes, about once a second, its instance id
// and how far it has applied each partition of the state topic; the API reads these to tell a key's
// owner which verifiers have applied the key's latest state (GET /api/v1/api_keys/:id/propagation).
// A heartbeat is not part of any key's history: the topic keeps minutes, not forever.
import { Check, isIsoTime, isObject, parseObject } from './decoding';

export const VERIFIER_HEARTBEAT = 'VerifierHeartbeat';
export const HEARTBEAT_SCHEMA_VERSION = 1;
/** The ce_source of a heartbeat: a verifier, not the service. */
export const VERIFIER_CE_SOURCE = '/api-keys-verifier';

export interface Heartbeat {
  /** The verifier instance's id: unique per process start. */
  readonly instance: string;
  /** The state topic it reads. */
  readonly stateTopic: string;
  /** Per state-topic partition, the offset of the last record it applied (absent: none yet). */
  readonly applied: ReadonlyMap<number, number>;
  /** Whether it answers verifications (caught up with the state topic and following it). */
  readonly ready: boolean;
  /** When it sent this heartbeat (ISO 8601 UTC, milliseconds): what "last seen" is judged by. */
  readonly sentAt: string;
}

export interface HeartbeatWireRecord {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

export class UnreadableHeartbeatError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableHeartbeatError';
  }
}

const check: Check = (condition, reason) => {
  if (!condition) throw new UnreadableHeartbeatError(reason);
};

const INSTANCE = /^[A-Za-z0-9._:-]{1,128}$/;
const isOffset = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A heartbeat as its record on the verifiers topic: keyed by the instance id. */
export function encodeHeartbeat(heartbeat: Heartbeat): HeartbeatWireRecord {
  const applied = Object.fromEntries([...heartbeat.applied].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), o]));
  return {
    key: heartbeat.instance,
    value: JSON.stringify({
      schema_version: HEARTBEAT_SCHEMA_VERSION,
      instance: heartbeat.instance,
      state_topic: heartbeat.stateTopic,
      applied,
      ready: heartbeat.ready,
      sent_at: heartbeat.sentAt,
    }),
    headers: {
      ce_specversion: '1.0',
      ce_id: `${heartbeat.instance}:${heartbeat.sentAt}`,
      ce_type: VERIFIER_HEARTBEAT,
      ce_source: VERIFIER_CE_SOURCE,
      ce_time: heartbeat.sentAt,
      ce_subject: heartbeat.instance,
      'content-type': 'application/json',
    },
  };
}

/** Reads a heartbeat record; throws UnreadableHeartbeatError for anything else. Unknown properties are ignored. */
export function decodeHeartbeat(value: Buffer | string | null): Heartbeat {
  const body = parseObject(value, check);
  check(
    body.schema_version === HEARTBEAT_SCHEMA_VERSION,
    `unknown schema_version ${JSON.stringify(body.schema_version)}`,
  );
  check(typeof body.instance === 'string' && INSTANCE.test(body.instance), 'instance must be 1-128 of [A-Za-z0-9._:-]');
  check(typeof body.state_topic === 'string' && body.state_topic.length > 0, 'state_topic must be a topic name');
  check(typeof body.ready === 'boolean', 'ready must be a boolean');
  check(isIsoTime(body.sent_at), 'sent_at must be an ISO 8601 time');
  check(isObject(body.applied), 'applied must be an object of partition -> offset');
  const applied = new Map<number, number>();
  for (const [partition, offset] of Object.entries(body.applied)) {
    check(/^(0|[1-9][0-9]{0,5})$/.test(partition) && isOffset(offset), 'applied must map partitions to offsets');
    applied.set(Number(partition), offset);
  }
  return { instance: body.instance, stateTopic: body.state_topic, applied, ready: body.ready, sentAt: body.sent_at };
}
