import { Kafka } from 'kafkajs';
import { PartitionConsumer, SESSION_TIMEOUT_MS } from './partition-consumer';

type Handler = (event: { payload: any }) => void;

/** Stands in for a kafkajs consumer: records its config and run options, lets the test emit its events. */
class FakeConsumer {
  readonly events = { GROUP_JOIN: 'join', REBALANCING: 'rebalancing', CRASH: 'crash' };
  private readonly handlers = new Map<string, Handler>();
  runOptions: any;
  disconnect = jest.fn(() => Promise.resolve());

  constructor(readonly config: any) {}

  on(event: string, handler: Handler) {
    this.handlers.set(event, handler);
  }
  emit(event: string, payload: unknown) {
    this.handlers.get(event)?.({ payload });
  }
  connect = () => Promise.resolve();
  subscribe = () => Promise.resolve();
  run = (options: unknown) => {
    this.runOptions = options;
    return Promise.resolve();
  };
}

function setup(brokerMinimum = '6000') {
  const consumers: FakeConsumer[] = [];
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    describeCluster: () => Promise.resolve({ brokers: [{ nodeId: 1 }] }),
    describeConfigs: jest.fn(() =>
      Promise.resolve({ resources: [{ configEntries: [{ configName: 'x', configValue: brokerMinimum }] }] }),
    ),
  };
  const kafka = {
    consumer: (config: unknown) => {
      const consumer = new FakeConsumer(config);
      consumers.push(consumer);
      return consumer;
    },
    admin: () => admin,
  } as unknown as Kafka;
  const assignments: (readonly number[])[] = [];
  const log = { warn: jest.fn(), error: jest.fn() };
  const handleBatch = jest.fn(() => Promise.resolve());
  const consumer = new PartitionConsumer(kafka, {
    groupId: 'g',
    topic: 't',
    handleBatch,
    onAssignment: (partitions) => assignments.push(partitions),
    log,
  });
  const latest = () => consumers[consumers.length - 1];
  const join = (partitions: number[]) => latest().emit('join', { memberAssignment: { t: partitions } });
  return { consumer, consumers, latest, join, assignments, log, handleBatch, admin };
}

const batchPayload = (heartbeat: () => Promise<void>) => ({
  batch: { topic: 't', partition: 0, messages: [{ offset: '7', key: null, value: null, headers: {} }] },
  isRunning: () => true,
  isStale: () => false,
  resolveOffset: jest.fn(),
  heartbeat,
});

afterEach(() => jest.useRealTimers());

describe('PartitionConsumer', () => {
  it('asks the group for short sessions, with heartbeats well within them', async () => {
    const t = setup();
    await t.consumer.start();

    expect(t.latest().config.sessionTimeout).toBe(SESSION_TIMEOUT_MS);
    expect(SESSION_TIMEOUT_MS).toBeLessThanOrEqual(2000);
    expect(t.latest().config.heartbeatInterval).toBeLessThanOrEqual(SESSION_TIMEOUT_MS / 3);
  });

  it('is ready only between joining and a rebalance, a crash or a stop, and says what it owns', async () => {
    const t = setup();
    await t.consumer.start();
    expect(t.consumer.ready).toBe(false);

    t.join([0, 2]);
    expect(t.consumer.ready).toBe(true);
    t.latest().emit('rebalancing', {});
    expect(t.consumer.ready).toBe(false);
    t.join([1]);
    expect(t.consumer.ready).toBe(true);
    t.latest().emit('crash', { restart: true, error: new Error('broker gone') });
    expect(t.consumer.ready).toBe(false);
    t.join([1]);
    await t.consumer.stop();
    expect(t.consumer.ready).toBe(false);
    expect(t.assignments).toEqual([[0, 2], [], [1], [], [1]]);
  });

  it('keeps heartbeating while the store works on a batch', async () => {
    jest.useFakeTimers();
    const t = setup();
    await t.consumer.start();
    let finish = () => undefined as void;
    t.handleBatch.mockImplementation(() => new Promise<void>((resolve) => (finish = resolve)));
    const heartbeat = jest.fn(() => Promise.resolve());

    const applying = t.latest().runOptions.eachBatch(batchPayload(heartbeat));
    await jest.advanceTimersByTimeAsync(SESSION_TIMEOUT_MS * 2);
    const beatsWhileApplying = heartbeat.mock.calls.length;
    finish();
    await applying;

    // A beat at least every third of the session, so the group never thinks this member is dead.
    expect(beatsWhileApplying).toBeGreaterThanOrEqual(6);
    await jest.advanceTimersByTimeAsync(SESSION_TIMEOUT_MS);
    expect(heartbeat.mock.calls.length).toBe(beatsWhileApplying + 1); // the one after the batch, then none
  });

  it('stops within one session timeout even when a batch in flight never finishes', async () => {
    jest.useFakeTimers();
    const t = setup();
    await t.consumer.start();
    t.latest().disconnect.mockImplementation(() => new Promise(() => undefined));

    let stopped = false;
    const stopping = t.consumer.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(SESSION_TIMEOUT_MS - 1);
    expect(stopped).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await stopping;
    expect(t.log.warn).toHaveBeenCalledWith(expect.stringMatching(/without leaving its group/), expect.anything());
  });

  it('falls back to the broker minimum when the broker refuses its session timeout, and says how to fix it', async () => {
    jest.useFakeTimers();
    const t = setup('6000');
    await t.consumer.start();
    const refusal = Object.assign(new Error('The session timeout is not within the range allowed by the broker'), {
      cause: { type: 'INVALID_SESSION_TIMEOUT' },
    });

    t.latest().emit('crash', { restart: false, error: refusal });
    await jest.advanceTimersByTimeAsync(2000);

    expect(t.consumers).toHaveLength(2);
    expect(t.latest().config.sessionTimeout).toBe(6000);
    expect(t.log.warn).toHaveBeenCalledWith(
      expect.stringMatching(/refuses our consumer session timeout/),
      expect.objectContaining({ fix: expect.stringContaining('group.min.session.timeout.ms') }),
    );
  });

  it('restarts after any other crash kafkajs will not restart from, keeping its session timeout', async () => {
    jest.useFakeTimers();
    const t = setup();
    await t.consumer.start();

    t.latest().emit('crash', { restart: false, error: new Error('something else') });
    await jest.advanceTimersByTimeAsync(2000);

    expect(t.consumers).toHaveLength(2);
    expect(t.latest().config.sessionTimeout).toBe(SESSION_TIMEOUT_MS);
    expect(t.admin.describeConfigs).not.toHaveBeenCalled();
  });

  it('stays stopped when stopped while a restart is under way, the broker gone', async () => {
    jest.useFakeTimers();
    const t = setup();
    await t.consumer.start();
    // The broker is gone: every new consumer fails to connect, and the old one is slow to leave.
    const kafka = t.consumers;
    let leave: () => void = () => undefined;
    t.latest().disconnect.mockImplementation(() => new Promise<void>((resolve) => (leave = resolve)));
    const refuseConnections = () => {
      for (const c of kafka) c.connect = () => Promise.reject(new Error('ECONNREFUSED'));
    };
    t.latest().emit('crash', { restart: false, error: new Error('group coordinator gone') });
    await jest.advanceTimersByTimeAsync(600); // the restart begins: it waits for the old one to leave
    await t.consumer.stop();
    leave();
    refuseConnections();
    await jest.advanceTimersByTimeAsync(10_000);

    expect(t.consumers).toHaveLength(1); // no consumer made after the stop
    expect(t.log.error).not.toHaveBeenCalledWith('projector consumer restart failed; retrying', expect.anything());
  });
});
