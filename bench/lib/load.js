'use strict';
// The load: autocannon PUTs against one server at one concurrency for a fixed time (a segment),
// per concurrency a warm-up of each server, then ES, CRUD, ES, CRUD... rounds. Every request gets
// its own body and every response is checked against it: only a 200 that shows this very
// request's values counts as good, and only good answers enter the latency figures. Anything else
// (a connection error, a timeout, a non-2xx, a 202 "accepted, not yet visible", a 200 with
// someone else's state) is a failure, counted by kind.
const path = require('node:path');
const autocannon = require('autocannon');
const { sleep } = require('../../scripts/lib/run');
const { startCpuWindow } = require('./cpu');
const { percentile } = require('./report');

const SAMPLES_KEPT = 5;
const SETTLE_MS = 1000;
let sequence = 0;

/**
 * @typedef {{ id: number, userId: number, authKey: string }} Key
 * @typedef {{ ok: number, elapsedS: number, latenciesMs: number[], failures: number, failureKinds: Record<string, number>,
 *   samples: string[], cpu?: Record<string, number | null>, calls?: Record<string, { count: number, totalMs: number }> }} Segment
 */

/**
 * Why a response does not count, or null when it is this request's own 200.
 * @param {number} status @param {string} body @param {{ key: Key, name: string, origin: string }} sent
 */
function verdict(status, body, { key, name, origin }) {
  const text = String(body).slice(0, 300);
  if (status !== 200) return [`HTTP ${status}`, `HTTP ${status} for PUT /api/v1/api_keys/${key.id}: ${text}`];
  let data;
  try {
    data = JSON.parse(body).data;
  } catch {
    return ['HTTP 200, body not JSON', `HTTP 200 with a body that is not JSON: ${text}`];
  }
  if (data?.id === key.id && data.name === name && data.allowed_origins?.[0] === origin) return null;
  const wanted = `wanted id ${key.id}, name "${name}"`;
  return ['HTTP 200 without its own update', `HTTP 200 without this request's update (${wanted}): ${text}`];
}

/**
 * One segment. Keys are lent to one request at a time (FIFO), so no two concurrent requests touch
 * the same key and each answer can be compared with its own request; the pool spreads the load.
 * @param {{ url: string, label: string, connections: number, durationS: number, timeoutS: number, keys: Key[], signal: AbortSignal }} options
 * @returns {Promise<Segment>}
 */
function runSegment({ url, label, connections, durationS, timeoutS, keys, signal }) {
  const pool = [...keys];
  /** @type {Segment} */
  const seg = { ok: 0, elapsedS: 0, latenciesMs: [], failures: 0, failureKinds: {}, samples: [] };
  /** @param {string} kind @param {string} text */
  const fail = (kind, text, count = 1) => {
    seg.failures += count;
    seg.failureKinds[kind] = (seg.failureKinds[kind] || 0) + count;
    if (seg.samples.length < SAMPLES_KEPT) seg.samples.push(text);
  };
  // autocannon calls onResponse and then, synchronously, emits 'response' with the duration.
  let lastWasGood = false;
  const request = {
    method: 'PUT',
    setupRequest: (req, context) => {
      const n = ++sequence;
      // Only a request that got no answer (a connection error: the run fails anyway) keeps its key; then any will do.
      const key = pool.shift() ?? keys[n % keys.length];
      Object.assign(context, { key, name: `${label} #${n}`, origin: `https://k${key.id}-${n}.bench.example.com` });
      const body = JSON.stringify({ api_key: { name: context.name, allowed_origins: [context.origin] } });
      const headers = { ...req.headers, 'content-type': 'application/json', 'x-api-key': key.authKey };
      return { ...req, path: `/api/v1/api_keys/${key.id}`, headers, body };
    },
    onResponse: (status, body, context) => {
      lastWasGood = false;
      if (!context.key) return;
      const bad = verdict(status, body, context);
      pool.push(context.key);
      context.key = null;
      if (bad) return fail(bad[0], bad[1]);
      seg.ok += 1;
      lastWasGood = true;
    },
  };
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const options = { url, connections, duration: durationS, requests: [request], timeout: timeoutS, pipelining: 1 };
    const instance = autocannon(options, (error, result) => {
      seg.elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
      signal.removeEventListener('abort', stop);
      if (error) return reject(error);
      // What autocannon saw but no response carried fails the run as well (it counts timeouts as errors too).
      const connectionErrors = result.errors - result.timeouts;
      if (connectionErrors > 0) fail('connection error', `${connectionErrors} connection errors`, connectionErrors);
      const noAnswer = `no answer in ${timeoutS} s`;
      if (result.timeouts > 0) fail(noAnswer, `${result.timeouts} requests got ${noAnswer}`, result.timeouts);
      resolve(seg);
    });
    // autocannon's own histogram has whole milliseconds; keep the exact durations of good answers.
    instance.on('response', (_client, _status, _bytes, ms) => {
      if (lastWasGood) seg.latenciesMs.push(ms);
      lastWasGood = false;
    });
    const stop = () => instance.stop();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Every cell: per concurrency, a warm-up of each server, then `rounds` x (ES, CRUD). With
 * --cpu-prof, the measured segments are profiled too.
 * @param {Record<'es' | 'crud', { server: import('./servers').Server, url: string, keys: Key[] }>} targets
 * @param {{ connections: number[], warmupS: number, rounds: number, durationS: number, timeoutS: number, cpuProf: boolean }} options
 * @param {{ runDir: string, pids: Record<string, number | null>, log: import('../../scripts/lib/run').Log, signal: AbortSignal }} ctx
 */
async function measure(targets, options, { runDir, pids, log, signal }) {
  /** @type {Map<string, Segment[]>} */
  const segments = new Map();
  /** @type {Map<string, string[]>} */
  const profiles = new Map();
  /** @type {string[]} */
  const failed = [];
  /** @param {'es' | 'crud'} kind @param {number} connections @param {string} what */
  const runOne = async (kind, connections, what, measured = true) => {
    const { server, url, keys } = targets[kind];
    const cell = `${kind}_c${connections}`;
    const profile = options.cpuProf && measured;
    if (profile) await server.request({ type: 'cpu-prof-start' }, 'cpu-prof-started');
    const cpu = startCpuWindow({ server: server.pid ?? null, ...pids });
    const durationS = measured ? options.durationS : options.warmupS;
    const label = `${kind} c${connections} ${what}`;
    const seg = await runSegment({ url, label, connections, durationS, timeoutS: options.timeoutS, keys, signal });
    seg.cpu = cpu.stop();
    if (profile) {
      const file = path.join(runDir, `${kind}-c${connections}-${what.replace(/ (\d+)\/(\d+)/, '$1of$2')}.cpuprofile`);
      seg.calls = (await server.request({ type: 'cpu-prof-stop', file }, 'cpu-prof-written')).calls;
      profiles.set(cell, [...(profiles.get(cell) || []), file]);
    }
    if (signal.aborted) throw new Error('interrupted');
    // A dead server ends the run at once; failed requests fail it at the end, after every cell is measured.
    server.assertAlive();
    const sorted = [...seg.latenciesMs].sort((a, b) => a - b);
    const p = (/** @type {number} */ q) => (sorted.length ? percentile(sorted, q).toFixed(2) : '-');
    const rate = `${seg.ok} ok in ${seg.elapsedS.toFixed(1)} s = ${(seg.ok / seg.elapsedS).toFixed(1)} req/s`;
    log.info(
      `${kind.padEnd(4)} c${connections} ${what}: ${rate}${measured ? `, p50 ${p(50)} ms, p99 ${p(99)} ms` : ''}`,
    );
    if (seg.failures > 0) {
      const kinds = Object.entries(seg.failureKinds)
        .map(([k, n]) => `${n} x ${k}`)
        .join(', ');
      log.info(`FAILED REQUESTS: ${cell} ${what}: ${seg.failures} (${kinds}), e.g.\n    ${seg.samples.join('\n    ')}`);
      failed.push(`${cell} ${what}: ${seg.failures} failed (${kinds})`);
    }
    if (measured) segments.set(cell, [...(segments.get(cell) || []), seg]);
    await sleep(SETTLE_MS);
  };

  /** @type {Array<'es' | 'crud'>} */
  const kinds = ['es', 'crud'];
  for (const connections of options.connections) {
    if (options.warmupS > 0) for (const kind of kinds) await runOne(kind, connections, 'warm-up', false);
    for (let round = 1; round <= options.rounds; round++) {
      for (const kind of kinds) await runOne(kind, connections, `round ${round}/${options.rounds}`);
    }
  }
  return { segments, profiles, failed };
}

module.exports = { measure };
