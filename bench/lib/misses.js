'use strict';
// npm run bench -- --misses: does a GET of another user's key cost what a GET of a never-used id
// costs (issue 20: "constant-shaped misses")? Both must answer 404, and their timing must not tell
// a caller which ids exist. User B creates the keys of the "foreign" class and GETs each of them
// first, so that the service holds them in memory (the case that used to be answered from memory
// while a never-used id took a store read); the "missing" class is ids above the largest one in use.
// Then user A GETs every id of both classes, alternately (foreign, missing, foreign, ...), one
// request at a time, each timed end to end: a cold pass (the first request for each id) and a warm
// pass over the same ids. The last line is `MISSES {json}`.
const { StackError, formatDuration, waitUntil } = require('../../scripts/lib/run');
const { bootstrapUser, inParallel } = require('./prepare');
const { startServer } = require('./servers');
const { percentile, table, shown } = require('./report');
const { pidListeningOn } = require('./cpu');
const { othersWindow } = require('./scale');

/** Never-used ids start this far above the largest id in use. */
const MISSING_MARGIN = 100_000;
/** Requests before the passes, none to an id of either class: connection, JIT, the store read path. */
const WARMUP_REQUESTS = 100;
/** The medians of the two classes may differ by this fraction of the missing class's. */
const TOLERANCE = 0.1;
const say = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);

/**
 * @typedef {import('./prepare').Run} Run @typedef {import('./prepare').Context} Context
 * @typedef {{ url: string, authKey: string }} Caller
 * @typedef {'foreign' | 'missing'} Kind
 */

/**
 * One GET of a key by id, timed end to end (until the whole body is read).
 * @param {Caller} caller @param {number} id @returns {Promise<{ ms: number, status: number, text: string }>}
 */
async function timedGet({ url, authKey }, id) {
  const began = process.hrtime.bigint();
  const res = await fetch(`${url}/api/v1/api_keys/${id}`, { headers: { 'x-api-key': authKey } });
  const text = await res.text();
  return { ms: Number(process.hrtime.bigint() - began) / 1e6, status: res.status, text };
}

/**
 * User B's keys, created through POST, then each read once by B (a 200 that shows it) so that the
 * service holds them in memory.
 * @param {Caller & { email: string }} owner @param {number} count @param {Context} ctx
 */
async function createForeignKeys(owner, count, { log, signal }) {
  let began = Date.now();
  const ids = await inParallel(
    Array.from({ length: count }, (_, k) => k),
    8,
    async (k) => {
      const body = JSON.stringify({ api_key: { name: `misses key ${k + 1}`, key_type: 'private' } });
      const created = await waitUntil(
        async () => {
          const res = await fetch(`${owner.url}/api/v1/api_keys`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': owner.authKey },
            body,
          });
          const text = await res.text();
          if (res.status === 201 || res.status === 202) return text;
          const message = `POST /api/v1/api_keys answered ${res.status}: ${text.slice(0, 500)}`;
          // A 401 while the user's bootstrap key is still on its way into the read model.
          throw res.status === 401 ? new Error(message) : new StackError(message);
        },
        { what: `${owner.email} to authenticate`, timeoutMs: 10_000, signal },
      );
      return /** @type {number} */ (JSON.parse(created).data.id);
    },
  );
  log.info(`user B created ${ids.length} keys through POST in ${formatDuration(Date.now() - began)}`);
  began = Date.now();
  // A 202 create is in the log but not yet projected: its GET answers 404 for a moment.
  await inParallel(ids, 4, (id) =>
    waitUntil(async () => (await timedGet(owner, id)).status === 200, {
      what: `user B's key ${id} to be readable`,
      timeoutMs: 30_000,
      signal,
    }),
  );
  log.info(`user B read each of them (200) in ${formatDuration(Date.now() - began)}`);
  return ids;
}

/** @param {number[]} values */
function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), max: sorted[sorted.length - 1] };
}

/**
 * One pass: every id once, in the order given (the classes alternate), one request at a time.
 * Anything but a 404 is a failure: both classes must get the same answer.
 * @param {Caller} caller @param {Array<{ id: number, kind: Kind }>} order @param {string[]} failed
 * @param {Record<string, number | null>} pids for the neighbours' share of the CPU
 */
async function pass(caller, order, failed, pids) {
  /** @type {Record<Kind, number[]>} */
  const times = { foreign: [], missing: [] };
  /** @type {Record<Kind, Set<string>>} the 404 bodies, without their request id */
  const bodies = { foreign: new Set(), missing: new Set() };
  const others = othersWindow(pids);
  const began = Date.now();
  for (const { id, kind } of order) {
    const res = await timedGet(caller, id);
    if (res.status !== 404) {
      failed.push(`GET of ${kind} id ${id} answered ${res.status}: ${res.text.slice(0, 200)}`);
      continue;
    }
    times[kind].push(res.ms);
    bodies[kind].add(res.text.replace(/"request_id":"[^"]*"/, '"request_id":"-"'));
  }
  const seconds = (Date.now() - began) / 1000;
  const othersPct = others();
  const shapes = [...bodies.foreign, ...bodies.missing];
  if (new Set(shapes).size > 1) failed.push(`the 404 bodies differ: ${shapes.map((s) => s.slice(0, 200)).join(' | ')}`);
  return { foreign: stats(times.foreign), missing: stats(times.missing), seconds, othersPct };
}

/**
 * The store's own share: the same ids, in the same order, read by `_id` from the bench process with
 * the plain driver (`findOne` on the read model's keys), as the service's store read does. A found
 * document costs the store more than an empty answer; this says how much of the gap is the store's.
 * @param {Run} run @param {Array<{ id: number, kind: Kind }>} order @param {number[]} spare never-used ids of
 *   neither class, for the warm-up @param {Record<string, number | null>} pids
 */
async function storePass(run, order, spare, pids) {
  const mongoose = require('mongoose');
  const conn = await mongoose.createConnection(run.env.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    const keys = /** @type {import('mongodb').Collection<any>} */ (conn.collection('api_keys'));
    for (const id of spare) await keys.findOne({ _id: String(id) });
    /** @type {Record<Kind, number[]>} */
    const times = { foreign: [], missing: [] };
    const others = othersWindow(pids);
    const began = Date.now();
    for (const { id, kind } of order) {
      const start = process.hrtime.bigint();
      const doc = await keys.findOne({ _id: String(id) });
      times[kind].push(Number(process.hrtime.bigint() - start) / 1e6);
      if (Boolean(doc) !== (kind === 'foreign'))
        throw new StackError(`the store ${doc ? 'has' : 'lacks'} ${kind} id ${id}`);
    }
    const seconds = (Date.now() - began) / 1000;
    return { foreign: stats(times.foreign), missing: stats(times.missing), seconds, othersPct: others() };
  } finally {
    await conn.close();
  }
}

/**
 * The misses benchmark: see the top of this file. Returns the exit code.
 * @param {ReturnType<typeof import('./options').parseOptions>} options @param {Run} run @param {Context} ctx
 */
async function runMisses(options, run, ctx) {
  const { log, signal } = ctx;
  const count = options.keysPerUser;
  const es = await startServer('es', run, options, ctx);
  const emails = ['a', 'b'].map((who) => `misses-${who}-${run.runId}@bench.example.com`);
  const [a, b] = await inParallel(emails, 2, (email) => bootstrapUser(run, email, signal));
  log.info(`bootstrapped users A (${a.userId}) and B (${b.userId})`);
  const userA = { url: es.url, authKey: a.authKey, email: a.email };
  const userB = { url: es.url, authKey: b.authKey, email: b.email };
  const foreign = await createForeignKeys(userB, count, ctx);
  // A's own first key: its id is in use too. Nothing creates keys from here on.
  /** @type {number[]} */
  const own = await waitUntil(
    async () => {
      const res = await fetch(`${es.url}/api/v1/api_keys`, { headers: { 'x-api-key': a.authKey } });
      const ids = res.status === 200 ? JSON.parse(await res.text()).data.map((/** @type {any} */ k) => k.id) : [];
      return ids.length > 0 ? ids : null;
    },
    { what: 'user A to list their key', timeoutMs: 10_000, signal },
  );
  const largest = Math.max(...foreign, ...own);
  const firstMissing = largest + MISSING_MARGIN;
  const missing = Array.from({ length: count }, (_, i) => firstMissing + i);
  es.server.assertAlive();

  // Warm-up, on ids of neither class: A's own key (from memory) and never-used ids of another range.
  const spare = Array.from({ length: WARMUP_REQUESTS }, (_, i) => firstMissing + 10 * count + i);
  for (const [i, id] of spare.entries()) await timedGet(userA, i % 2 === 0 ? own[0] : id);
  /** @type {Array<{ id: number, kind: Kind }>} */
  const order = foreign.flatMap((id, i) => [
    { id, kind: /** @type {Kind} */ ('foreign') },
    { id: missing[i], kind: /** @type {Kind} */ ('missing') },
  ]);
  const pids = {
    server: es.server.pid ?? null,
    mongo: pidListeningOn(Number(new URL(run.env.MONGODB_URI).port || 27017)),
    kafka: pidListeningOn(Number(run.env.KAFKA_BROKERS.split(',')[0].split(':').pop())),
  };
  /** @type {string[]} */
  const failed = [];
  /** @type {Record<string, Awaited<ReturnType<typeof pass>>>} */
  const passes = {};
  for (const name of ['cold', 'warm', 'store']) {
    passes[name] = name === 'store' ? await storePass(run, order, spare, pids) : await pass(userA, order, failed, pids);
    if (signal.aborted) throw new StackError('interrupted');
    es.server.assertAlive();
    const { foreign: f, missing: m, seconds, othersPct } = passes[name];
    log.info(
      `${name} pass: ${f.n + m.n} ${name === 'store' ? 'findOne by _id' : 'GETs'} in ${seconds.toFixed(1)} s; medians foreign ${f.p50.toFixed(2)} ms, missing ${m.p50.toFixed(2)} ms; others ${othersPct ?? '?'}% CPU`,
    );
  }
  return report(passes, { count, firstMissing, largest, failed, strict: options.strict });
}

/**
 * The table, the targets, and `MISSES {json}` as the last line. Exit code 1 when a request failed
 * (no MISSES line then), 2 under --strict when a target is missed.
 * @param {Record<string, Awaited<ReturnType<typeof pass>>>} passes
 * @param {{ count: number, firstMissing: number, largest: number, failed: string[], strict: boolean }} facts
 */
function report(passes, { count, firstMissing, largest, failed, strict }) {
  say(
    `\n== misses: GET /api/v1/api_keys/<id> by user A of ${count} ids of user B's (held in memory) and ${count} never-used ids (${firstMissing}.., the largest in use ${largest}), alternately, one at a time ==`,
  );
  const rows = [];
  /** @type {Record<string, unknown>} */
  const json = { ids_per_class: count };
  /** @type {Array<[string, string, string, boolean]>} */
  const targets = [];
  for (const [name, p] of Object.entries(passes)) {
    const ratio = p.foreign.p50 / p.missing.p50;
    for (const kind of /** @type {const} */ (['foreign', 'missing'])) {
      const s = p[kind];
      rows.push([
        name,
        kind,
        s.n,
        s.p50.toFixed(2),
        s.p90.toFixed(2),
        s.max.toFixed(1),
        kind === 'foreign' ? `${ratio.toFixed(2)} x` : '',
        kind === 'foreign' ? `${p.othersPct ?? '?'}` : '',
      ]);
    }
    const within = Math.abs(ratio - 1) <= TOLERANCE;
    // The store's own reads explain the figures; the target is about what a caller sees.
    if (name !== 'store') targets.push([name, shown(ratio, 2, 'x'), 'wanted 0.90-1.10 x', within]);
    json[name] = {
      foreign: { p50_ms: Number(p.foreign.p50.toFixed(3)), p90_ms: Number(p.foreign.p90.toFixed(3)) },
      missing: { p50_ms: Number(p.missing.p50.toFixed(3)), p90_ms: Number(p.missing.p90.toFixed(3)) },
      ratio: Number(ratio.toFixed(3)),
      others_pct: p.othersPct,
    };
  }
  const headers = ['pass', 'class', 'requests', 'p50 ms', 'p90 ms', 'max ms', 'foreign/missing p50', 'others % CPU'];
  say(table(rows, headers, 2));
  say('cold: the first GET of each id; warm: a second pass; store: the same ids by findOne({_id}) from the bench');
  if (failed.length > 0) {
    say(`\nFAILED: ${failed.length} requests were not answered 404 alike, so there is no MISSES line:`);
    say(`  ${failed.slice(0, 10).join('\n  ')}`);
    return 1;
  }
  say('\ntargets:');
  for (const [name, value, limit, passed] of targets) {
    say(`${passed ? 'PASS' : 'FAIL'}  medians within 10 % (${name}): foreign / missing ${value}, ${limit}`);
  }
  say(`MISSES ${JSON.stringify(json)}`);
  return strict && targets.some((t) => !t[3]) ? 2 : 0;
}

module.exports = { runMisses };
