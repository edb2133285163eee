import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';

/**
 * Whether MongoDB answered its driver's last heartbeat (every couple of seconds). Requests served
 * from memory never touch MongoDB, so this is how they learn the read model is gone.
 */
@Injectable()
export class ReadModelHealth {
  private reachable = true;

  constructor(@InjectConnection() connection: Connection) {
    const client = connection.getClient();
    client.on('serverHeartbeatFailed', () => (this.reachable = false));
    client.on('serverHeartbeatSucceeded', () => (this.reachable = true));
  }

  get up(): boolean {
    return this.reachable;
  }
}
