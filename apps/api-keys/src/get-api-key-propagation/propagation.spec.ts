import { propagationOf } from './propagation';

const beat = (instance: string, applied: [number, number][], sentAt = '2024-01-15T11:00:00.000Z') => ({
  instance,
  stateTopic: 'api-keys.state',
  applied: new Map(applied),
  ready: true,
  sentAt,
});

describe('a key’s propagation to the verifiers', () => {
  it('is all applied once every verifier heard has reached the key’s position in its partition', () => {
    const answer = propagationOf('1:40', [
      beat('a', [
        [0, 99],
        [1, 40],
      ]),
      beat('b', [[1, 41]]),
    ]);
    expect(answer).toEqual({
      position: '1:40',
      all_applied: true,
      verifiers: [
        { instance: 'a', applied: '1:40', last_seen: '2024-01-15T11:00:00.000Z' },
        { instance: 'b', applied: '1:41', last_seen: '2024-01-15T11:00:00.000Z' },
      ],
    });
  });

  it('is not all applied while one verifier (a stopped one, say) is behind, or has nothing of that partition', () => {
    expect(propagationOf('1:40', [beat('a', [[1, 40]]), beat('stopped', [[1, 39]])]).all_applied).toBe(false);
    const none = propagationOf('1:40', [beat('a', [[1, 40]]), beat('fresh', [[0, 5]])]);
    expect(none.all_applied).toBe(false);
    expect(none.verifiers[1].applied).toBeNull();
  });

  it('confirms nothing without a verifier heard or without a known position', () => {
    expect(propagationOf('1:40', []).all_applied).toBe(false);
    expect(propagationOf(null, [beat('a', [[1, 40]])])).toMatchObject({ position: null, all_applied: false });
  });
});
