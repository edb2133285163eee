import mongoose, { Connection } from 'mongoose';
import { stackEnv } from './service';

export type StoredDocument = Record<string, unknown>;

/** Runs `work` over a driver connection of our own to a suite's database: what an operator would see. */
async function withDatabase<T>(database: string, work: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await mongoose
    .createConnection(`${stackEnv().mongoBase}${database}`, { serverSelectionTimeoutMS: 5000 })
    .asPromise();
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

/** Every document of one collection of a suite's database, ordered by _id. */
export function readCollection(database: string, collection: string): Promise<StoredDocument[]> {
  return withDatabase(database, (connection) => connection.collection(collection).find({}).sort({ _id: 1 }).toArray());
}

/** Every collection of a suite's database with all of its documents, each ordered by _id. */
export function readDatabase(database: string): Promise<Map<string, StoredDocument[]>> {
  return withDatabase(database, async (connection) => {
    const collections = new Map<string, StoredDocument[]>();
    for (const { name } of await connection.listCollections()) {
      collections.set(name, await connection.collection(name).find({}).sort({ _id: 1 }).toArray());
    }
    return collections;
  });
}
