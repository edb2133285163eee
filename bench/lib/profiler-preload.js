'use strict';
// Loaded with `node -r` into a server under test when the bench runs with --cpu-prof; driven
// over the IPC channel, and inert otherwise. Two instruments, both limited to measured segments:
//  - a V8 CPU profile: the in-process equivalent of `node --cpu-prof` (which writes its file only
//    on a normal exit, while Nest's shutdown hooks end the service by re-raising SIGTERM);
//  - the count and wall time of every MongoDB command and Kafka request, by kind, so the report
//    can say how many round trips a PUT makes and how long each kind takes.
const fs = require('node:fs');
const inspector = require('node:inspector');

const session = new inspector.Session();
let connected = false;
/** @type {Map<string, { count: number, totalMs: number }>} */
let calls = new Map();

/** @param {string} method @param {object} [params] @returns {Promise<any>} */
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

/**
 * Wraps prototype[method] so that every call is counted and timed under the kind `kindOf` names.
 * @param {string} module @param {string} exported @param {string} method @param {(...args: any[]) => string | null} kindOf
 */
function instrument(module, exported, method, kindOf) {
  try {
    const prototype = (exported ? require(module)[exported] : require(module)).prototype;
    const original = prototype[method];
    prototype[method] = async function timed(/** @type {any[]} */ ...args) {
      const started = process.hrtime.bigint();
      try {
        return await original.apply(this, args);
      } finally {
        const kind = kindOf(...args);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const entry = kind ? calls.get(kind) || { count: 0, totalMs: 0 } : null;
        if (kind && entry) calls.set(kind, { count: entry.count + 1, totalMs: entry.totalMs + ms });
      }
    };
  } catch {
    // another driver version or layout: no timings for it
  }
}

/** `mongo find api_keys {_id,user_id,deleted_at}`: the command, its collection, the filter's shape. @param {any} command */
function mongoKind(command) {
  if (!command || command.hello || command.ismaster || command.isMaster) return null;
  const name = Object.keys(command)[0];
  const filter = command.filter || command.query || command.updates?.[0]?.q;
  const field = (/** @type {string} */ k) =>
    filter[k] && typeof filter[k] === 'object' && !(filter[k] instanceof Date)
      ? `${k}:${Object.keys(filter[k]).join('|')}`
      : k;
  const shape = filter && typeof filter === 'object' ? ` {${Object.keys(filter).map(field).join(',')}}` : '';
  const many = command.updates?.length > 1 ? ` x${command.updates.length}` : '';
  return `mongo ${name} ${typeof command[name] === 'string' ? command[name] : ''}${shape}${many}`;
}

instrument('mongodb/lib/cmap/connection', 'Connection', 'command', (_ns, command) => mongoKind(command));
instrument('kafkajs/src/network/connection', '', 'send', (args) => `kafka ${args?.request?.apiName ?? '?'}`);

/** @param {{ type: string, file?: string, intervalUs?: number }} message */
async function handle(message) {
  if (message.type === 'cpu-prof-start') {
    if (!connected) {
      session.connect();
      connected = true;
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: message.intervalUs || 500 });
    }
    calls = new Map();
    await post('Profiler.start');
    return { type: 'cpu-prof-started' };
  }
  const { profile } = await post('Profiler.stop');
  fs.writeFileSync(String(message.file), JSON.stringify(profile));
  return { type: 'cpu-prof-written', file: message.file, calls: Object.fromEntries(calls) };
}

process.on('message', (/** @type {any} */ message) => {
  if (!['cpu-prof-start', 'cpu-prof-stop'].includes(message?.type)) return;
  const failed = (/** @type {unknown} */ error) => ({
    type: message.type === 'cpu-prof-start' ? 'cpu-prof-started' : 'cpu-prof-written',
    error: String(error),
  });
  handle(message).then(
    (reply) => process.send?.(reply),
    (error) => process.send?.(failed(error)),
  );
});
// The channel must not keep the server alive on its own.
process.channel?.unref();
