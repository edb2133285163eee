import { Admin, Kafka } from 'kafkajs';

/**
 * Where each partition of a topic ends (the offset its next record will get), through one admin
 * client kept open between calls; a failed call drops it, and the next call connects anew.
 */
export class LogEnds {
  private admin: Promise<Admin> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async fetch(): Promise<Map<number, number>> {
    const admin = (this.admin ??= this.connect());
    try {
      const offsets = await (await admin).fetchTopicOffsets(this.topic);
      return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    } catch (error) {
      if (this.admin === admin) await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }

  private async connect(): Promise<Admin> {
    const admin = this.kafka.admin();
    await admin.connect();
    return admin;
  }
}
