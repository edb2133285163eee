import { Kafka, RecordMetadata, ProducerBatch } from 'kafkajs';
import { BatchingProducer, ProducerUnavailableError } from './batching-producer';
import { partitionFor } from './partitioner';

/** A stand-in for kafkajs's producer: records each request and lets the test answer it. */
class FakeProducer {
  readonly requests: { batch: ProducerBatch; answer: (acks: RecordMetadata[]) => void; fail: (e: Error) => void }[] =
    [];
  connect = async () => undefined;
  disconnect = async () => undefined;
  sendBatch = (batch: ProducerBatch) =>
    new Promise<RecordMetadata[]>((answer, fail) => {
      this.requests.push({ batch, answer, fail });
    });
}

const setup = (timeoutMs = 1000) => {
  const fake = new FakeProducer();
  const kafka = { producer: () => fake } as unknown as Kafka;
  const producer = new BatchingProducer(kafka, new Map([['events', 3]]), timeoutMs);
  return { fake, producer };
};
const record = (key: string) => ({ key, value: `v${key}`, headers: {} });
const flush = () => new Promise((r) => setImmediate(r));

describe('BatchingProducer', () => {
  it('sends the first record at once and batches what arrives while it is in flight', async () => {
    const { fake, producer } = setup();
    const first = producer.append('events', record('1'));
    const later = ['2', '3', '4'].map((k) => producer.append('events', record(k)));
    await flush();
    expect(fake.requests).toHaveLength(1);
    fake.requests[0].answer([
      { topicName: 'events', partition: partitionFor('events', '1', 3), errorCode: 0, baseOffset: '10' },
    ]);
    await first;
    await flush();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].batch.topicMessages?.[0].messages.map((m) => m.key)).toEqual(['2', '3', '4']);
    fake.requests[1].answer(
      [0, 1, 2].map((partition) => ({
        topicName: 'events',
        partition,
        errorCode: 0,
        baseOffset: String(100 * (partition + 1)),
      })),
    );
    const positions = await Promise.all(later);
    expect(positions.map((p) => p.partition)).toEqual(['2', '3', '4'].map((k) => partitionFor('events', k, 3)));
  });

  it('gives records of one partition consecutive offsets from the base offset, in order', async () => {
    const { fake, producer } = setup();
    const blocker = producer.append('events', record('0'));
    await flush();
    // Keys that share a partition.
    const keys = Array.from({ length: 50 }, (_, i) => String(i + 1))
      .filter((k) => partitionFor('events', k, 3) === 0)
      .slice(0, 3);
    const appends = keys.map((k) => producer.append('events', record(k)));
    fake.requests[0].answer([
      { topicName: 'events', partition: partitionFor('events', '0', 3), errorCode: 0, baseOffset: '0' },
    ]);
    await blocker;
    await flush();
    fake.requests[1].answer([{ topicName: 'events', partition: 0, errorCode: 0, baseOffset: '40' }]);
    expect((await Promise.all(appends)).map((p) => p.offset)).toEqual([40, 41, 42]);
  });

  it('fails every record of a failed request, saying they may still have landed', async () => {
    const { fake, producer } = setup();
    const append = producer.append('events', record('1'));
    await flush();
    fake.requests[0].fail(new Error('Connection error: connect ECONNREFUSED'));
    await expect(append).rejects.toEqual(
      expect.objectContaining({ name: 'ProducerUnavailableError', outcomeUnknown: true }),
    );
  });

  it('gives up on a record still queued at its deadline without ever sending it', async () => {
    const { fake, producer } = setup(30);
    const stuck = producer.append('events', record('1'));
    const queued = producer.append('events', record('2'));
    await expect(queued).rejects.toBeInstanceOf(ProducerUnavailableError);
    await expect(queued).rejects.toEqual(expect.objectContaining({ outcomeUnknown: false }));
    // The in-flight one may still land: its outcome is unknown.
    await expect(stuck).rejects.toEqual(expect.objectContaining({ outcomeUnknown: true }));
    fake.requests[0].answer([
      { topicName: 'events', partition: partitionFor('events', '1', 3), errorCode: 0, baseOffset: '0' },
    ]);
    await flush();
    expect(fake.requests).toHaveLength(1);
  });

  describe('with the clock in the test’s hands', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('gives up at the caller’s own deadline when it is shorter than the producer’s', async () => {
      const { fake, producer } = setup(60_000);
      const blocker = producer.append('events', record('1'));
      let outcome: unknown = 'pending';
      const queued = producer.append('events', record('2'), 20).catch((error: unknown) => (outcome = error));

      await jest.advanceTimersByTimeAsync(19);
      expect(outcome).toBe('pending');
      await jest.advanceTimersByTimeAsync(1);
      await queued;
      expect(outcome).toEqual(expect.objectContaining({ name: 'ProducerUnavailableError', outcomeUnknown: false }));
      // Given up before it was ever sent; the in-flight record is unaffected.
      fake.requests[0].answer([
        { topicName: 'events', partition: partitionFor('events', '1', 3), errorCode: 0, baseOffset: '0' },
      ]);
      await blocker;
      expect(fake.requests).toHaveLength(1);
    });
  });

  it('refuses a topic it does not know', async () => {
    const { producer } = setup();
    await expect(producer.append('other', record('1'))).rejects.toThrow(/not known/);
  });
});
