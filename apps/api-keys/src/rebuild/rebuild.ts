import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import { Connection, createConnection } from 'mongoose';
import { AppModule } from '../app.module';
import { AppConfig } from '../config/config';
import { EventLog } from '../event-log/event-log';
import { stderrJsonLogger } from '../logging';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';

/** The read models a replay rebuilds (allocation state, such as id blocks, is not among them). */
export const READ_MODELS = ['api_keys', 'api_key_hashes', 'user_keys', 'user_emails', 'projection_checkpoints'];

const PROGRESS_EVERY_MS = 1000;

/**
 * A document as a replay of the log must rebuild it: a checkpoint's `state_marks` say where the
 * live projector published states (for write receipts), which a rebuild, publishing none, does not.
 */
const folded = ({ state_marks: _marks, ...rest }: Record<string, unknown>) => rest;

export interface RebuildOptions {
  /** The database to rebuild into; it must be empty or missing. */
  readonly database: string;
  readonly verify: boolean;
  /** Progress and result lines (stderr: stdout carries the final JSON). */
  readonly report: (line: string) => void;
}

export interface RebuildResult {
  readonly database: string;
  readonly consumerGroup: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly documents: Record<string, number>;
  /** With --verify: per read model, documents equal in both, differing, or in only one. */
  readonly verified?: Record<string, { equal: number; different: number; onlyLive: number; onlyRebuilt: number }>;
}

const withDatabase = (uri: string, database: string) => {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
};

/** Refuses a target that already holds read models: a rebuild must start from nothing. */
async function assertEmpty(uri: string, database: string): Promise<void> {
  const connection = await createConnection(uri).asPromise();
  try {
    for (const name of READ_MODELS) {
      if ((await connection.collection(name).estimatedDocumentCount()) > 0) {
        throw new Error(`database ${database} already holds ${name}: rebuild into an empty database`);
      }
    }
  } finally {
    await connection.close();
  }
}

/**
 * Replays the events topic from its first record into a fresh database, with the service's own
 * projector under a consumer group of its own, until it has applied everything the topic held
 * when the rebuild began. Prints progress with events/s; with `verify`, compares every read model
 * with the live database's (writes made during the rebuild show as differences).
 */
export async function rebuild(config: AppConfig, options: RebuildOptions): Promise<RebuildResult> {
  const consumerGroup = `${config.kafka.consumerGroup}.rebuild.${options.database}`;
  const target: AppConfig = {
    ...config,
    mongodbUri: withDatabase(config.mongodbUri, options.database),
    // The live service keeps the state topic current; a rebuild republishing old states there
    // while it catches up would show consumers keys going back in time.
    kafka: { ...config.kafka, consumerGroup, stateTopic: null },
  };
  await assertEmpty(target.mongodbUri, options.database);
  const app = await NestFactory.createApplicationContext(AppModule.register(target, { projector: true }), {
    logger: stderrJsonLogger(config.logLevel),
    abortOnError: false,
  });
  try {
    const db = app.get<Connection>(getConnectionToken()).db;
    if (!db) throw new Error('no database connection');
    const log = app.get(EventLog);
    const readModel = app.get(ApiKeysReadModel);
    const ends = await log.endOffsets();
    const total = [...ends.values()].reduce((sum, end) => sum + end, 0);
    const started = Date.now();
    let applied = 0;
    for (;;) {
      const done = await Promise.all(
        [...ends].map(async ([p, end]) => Math.min(end, (await readModel.appliedOffset(log.topic, p)) + 1)),
      );
      applied = done.reduce((sum, n) => sum + n, 0);
      const seconds = (Date.now() - started) / 1000;
      options.report(`rebuild: ${applied}/${total} events, ${Math.round(applied / Math.max(seconds, 0.001))} events/s`);
      if (applied >= total) break;
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_EVERY_MS));
    }
    const seconds = (Date.now() - started) / 1000;
    const documents: Record<string, number> = {};
    for (const name of READ_MODELS) documents[name] = await db.collection(name).countDocuments();
    const result: RebuildResult = {
      database: options.database,
      consumerGroup,
      events: total,
      seconds,
      eventsPerSecond: Math.round(total / Math.max(seconds, 0.001)),
      documents,
    };
    if (!options.verify) return result;
    const live = db.client.db(new URL(config.mongodbUri).pathname.slice(1));
    const verified: NonNullable<RebuildResult['verified']> = {};
    for (const name of READ_MODELS) {
      const [a, b] = await Promise.all([live, db].map((d) => d.collection(name).find({}).toArray()));
      const liveDocs = new Map(a.map((d) => [String(d._id), JSON.stringify(folded(d))]));
      const rebuilt = new Map(b.map((d) => [String(d._id), JSON.stringify(folded(d))]));
      const counts = { equal: 0, different: 0, onlyLive: 0, onlyRebuilt: 0 };
      for (const [id, doc] of liveDocs) {
        if (!rebuilt.has(id)) counts.onlyLive += 1;
        else if (rebuilt.get(id) === doc) counts.equal += 1;
        else counts.different += 1;
      }
      for (const id of rebuilt.keys()) if (!liveDocs.has(id)) counts.onlyRebuilt += 1;
      verified[name] = counts;
    }
    return { ...result, verified };
  } finally {
    await app.close();
  }
}
