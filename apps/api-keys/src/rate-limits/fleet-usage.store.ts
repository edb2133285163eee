import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Schema } from 'mongoose';
import { FleetUsageDocument, FleetUsageStore } from './fleet-share';

/**
 * What each instance admitted that its peers may not have charged yet (`rate_limit_usage`, `_id` =
 * the instance's consumer-group member id). One document per instance, written only by it (FerretDB
 * has no atomic counters, so no document is shared by writers) and read by its peers by `_id`.
 * Not a read model: it is not rebuilt by a replay, and it is worth nothing a few seconds later.
 */
export const FLEET_USAGE = 'RateLimitUsage';
export const fleetUsageSchema = new Schema<FleetUsageDocument>(
  { _id: { type: String, required: true } },
  { collection: 'rate_limit_usage', versionKey: false, _id: false, strict: false },
);

@Injectable()
export class MongoFleetUsageStore implements FleetUsageStore {
  constructor(@InjectModel(FLEET_USAGE) private readonly usage: Model<FleetUsageDocument>) {}

  async publish(doc: FleetUsageDocument): Promise<void> {
    await this.usage.replaceOne({ _id: doc._id }, doc, { upsert: true }).exec();
  }

  async read(id: string): Promise<FleetUsageDocument | null> {
    return this.usage.findById(id).lean<FleetUsageDocument>().exec();
  }

  async remove(id: string): Promise<void> {
    await this.usage.deleteOne({ _id: id }).exec();
  }
}
