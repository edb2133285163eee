import { UnreadableHeartbeatError, decodeHeartbeat, encodeHeartbeat } from './heartbeat';

const beat = {
  instance: 'host-1:3100:5f2c9a1e',
  stateTopic: 'api-keys.state',
  applied: new Map([
    [2, 7],
    [0, 41],
  ]),
  ready: true,
  sentAt: '2024-01-15T11:00:00.123Z',
};

describe('a verifier heartbeat on the wire', () => {
  it('is keyed by the instance and reads back as it was written, partitions in order', () => {
    const record = encodeHeartbeat(beat);
    expect(record.key).toBe(beat.instance);
    expect(JSON.parse(record.value)).toEqual({
      schema_version: 1,
      instance: beat.instance,
      state_topic: 'api-keys.state',
      applied: { '0': 41, '2': 7 },
      ready: true,
      sent_at: beat.sentAt,
    });
    expect(record.headers).toMatchObject({ ce_type: 'VerifierHeartbeat', ce_subject: beat.instance });
    expect(decodeHeartbeat(record.value)).toEqual(beat);
  });

  it('refuses what is not a heartbeat of a version it knows', () => {
    const valid = JSON.parse(encodeHeartbeat(beat).value);
    for (const bad of [
      null,
      'not json',
      { ...valid, schema_version: 2 },
      { ...valid, instance: 'has space' },
      { ...valid, applied: { x: 1 } },
      { ...valid, applied: { '0': -1 } },
      { ...valid, sent_at: 'yesterday' },
    ]) {
      const value = bad === null || typeof bad === 'string' ? bad : JSON.stringify(bad);
      expect(() => decodeHeartbeat(value)).toThrow(UnreadableHeartbeatError);
    }
  });
});
