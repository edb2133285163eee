import { randomUUID } from 'node:crypto';
import { UnreadableEventError, decodeEvent } from '@app/contracts';
import { KafkaLog, createKafka } from '@app/kafka';
import { AppConfig } from '../config/config';

// `events tail`: a reference consumer of the events topic built only on the public contract
// (decodeEvent) and libs/kafka. It needs no database and no Nest application, so it starts fast
// and runs beside a live service without touching it: its consumer group is its own and
// throwaway, and it commits nothing.

export interface TailOptions {
  /** Only this key's events (its message key); they are all on one partition, in order. */
  readonly key?: string;
  /** From the first record of each partition; otherwise from the ends as they were at start. */
  readonly fromBeginning: boolean;
}

export interface TailedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
}

/** What to print for a record: an event line for stdout, or why it is unreadable; null for another key's. */
export function tailLine(
  record: TailedRecord,
  key?: string,
): { readonly line: string } | { readonly unreadable: string } | null {
  if (key !== undefined && record.key !== key) return null;
  try {
    const event = decodeEvent(record.value, record.key);
    return { line: JSON.stringify({ partition: record.partition, offset: record.offset, event }) };
  } catch (error) {
    if (error instanceof UnreadableEventError) return { unreadable: error.message };
    throw error;
  }
}

export interface TailIo {
  /** Where event lines go (stdout). */
  readonly out: NodeJS.WritableStream;
  /** A diagnostic as one JSON line (stderr). */
  readonly note: (level: 'info' | 'warn' | 'error', msg: string, context?: Record<string, unknown>) => void;
  /** Resolves when the operator wants the tail to end (Ctrl-C). */
  readonly stop: Promise<void>;
}

const DISCONNECT_BOUND_MS = 5000;
const EXIT_UNAVAILABLE = 69; // EX_UNAVAILABLE from sysexits.h

/**
 * Prints the events of the topic as JSON lines until `io.stop` resolves; returns the exit code
 * (0 when stopped, non-zero when the topic is missing or the consumer failed for good).
 */
export async function tailEvents(config: AppConfig['kafka'], options: TailOptions, io: TailIo): Promise<number> {
  const topic = config.eventsTopic;
  const log: KafkaLog = {
    warn: (msg, context) => io.note('warn', msg, context),
    error: (msg, context) => io.note('error', msg, context),
  };
  const kafka = createKafka(
    { brokers: config.brokers, clientId: config.clientId, requestTimeoutMs: config.produceTimeoutMs },
    log,
  );

  // Where each partition ends now. Without --from-beginning the tail starts there, so nothing
  // appended after this command started is missed, however long joining the group takes; with it,
  // reaching these ends is "caught up": everything before the command started has been printed.
  const ends = new Map<number, number>();
  const admin = kafka.admin();
  try {
    try {
      await admin.connect();
    } catch (error) {
      io.note('error', 'cannot reach Kafka', { brokers: config.brokers, error: (error as Error).message });
      return EXIT_UNAVAILABLE;
    }
    if (!(await admin.listTopics()).includes(topic)) {
      io.note('error', `topic ${topic} does not exist`, { topic });
      return EXIT_UNAVAILABLE;
    }
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(partition, Number(high));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  const consumer = kafka.consumer({
    groupId: `${config.clientId}-events-tail-${randomUUID()}`,
    allowAutoTopicCreation: false,
    sessionTimeout: 10000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
  });
  // The next offset to print per partition. After a rejoin (the group has no committed offsets)
  // reading resumes here; records before it are never printed twice.
  const next = new Map<number, number>();
  let caughtUp = false;
  const noteIfCaughtUp = () => {
    if (caughtUp || [...ends].some(([partition, end]) => (next.get(partition) ?? 0) < end)) return;
    caughtUp = true;
    io.note('info', 'caught up', { topic });
  };
  let failed: (error: unknown) => void = () => undefined;
  const failure = new Promise<unknown>((resolve) => (failed = resolve));

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = payload.memberAssignment[topic] ?? [];
    for (const partition of partitions) {
      if (!options.fromBeginning && !next.has(partition)) next.set(partition, ends.get(partition) ?? 0);
      const from = next.get(partition);
      if (from !== undefined) consumer.seek({ topic, partition, offset: String(from) });
    }
    io.note('info', 'tailing', { topic, from: options.fromBeginning ? 'beginning' : 'end', partitions });
    noteIfCaughtUp();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) failed(payload.error);
  });

  const write = (line: string) =>
    new Promise<void>((resolve) => (io.out.write(`${line}\n`) ? resolve() : io.out.once('drain', resolve)));

  const started = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        if (offset < (next.get(partition) ?? 0)) return;
        next.set(partition, offset + 1);
        const record = { partition, offset, key: message.key?.toString() ?? null, value: message.value };
        const result = tailLine(record, options.key);
        if (result !== null && 'line' in result) await write(result.line);
        else if (result !== null)
          io.note('warn', 'unreadable record skipped', { partition, offset, reason: result.unreadable });
        noteIfCaughtUp();
      },
    });
  })();
  // A failure to start after Ctrl-C is nobody's concern; before it, the race below reports it.
  started.catch(() => undefined);
  try {
    // Ctrl-C ends the tail at any time, also while it is still connecting.
    const stopped = io.stop.then(() => ({ stopped: true as const }));
    const outcome = await Promise.race([
      started.then(() => Promise.race([stopped, failure.then((error) => ({ error }))])),
      stopped,
    ]);
    if ('error' in outcome) {
      const { error } = outcome;
      io.note('error', 'the consumer failed', {
        error: error instanceof Error ? error.message : JSON.stringify(error),
      });
      return 1;
    }
    return 0;
  } finally {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISCONNECT_BOUND_MS)));
    await Promise.race([consumer.disconnect().catch(() => undefined), bound]);
    clearTimeout(timer);
  }
}
