import net from 'node:net';
import mongoose, { mongo } from 'mongoose';
import { stackEnv } from './service';

/** A command as it crossed the wire to the MongoDB-protocol server. */
export interface RecordedCommand {
  readonly name: string;
  readonly database: string;
  readonly collection: string;
  /** Every filter the command carries: a find's, each update's or delete's `q`, a findAndModify's. */
  readonly filters: readonly Record<string, unknown>[];
  readonly body: Record<string, unknown>;
}

const OP_MSG = 2013;
// Commands the driver sends to keep its connections healthy; they read no collection.
const HOUSEKEEPING = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'endSessions', 'buildInfo', 'saslStart']);

/** The command documents of one OP_MSG: its body (section 0) with its document sequences (section 1) folded in. */
function decodeOpMsg(message: Buffer): Record<string, unknown> | null {
  if (message.readInt32LE(12) !== OP_MSG) return null;
  let offset = 20; // header (16) + flag bits (4)
  let body: Record<string, unknown> | null = null;
  const sequences: Record<string, unknown[]> = {};
  while (offset < message.length) {
    const kind = message[offset];
    offset += 1;
    if (kind === 0) {
      const size = message.readInt32LE(offset);
      body = mongo.BSON.deserialize(message.subarray(offset, offset + size));
      offset += size;
    } else if (kind === 1) {
      const size = message.readInt32LE(offset);
      const end = offset + size;
      const nameEnd = message.indexOf(0, offset + 4);
      const name = message.toString('utf8', offset + 4, nameEnd);
      const docs: unknown[] = [];
      for (let at = nameEnd + 1; at < end; at += message.readInt32LE(at)) {
        docs.push(mongo.BSON.deserialize(message.subarray(at, at + message.readInt32LE(at))));
      }
      sequences[name] = docs;
      offset = end;
    } else {
      break; // a checksum or an unknown section: nothing more to read
    }
  }
  return body && { ...body, ...sequences };
}

function describe(body: Record<string, unknown>): RecordedCommand {
  const name = Object.keys(body)[0];
  const list = (field: string) => (Array.isArray(body[field]) ? (body[field] as Record<string, unknown>[]) : []);
  const filters: Record<string, unknown>[] = [];
  if (name === 'find' || name === 'count' || name === 'distinct')
    filters.push((body.filter ?? body.query ?? {}) as never);
  if (name === 'update') filters.push(...list('updates').map((u) => u.q as Record<string, unknown>));
  if (name === 'delete') filters.push(...list('deletes').map((d) => d.q as Record<string, unknown>));
  if (name === 'findAndModify') filters.push((body.query ?? {}) as Record<string, unknown>);
  return { name, database: String(body.$db), collection: String(body[name]), filters, body };
}

/**
 * A TCP relay in front of the test FerretDB that decodes every command clients send through it, so
 * a test can see exactly which queries the service makes (and ask the server to explain them).
 */
export class CommandRecorder {
  readonly commands: RecordedCommand[] = [];
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private port = 0;

  async start(): Promise<void> {
    const target = new URL(stackEnv().mongoBase);
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      let pending = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
          const size = pending.readInt32LE(0);
          const body = decodeOpMsg(pending.subarray(0, size));
          if (body && !HOUSEKEEPING.has(Object.keys(body)[0])) this.commands.push(describe(body));
          pending = pending.subarray(size);
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** A MONGODB_URI for `database` through this recorder. */
  uri(database: string): string {
    return `mongodb://127.0.0.1:${this.port}/${database}`;
  }

  /** The commands recorded while `work` ran. */
  async during(work: () => Promise<unknown>): Promise<RecordedCommand[]> {
    const from = this.commands.length;
    await work();
    return this.commands.slice(from);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** FerretDB's own word on a filter: does it find the documents through an index (pushdown), or scan? */
export async function explainPushdown(database: string, collection: string, filter: Record<string, unknown>) {
  const connection = await mongoose.createConnection(`${stackEnv().mongoBase}${database}`).asPromise();
  try {
    const plan = await connection.db!.command({ explain: { find: collection, filter } });
    return plan.filterPushdown === true;
  } finally {
    await connection.close();
  }
}
