import mongoose from 'mongoose';
import { stackEnv } from './service';

export type StoredDocument = Record<string, unknown>;

/**
 * Every collection of a suite's database with all of its documents (each collection ordered by
 * _id), read over a driver connection of our own: what an operator or a backup would see.
 * replay.ts's readCollection reads a single collection.
 */
export async function readDatabase(database: string): Promise<Map<string, StoredDocument[]>> {
  const connection = await mongoose
    .createConnection(`${stackEnv().mongoBase}${database}`, { serverSelectionTimeoutMS: 5000 })
    .asPromise();
  try {
    const db = connection.db;
    if (!db) throw new Error(`no database handle for ${database}`);
    const collections = new Map<string, StoredDocument[]>();
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      collections.set(name, await db.collection(name).find({}).sort({ _id: 1 }).toArray());
    }
    return collections;
  } finally {
    await connection.close();
  }
}
