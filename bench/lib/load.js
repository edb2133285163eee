'use strict';
// The load: autocannon requests against one server at one concurrency for a fixed time (a segment).
// What each request is and which answer counts as good is a scenario: PUTs of the bench's keys (each
// request its own body, only a 200 showing this very request's values is good), a user's list (only
// a 200 with exactly their keys), unknown keys (only a 401). Only good answers enter the latency
// figures; anything else (a connection error, a timeout, another status, a 202 "accepted, not yet
// visible", a 200 with someone else's state) is a failure, counted by kind. For the comparison:
// per concurrency a warm-up of each server, then ES, CRUD, ES, CRUD... rounds.
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const autocannon = require('autocannon');
const { sleep } = require('../../scripts/lib/run');
const { startCpuWindow } = require('./cpu');
const { percentile } = require('./report');

const SAMPLES_KEPT = 5;
const SETTLE_MS = 1000;
const API_KEYS_PATH = '/api/v1/api_keys';
let sequence = 0;

/**
 * @typedef {{ id: number, userId: number, authKey: string }} Key
 * @typedef {{ ok: number, elapsedS: number, latenciesMs: number[], failures: number, failureKinds: Record<string, number>,
 *   samples: string[], cpu?: Record<string, number | null>, calls?: Record<string, { count: number, totalMs: number }> }} Segment
 * @typedef {{ method: string, path: string, headers: Record<string, string>, body?: string }} Request
 * @typedef {{
 *   request: (n: number, context: Record<string, any>) => Request,
 *   judge: (status: number, body: string, context: Record<string, any>) => [string, string] | null,
 *   release?: (context: Record<string, any>) => void,
 * }} Scenario what one request is, and whether its answer is good (null) or why not ([kind, sample])
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
 * PUTs of the given keys. Keys are lent to one request at a time (FIFO), so no two concurrent
 * requests touch the same key and each answer can be compared with its own request; the pool
 * spreads the load over all keys.
 * @param {Key[]} keys @param {string} label names this segment in the bodies
 * @returns {Scenario}
 */
function putScenario(keys, label) {
  const pool = [...keys];
  return {
    request(n, context) {
      // Only a request that got no answer (a connection error: the run fails anyway) keeps its key; then any will do.
      const key = pool.shift() ?? keys[n % keys.length];
      Object.assign(context, { key, name: `${label} #${n}`, origin: `https://k${key.id}-${n}.bench.example.com` });
      const body = JSON.stringify({ api_key: { name: context.name, allowed_origins: [context.origin] } });
      return { method: 'PUT', path: `${API_KEYS_PATH}/${key.id}`, headers: { 'x-api-key': key.authKey }, body };
    },
    judge: (status, body, context) =>
      /** @type {[string, string] | null} */ (verdict(status, body, /** @type {any} */ (context))),
    release: (context) => pool.push(context.key),
  };
}

/**
 * A user's list: only a 200 with exactly their live keys, in order, counts.
 * @param {{ authKey: string }} user @param {number[]} ids the user's keys, ascending
 * @returns {Scenario}
 */
function listScenario(user, ids) {
  const wanted = ids.join(',');
  return {
    request: () => ({ method: 'GET', path: API_KEYS_PATH, headers: { 'x-api-key': user.authKey } }),
    judge(status, body) {
      if (status !== 200) return [`HTTP ${status}`, `HTTP ${status} for GET ${API_KEYS_PATH}: ${body.slice(0, 300)}`];
      let got;
      try {
        got = JSON.parse(body)
          .data.map((/** @type {{ id: number }} */ key) => key.id)
          .join(',');
      } catch {
        return ['HTTP 200, not a list', `HTTP 200 without a list of keys: ${body.slice(0, 300)}`];
      }
      return got === wanted ? null : ['HTTP 200, other keys', `wanted ids ${wanted}, got ${got.slice(0, 300)}`];
    },
  };
}

/**
 * A well-formed private key that nobody holds: `vk_priv_` + 256 random bits, base64url (43 characters).
 * That is the shape issued before checksums, which still costs a lookup (a new-shape key with a
 * wrong checksum would be refused before one), so this measures the expensive 401.
 */
const randomKey = () => `vk_priv_${randomBytes(32).toString('base64url')}`;

/**
 * Requests with a new well-formed key each time, which nobody holds: only a 401 counts.
 * @returns {Scenario}
 */
function unknownKeyScenario() {
  return {
    request: () => ({ method: 'GET', path: API_KEYS_PATH, headers: { 'x-api-key': randomKey() } }),
    judge: (status, body) => (status === 401 ? null : [`HTTP ${status}`, `HTTP ${status} for an unknown key: ${body}`]),
  };
}

/**
 * One segment of `scenario` requests.
 * @param {{ url: string, connections: number, durationS: number, timeoutS: number, scenario: Scenario, signal: AbortSignal }} options
 * @returns {Promise<Segment>}
 */
function runSegment({ url, connections, durationS, timeoutS, scenario, signal }) {
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
    setupRequest: (/** @type {any} */ req, /** @type {Record<string, any>} */ context) => {
      const { method, path: target, headers, body } = scenario.request(++sequence, context);
      context.sent = true;
      const all = { ...req.headers, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      return { ...req, method, path: target, headers: all, body };
    },
    onResponse: (
      /** @type {number} */ status,
      /** @type {string} */ body,
      /** @type {Record<string, any>} */ context,
    ) => {
      lastWasGood = false;
      if (!context.sent) return;
      context.sent = false;
      const bad = scenario.judge(status, String(body), context);
      scenario.release?.(context);
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
 * One line of progress for a segment, and its failures (with samples) if any.
 * @param {import('../../scripts/lib/run').Log} log @param {string} label @param {Segment} seg @param {boolean} timed
 * @returns {string | null} a one-line summary of the failures, or null
 */
function logSegment(log, label, seg, timed = true) {
  const sorted = [...seg.latenciesMs].sort((a, b) => a - b);
  const p = (/** @type {number} */ q) => (sorted.length ? percentile(sorted, q).toFixed(2) : '-');
  const rate = `${seg.ok} ok in ${seg.elapsedS.toFixed(1)} s = ${(seg.ok / seg.elapsedS).toFixed(1)} req/s`;
  log.info(`${label}: ${rate}${timed ? `, p50 ${p(50)} ms, p99 ${p(99)} ms` : ''}`);
  if (seg.failures === 0) return null;
  const kinds = Object.entries(seg.failureKinds)
    .map(([k, n]) => `${n} x ${k}`)
    .join(', ');
  log.info(`FAILED REQUESTS: ${label}: ${seg.failures} (${kinds}), e.g.\n    ${seg.samples.join('\n    ')}`);
  return `${label}: ${seg.failures} failed (${kinds})`;
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
    const scenario = putScenario(keys, `${kind} c${connections} ${what}`);
    const seg = await runSegment({ url, connections, durationS, timeoutS: options.timeoutS, scenario, signal });
    seg.cpu = cpu.stop();
    if (profile) {
      const file = path.join(runDir, `${kind}-c${connections}-${what.replace(/ (\d+)\/(\d+)/, '$1of$2')}.cpuprofile`);
      seg.calls = (await server.request({ type: 'cpu-prof-stop', file }, 'cpu-prof-written')).calls;
      profiles.set(cell, [...(profiles.get(cell) || []), file]);
    }
    if (signal.aborted) throw new Error('interrupted');
    // A dead server ends the run at once; failed requests fail it at the end, after every cell is measured.
    server.assertAlive();
    const failure = logSegment(log, `${kind.padEnd(4)} c${connections} ${what}`, seg, measured);
    if (failure) failed.push(failure);
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

module.exports = { measure, runSegment, logSegment, putScenario, listScenario, unknownKeyScenario, randomKey };
