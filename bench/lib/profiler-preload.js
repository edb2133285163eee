'use strict';
// Loaded with `node -r` into a server under test when the bench runs with --cpu-prof; driven
// over the IPC channel, and inert otherwise. Two instruments, both limited to measured segments:
//  - a V8 CPU profile: the in-process equivalent of `node --cpu-prof` (which writes its file only
//    on a normal exit, while Nest's shutdown hooks end the service by re-raising SIGTERM);
//  - the count and wall time of every MongoDB command and Kafka request, by kind, so the report
//    can say how many round trips a PUT makes and how long each kind takes.
const fs = require('node:fs');
const inspector = require('node:inspector');

let session = null;
let calls = new Map();

function post(method, params) {
  return new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function record(kind, startedNs) {
  const ms = Number(process.hrtime.bigint() - startedNs) / 1e6;
  const entry = calls.get(kind) || { count: 0, totalMs: 0 };
  entry.count++;
  entry.totalMs += ms;
  calls.set(kind, entry);
}

/** `find api_keys {_id,user_id,deleted_at}`: the command, its collection and the filter's shape. */
function mongoKind(command) {
  const name = Object.keys(command)[0];
  const collection = command[name];
  let shape = '';
  const filter =
    command.filter || command.query || (Array.isArray(command.updates) && command.updates[0] && command.updates[0].q);
  if (filter && typeof filter === 'object') {
    shape = ` {${Object.keys(filter)
      .map((k) =>
        filter[k] && typeof filter[k] === 'object' && !(filter[k] instanceof Date)
          ? `${k}:${Object.keys(filter[k]).join('|')}`
          : k,
      )
      .join(',')}}`;
  }
  const many = Array.isArray(command.updates) && command.updates.length > 1 ? ` x${command.updates.length}` : '';
  return `mongo ${name} ${typeof collection === 'string' ? collection : ''}${shape}${many}`;
}

function instrument() {
  try {
    const { Connection } = require('mongodb/lib/cmap/connection');
    const original = Connection.prototype.command;
    Connection.prototype.command = async function command(ns, cmd, ...rest) {
      const started = process.hrtime.bigint();
      try {
        return await original.call(this, ns, cmd, ...rest);
      } finally {
        if (cmd && !cmd.hello && !cmd.ismaster && !cmd.isMaster) record(mongoKind(cmd), started);
      }
    };
  } catch {
    // another driver version: no MongoDB timings
  }
  try {
    const KafkaConnection = require('kafkajs/src/network/connection');
    const original = KafkaConnection.prototype.send;
    KafkaConnection.prototype.send = async function send(args) {
      const started = process.hrtime.bigint();
      try {
        return await original.call(this, args);
      } finally {
        record(`kafka ${args && args.request ? args.request.apiName : '?'}`, started);
      }
    };
  } catch {
    // another kafkajs layout: no Kafka timings
  }
}

async function handle(message) {
  if (message.type === 'cpu-prof-start') {
    if (!session) {
      session = new inspector.Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: message.intervalUs || 500 });
    }
    calls = new Map();
    await post('Profiler.start');
    return { type: 'cpu-prof-started' };
  }
  if (message.type === 'cpu-prof-stop') {
    const { profile } = await post('Profiler.stop');
    fs.writeFileSync(message.file, JSON.stringify(profile));
    return { type: 'cpu-prof-written', file: message.file, calls: Object.fromEntries(calls) };
  }
  return null;
}

instrument();
process.on('message', (message) => {
  if (!message || typeof message.type !== 'string' || !message.type.startsWith('cpu-prof-')) return;
  handle(message).then(
    (reply) => reply && process.send(reply),
    (error) =>
      process.send({
        type: message.type === 'cpu-prof-start' ? 'cpu-prof-started' : 'cpu-prof-written',
        error: String(error),
      }),
  );
});
// The channel must not keep the server alive on its own.
if (process.channel) process.channel.unref();
