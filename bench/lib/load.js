'use strict';
// One load segment: autocannon PUTs against one server at one concurrency for a fixed time.
// Every request gets its own body, and every response is checked against it: only a 200 that
// shows this very request's values counts as good, and only good answers enter the latency
// figures. Anything else (a connection error, a timeout, a non-2xx, a 202 "accepted, not yet
// visible", a 200 with someone else's state) is a failure, counted by kind.
const autocannon = require('autocannon');

const MAX_SAMPLES_KEPT = 5;

/**
 * Keys are lent to one request at a time (FIFO), so no two concurrent requests touch the same
 * key and a response can be compared with its own request; the pool spreads load over all keys.
 */
class KeyPool {
  constructor(keys) {
    this.free = [...keys];
  }
  take() {
    const key = this.free.shift();
    if (!key) throw new Error('key pool exhausted: seed more keys than there are connections');
    return key;
  }
  give(key) {
    this.free.push(key);
  }
}

let sequence = 0;

/** Why a response does not count, or null when it is this request's own 200. */
function verdict(status, body, { key, name, origin }) {
  if (status !== 200)
    return {
      kind: `HTTP ${status}`,
      text: `HTTP ${status} for PUT /api/v1/api_keys/${key.id}: ${String(body).slice(0, 300)}`,
    };
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {
      kind: 'HTTP 200, body not JSON',
      text: `HTTP 200 with a body that is not JSON: ${String(body).slice(0, 300)}`,
    };
  }
  const data = parsed && parsed.data;
  const own =
    parsed.status &&
    parsed.status.code === 200 &&
    data &&
    data.id === key.id &&
    data.name === name &&
    Array.isArray(data.allowed_origins) &&
    data.allowed_origins[0] === origin;
  if (!own)
    return {
      kind: 'HTTP 200 without its own update',
      text: `HTTP 200 without this request's update (wanted id ${key.id}, name "${name}"): ${String(body).slice(0, 300)}`,
    };
  return null;
}

/**
 * @param {{ url: string, label: string, connections: number, durationS: number, timeoutS: number, keys: any[], signal?: AbortSignal }} options
 * @returns {Promise<{ ok: number, elapsedS: number, latenciesMs: number[], failures: number, failureKinds: Record<string, number>, samples: string[] }>}
 */
function runSegment({ url, label, connections, durationS, timeoutS, keys, signal }) {
  const pool = new KeyPool(keys);
  const latenciesMs = [];
  const samples = [];
  const failureKinds = {};
  let ok = 0;
  let failures = 0;
  const fail = (kind, text, count = 1) => {
    failures += count;
    failureKinds[kind] = (failureKinds[kind] || 0) + count;
    if (samples.length < MAX_SAMPLES_KEPT) samples.push(text);
  };
  // autocannon calls onResponse and then, synchronously, emits 'response' with the duration.
  let lastWasGood = false;

  const request = {
    method: 'PUT',
    setupRequest: (req, context) => {
      const key = pool.take();
      const n = ++sequence;
      context.key = key;
      context.name = `${label} #${n}`;
      context.origin = `https://k${key.id}-${n}.bench.example.com`;
      return {
        ...req,
        path: `/api/v1/api_keys/${key.id}`,
        headers: { ...req.headers, 'content-type': 'application/json', 'x-api-key': key.authKey },
        body: JSON.stringify({ api_key: { name: context.name, allowed_origins: [context.origin] } }),
      };
    },
    onResponse: (status, body, context) => {
      lastWasGood = false;
      if (!context.key) return;
      const bad = verdict(status, body, context);
      pool.give(context.key);
      context.key = null;
      if (bad) return fail(bad.kind, bad.text);
      ok++;
      lastWasGood = true;
    },
  };

  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const instance = autocannon(
      { url, connections, duration: durationS, requests: [request], timeout: timeoutS, pipelining: 1 },
      (error, result) => {
        const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
        if (signal) signal.removeEventListener('abort', onAbort);
        if (error) return reject(error);
        // What autocannon saw but no response carried: these fail the run as well.
        // (autocannon counts a timeout as an error too.)
        const connectionErrors = result.errors - result.timeouts;
        if (connectionErrors > 0) fail('connection error', `${connectionErrors} connection errors`, connectionErrors);
        if (result.timeouts > 0)
          fail(
            `no answer in ${timeoutS} s`,
            `${result.timeouts} requests got no answer within ${timeoutS} s`,
            result.timeouts,
          );
        return resolve({ ok, elapsedS, latenciesMs, failures, failureKinds, samples });
      },
    );
    // autocannon's own histogram has whole milliseconds; keep the exact durations of good answers.
    instance.on('response', (client, statusCode, bytes, responseTimeMs) => {
      if (lastWasGood) latenciesMs.push(responseTimeMs);
      lastWasGood = false;
    });
    const onAbort = () => instance.stop();
    if (signal) {
      if (signal.aborted) instance.stop();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

module.exports = { runSegment, percentile };
