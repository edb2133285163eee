import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { KEY_USAGE, KeyUsageDocument } from './key-usage';

// As the main read model's writes (read-model/api-keys.read-model.ts says why): FerretDB wants
// small update commands, and reads go by `_id`, a few at a time.
const UPDATES_PER_COMMAND = 40;
const PARALLEL_READS = 16;

/** The usage read model (`api_key_usage`): every read by `_id`, written only by the usage projector. */
@Injectable()
export class UsageStore {
  private writing: Promise<unknown> = Promise.resolve();

  constructor(@InjectModel(KEY_USAGE) private readonly usage: Model<KeyUsageDocument>) {}

  find(keyId: number): Promise<KeyUsageDocument | null> {
    return this.usage.findById(String(keyId)).lean<KeyUsageDocument>().exec();
  }

  async findMany(keyIds: readonly number[]): Promise<Map<number, KeyUsageDocument>> {
    const found = new Map<number, KeyUsageDocument>();
    for (let i = 0; i < keyIds.length; i += PARALLEL_READS) {
      const part = keyIds.slice(i, i + PARALLEL_READS);
      const docs = await Promise.all(part.map((id) => this.find(id)));
      docs.forEach((doc, j) => doc && found.set(part[j], doc));
    }
    return found;
  }

  /** Writes whole documents by `_id`, created where missing; one command at a time. */
  save(docs: readonly KeyUsageDocument[]): Promise<void> {
    const collection = this.usage.collection as unknown as mongo.Collection<KeyUsageDocument>;
    const write = async () => {
      for (let i = 0; i < docs.length; i += UPDATES_PER_COMMAND) {
        const part = docs.slice(i, i + UPDATES_PER_COMMAND);
        await collection.bulkWrite(
          part.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
          { ordered: true },
        );
      }
    };
    const result = this.writing.then(write);
    this.writing = result.catch(() => undefined);
    return result;
  }
}
