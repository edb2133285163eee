'use strict';
// A TCP relay in front of a MongoDB-protocol server that can play a server buried in work: it
// keeps answering handshakes and pings (so the driver's heartbeat sees a healthy server and never
// gives up on its connections), while every other command waits, unanswered, until released.
// Plain JavaScript, so that scripts/measure-failover.js and the e2e suites share it
// (stalling-relay.d.ts types it for TypeScript).
const net = require('node:net');

const OP_MSG = 2013;
const HEADER_BYTES = 16;
// What the driver's monitor and connection set-up send: these keep flowing while work stalls.
const ALWAYS_ANSWERED = new Set(['hello', 'ismaster', 'ping', 'buildinfo', 'endsessions', 'saslstart', 'saslcontinue']);

/**
 * The command an OP_MSG carries: the first key of its body (section kind 0). Other opcodes (the
 * legacy handshake) return null and are always forwarded.
 * @param {Buffer} message a whole wire message
 */
function commandOf(message) {
  if (message.readInt32LE(12) !== OP_MSG) return null;
  // header, flagBits, section kind byte, BSON length, element type byte, then the name (cstring).
  const start = HEADER_BYTES + 4 + 1 + 4 + 1;
  const end = message.indexOf(0, start);
  return end > start ? message.toString('utf8', start, end) : null;
}

class StallingRelay {
  /** @param {string} targetHost @param {number} targetPort */
  constructor(targetHost, targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = 0;
    this.stalled = false;
    /** @type {Set<{ client: net.Socket, upstream: net.Socket, held: Buffer[] | null }>} */
    this.links = new Set();
    this.server = net.createServer((client) => this.relay(client));
  }

  /** @param {number} [port] */
  start(port = 0) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject).listen(port, '127.0.0.1', () => {
        this.port = /** @type {net.AddressInfo} */ (this.server.address()).port;
        resolve(undefined);
      });
    });
  }

  /** From now on, commands other than handshakes and pings get no answer until release(). */
  stallWork() {
    this.stalled = true;
  }

  /** Sends on what was held back, in order, and stops stalling. */
  release() {
    this.stalled = false;
    for (const link of this.links) {
      const held = link.held;
      link.held = null;
      for (const message of held ?? []) link.upstream.write(message);
    }
  }

  /** Drops every connection and stops listening. */
  close() {
    for (const { client, upstream } of this.links) {
      client.destroy();
      upstream.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve(undefined)));
  }

  /** @param {net.Socket} client */
  relay(client) {
    const upstream = net.connect(this.targetPort, this.targetHost);
    /** @type {{ client: net.Socket, upstream: net.Socket, held: Buffer[] | null }} */
    const link = { client, upstream, held: null };
    this.links.add(link);
    for (const socket of [client, upstream]) {
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
        this.links.delete(link);
      });
    }
    upstream.on('data', (chunk) => client.write(chunk));
    let pending = Buffer.alloc(0);
    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        if (length < HEADER_BYTES) return client.destroy(); // not the wire protocol
        const message = pending.subarray(0, length);
        pending = pending.subarray(message.length);
        const command = commandOf(message)?.toLowerCase();
        // Once one command on a connection is held, everything after it waits too (answers keep their order).
        if (!link.held && this.stalled && command !== undefined && !ALWAYS_ANSWERED.has(command)) link.held = [];
        if (link.held) link.held.push(message);
        else upstream.write(message);
      }
    });
  }
}

module.exports = { StallingRelay, commandOf };
