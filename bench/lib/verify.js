'use strict';
// npm run bench -- --verify (issue 19, point 6): the verifier (apps/verifier) against a bare Node
// http server, in one run. The service runs as in the comparison; users and the keys to DELETE are
// created through its API; the rest of --keys (100,000 by default) are appended straight to the state
// topic as the records the projector publishes for a new key (bench/verify/state-tools.ts). Then:
// 1. a verifier starts and loads the topic: the time from spawn to /health/ready, and its RSS once
//    settled;
// 2. the bare server, answering the verifier's own answer, and the verifier answering random held
//    keys, alternately at each concurrency (warm-up, then bare, verifier, bare, verifier...);
// 3. a second verifier starts, and each of the API's keys is DELETEd, one at a time: the time from
//    the DELETE's answer until both verifiers answer NOT_FOUND for it (each asked in a loop).
// The last line is `VERIFY {json}`.
const os = require('node:os');
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { StackError, sleep, formatDuration } = require('../../scripts/lib/run');
const { verifierRuntimeEnv } = require('../../scripts/lib/prepare');
const { startServer } = require('./servers');
const { seed } = require('./prepare');
const { runSegment, logSegment } = require('./load');
const { pidListeningOn, startCpuWindow } = require('./cpu');
const { percentile, aggregate, table, shown } = require('./report');

const VERIFY_PATH = '/v1/keys/verify';
const RECORDS_PER_SEND = 1000;
const SEEDED_KEYS_PER_USER = 10;
// Far above the ids the service's allocator hands out in a run (blocks from 1 up).
const FIRST_SEEDED_ID = 1_000_000_001;
const SETTLE_MS = 1000;
// "Steady state": the RSS this long after the verifier said it was ready, and again after the HTTP
// load. Long enough for what a verifier does by itself once traffic stops: publish the last usage
// window (within USAGE_FLUSH_MS, 10 s) and the one collection that follows once quiet (within two
// IDLE_CHECK_MS, 10 s: apps/verifier/src/memory/idle-collector.ts). The log also gives the RSS
// 5 s after each, and the table the peak.
const STEADY_AFTER_MS = 25_000;
const EARLY_RSS_AFTER_MS = 5000;
const REVOCATION_TIMEOUT_MS = 5000;
const SAMPLES_KEPT = 5;
const say = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);

/**
 * @typedef {import('./prepare').Run} Run @typedef {import('./prepare').Context} Context
 * @typedef {import('./load').Segment} Segment @typedef {import('./load').Scenario} Scenario
 * @typedef {{ id: number, secret: string }} HeldKey
 * @typedef {{ server: import('./servers').Server, url: string, readyMs: number }} Started
 */

/**
 * One request on a keep-alive agent; resolves when the whole answer is read.
 * @param {http.Agent} agent @param {string} url @param {string} method @param {Record<string, string>} headers
 * @param {string} [body]
 * @returns {Promise<{ status: number, text: string }>}
 */
function request(agent, url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method, headers, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${method} ${url} within 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A verify request's body and headers, as a gateway sends them: the key it was given.
 * @param {string} token @param {string} secret
 */
const verifyRequest = (token, secret) => ({
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ key: secret }),
});

/**
 * Asks a verifier about a key once: its `code`, or why the answer is not a verdict.
 * @param {http.Agent} agent @param {string} url @param {string} token @param {string} secret
 */
async function verifyOnce(agent, url, token, secret) {
  const { headers, body } = verifyRequest(token, secret);
  const { status, text } = await request(agent, `${url}${VERIFY_PATH}`, 'POST', headers, body);
  const code = status === 200 ? /"code":"([A-Z_]+)"/.exec(text)?.[1] : undefined;
  if (!code) throw new Error(`verify answered ${status}: ${text.slice(0, 300)}`);
  return code;
}

/**
 * Random held keys, each request its own: for the verifier only its VALID answer naming this very
 * key counts; for the bare server only its fixed answer. Both are sent exactly the same requests.
 * @param {HeldKey[]} held @param {string} token @param {string | null} fixed the bare server's answer
 * @returns {Scenario}
 */
function verifyScenario(held, token, fixed) {
  return {
    request(_n, context) {
      const key = held[Math.floor(Math.random() * held.length)];
      context.key = key;
      const { headers, body } = verifyRequest(token, key.secret);
      return { method: 'POST', path: VERIFY_PATH, headers: { authorization: headers.authorization }, body };
    },
    judge(status, body, context) {
      const sample = `HTTP ${status} for key ${context.key.id}: ${body.slice(0, 300)}`;
      if (status !== 200) return [`HTTP ${status}`, sample];
      if (fixed !== null) return body === fixed ? null : ['HTTP 200, another answer', sample];
      const own = body.includes('"code":"VALID"') && body.includes(`"key":{"id":${context.key.id},`);
      return own ? null : ['HTTP 200 without VALID for this key', sample];
    },
  };
}

/**
 * Appends `count` new keys' state records straight to the state topic, RECORDS_PER_SEND a send
 * (acks from all in-sync replicas), and returns their secrets.
 * @param {Run} run @param {import('kafkajs').Kafka} kafka @param {number} count @param {Context} ctx
 * @returns {Promise<HeldKey[]>}
 */
async function seedStateTopic(run, kafka, count, { log, signal }) {
  const tools = require(run.entries.verifyTools);
  const topic = run.env.KAFKA_STATE_TOPIC;
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length;
    const began = performance.now();
    const at = new Date().toISOString();
    /** @type {HeldKey[]} */
    const held = [];
    for (let done = 0; done < count; done += RECORDS_PER_SEND) {
      if (signal.aborted) throw new StackError('interrupted');
      const n = Math.min(RECORDS_PER_SEND, count - done);
      const { records, secrets } = tools.seededStates(
        topic,
        partitions,
        FIRST_SEEDED_ID + done,
        n,
        SEEDED_KEYS_PER_USER,
        at,
      );
      await producer.send({ topic, acks: -1, messages: records });
      held.push(...secrets);
    }
    log.info(
      `seeded ${count} keys into ${topic} (${partitions} partitions) in ${formatDuration(performance.now() - began)}`,
    );
    return held;
  } finally {
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
  }
}

/** The verifier's keys_held gauge. @param {string} url */
async function keysHeld(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^api_keys_verifier_keys_held(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * The verifier's V8 heap (total and used) and the tally of keys used since its last usage flush, as
 * its metrics say: what its RSS is made of.
 * @param {string} url
 */
async function heapOf(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (/** @type {string} */ name) =>
    (Number(new RegExp(`^api_keys_verifier_nodejs_${name} (\\S+)`, 'm').exec(text)?.[1]) / 2 ** 20).toFixed(1);
  return `V8 heap ${mb('heap_size_total_bytes')} MB (${mb('heap_size_used_bytes')} MB used), external ${mb('external_memory_bytes')} MB`;
}

/**
 * The verifier and the bare server, alternately at each concurrency: a warm-up of each, then
 * `rounds` x (bare, verifier). Returns the segments per cell (`bare_c64`, `verifier_c1`...).
 * @param {Record<'bare' | 'verifier', { server: import('./servers').Server, url: string, scenario: () => Scenario }>} targets
 * @param {ReturnType<typeof import('./options').parseOptions>} options
 * @param {Record<string, number | null>} pids @param {Context} ctx
 */
async function measure(targets, options, pids, { log, signal }) {
  /** @type {Map<string, Segment[]>} */
  const segments = new Map();
  /** @type {string[]} */
  const failed = [];
  /** @param {'bare' | 'verifier'} kind @param {number} connections @param {string} what */
  const runOne = async (kind, connections, what, measured = true) => {
    const { server, url, scenario } = targets[kind];
    const cpu = startCpuWindow({ server: server.pid ?? null, ...pids });
    const durationS = measured ? options.durationS : options.warmupS;
    const seg = await runSegment({
      url,
      connections,
      durationS,
      timeoutS: options.timeoutS,
      scenario: scenario(),
      signal,
    });
    seg.cpu = cpu.stop();
    if (signal.aborted) throw new StackError('interrupted');
    server.assertAlive();
    const failure = logSegment(log, `${kind.padEnd(8)} c${connections} ${what}`, seg, measured);
    if (failure) failed.push(failure);
    if (measured) segments.set(`${kind}_c${connections}`, [...(segments.get(`${kind}_c${connections}`) || []), seg]);
    await sleep(SETTLE_MS);
  };
  /** @type {Array<'bare' | 'verifier'>} */
  const kinds = ['bare', 'verifier'];
  for (const connections of options.connections) {
    if (options.warmupS > 0) for (const kind of kinds) await runOne(kind, connections, 'warm-up', false);
    for (let round = 1; round <= options.rounds; round++)
      for (const kind of kinds) await runOne(kind, connections, `round ${round}/${options.rounds}`);
  }
  return { segments, failed };
}

/**
 * Each key DELETEd through the API, one at a time, after both verifiers said VALID for it; from the
 * DELETE's answer on, each verifier is asked about the key in a loop (one request at a time, on its
 * own keep-alive connection) until it answers NOT_FOUND. Per key: ms until each saw it, and both.
 * @param {Array<{ id: number, authKey: string, secret: string }>} keys @param {string} apiUrl
 * @param {Started[]} verifiers @param {string} token @param {Context} ctx
 */
async function revocations(keys, apiUrl, verifiers, token, { log, signal }) {
  const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const agents = verifiers.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  /** @type {Array<{ id: number, deleteMs: number, seenMs: number[], bothMs: number, polls: number }>} */
  const seen = [];
  /** @type {string[]} */
  const samples = [];
  let failures = 0;
  const fail = (/** @type {string} */ text) => {
    failures += 1;
    if (samples.length < SAMPLES_KEPT) samples.push(text);
  };
  /** Asks one verifier until it answers NOT_FOUND; ms since `from`, and how many answers it took. */
  const untilGone = async (/** @type {number} */ v, /** @type {string} */ secret, /** @type {number} */ from) => {
    for (let polls = 1; ; polls++) {
      const code = await verifyOnce(agents[v], verifiers[v].url, token, secret);
      const now = performance.now();
      if (code === 'NOT_FOUND') return { ms: now - from, polls };
      if (code !== 'VALID') throw new Error(`verifier ${v + 1} answered ${code} before NOT_FOUND`);
      if (now - from > REVOCATION_TIMEOUT_MS)
        throw new Error(`verifier ${v + 1} still VALID after ${REVOCATION_TIMEOUT_MS} ms`);
    }
  };
  try {
    for (const key of keys) {
      if (signal.aborted) throw new StackError('interrupted');
      try {
        const before = await Promise.all(
          agents.map((agent, v) => verifyOnce(agent, verifiers[v].url, token, key.secret)),
        );
        if (before.some((code) => code !== 'VALID')) throw new Error(`before its DELETE: ${before.join(', ')}`);
        const sent = performance.now();
        const res = await request(apiAgent, `${apiUrl}/api/v1/api_keys/${key.id}`, 'DELETE', {
          'x-api-key': key.authKey,
        });
        const answered = performance.now();
        if (res.status !== 200) throw new Error(`DELETE answered ${res.status}: ${res.text.slice(0, 300)}`);
        const each = await Promise.all(verifiers.map((_, v) => untilGone(v, key.secret, answered)));
        const seenMs = each.map((e) => e.ms);
        const polls = each.reduce((total, e) => total + e.polls, 0);
        seen.push({ id: key.id, deleteMs: answered - sent, seenMs, bothMs: Math.max(...seenMs), polls });
      } catch (error) {
        fail(`key ${key.id}: ${error.message}`);
      }
    }
  } finally {
    apiAgent.destroy();
    for (const agent of agents) agent.destroy();
  }
  const sorted = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b);
  const both = sorted(seen.map((s) => s.bothMs));
  log.info(
    `revocations: ${seen.length} seen by both, ${failures} failed; p50 ${percentile(both, 50).toFixed(2)} ms, ` +
      `max ${(both[both.length - 1] ?? NaN).toFixed(2)} ms`,
  );
  if (failures > 0) log.info(`FAILED REVOCATIONS: ${failures}, e.g.\n    ${samples.join('\n    ')}`);
  return {
    seen,
    failures,
    failure: failures > 0 ? `revocations: ${failures} failed (${samples[0]})` : null,
    both,
    each: verifiers.map((_, v) => sorted(seen.map((s) => s.seenMs[v]))),
    deleteMs: sorted(seen.map((s) => s.deleteMs)),
    polls: seen.reduce((total, s) => total + s.polls, 0),
  };
}

/**
 * The run: see the top of this file.
 * @param {ReturnType<typeof import('./options').parseOptions>} options @param {Run} run @param {Context} ctx
 */
async function runVerify(options, run, ctx) {
  const { log, cleanups } = ctx;
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'api-keys-bench-verify',
    brokers: run.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const es = await startServer('es', run, options, ctx);
  const apiKeys = await seed(run, { ...options, baseUrl: es.url }, ctx);
  const viaApi = apiKeys.length + options.users; // and each user's first key, from the bootstrap
  const held = await seedStateTopic(run, kafka, options.keys - viaApi, ctx);

  // The verifiers' own consumer groups (<client id>-<uuid>), found once they have left them, so
  // that the bench's cleanup deletes them with its other names.
  const clientId = `bench-${run.runId}-verifier`;
  cleanups.push([
    "finding the verifiers' consumer groups",
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { groups } = await admin.listGroups();
        run.names.groups.push(...groups.map((g) => g.groupId).filter((id) => id.startsWith(`${clientId}-`)));
      } finally {
        await admin.disconnect();
      }
    },
  ]);
  const token = randomBytes(32).toString('base64url');
  // The verifiers run with their own NODE_OPTIONS and allocator settings, as npm start gives them
  // (--node-options replaces the NODE_OPTIONS, as for the other servers).
  const runtime = verifierRuntimeEnv({ ...process.env, NODE_OPTIONS: options.nodeOptions ?? process.env.NODE_OPTIONS });
  const verifierEnv = { ...runtime, VERIFIER_TOKEN: token, KAFKA_CLIENT_ID: clientId };
  const first = await startServer('verifier', run, options, ctx, {
    name: 'verifier 1',
    log: 'verifier-1.log',
    env: verifierEnv,
  });
  const heldNow = await keysHeld(first.url);
  if (heldNow !== options.keys)
    throw new StackError(`verifier 1 holds ${heldNow} keys once ready, not the ${options.keys} the bench wrote`);
  log.info(`verifier 1 ready with ${heldNow} keys in ${formatDuration(first.readyMs)}; settling...`);
  await sleep(EARLY_RSS_AFTER_MS);
  log.info(`verifier 1, ${EARLY_RSS_AFTER_MS / 1000} s after ready: RSS ${first.server.currentRssMb().toFixed(1)} MB`);
  await sleep(STEADY_AFTER_MS - EARLY_RSS_AFTER_MS);
  const rssAfterLoadMb = first.server.currentRssMb();
  log.info(`verifier 1 settled: RSS ${rssAfterLoadMb.toFixed(1)} MB, ${await heapOf(first.url)}`);

  // The bare server answers exactly what the verifier answers for a held key (same size, same headers).
  const probe = verifyRequest(token, held[0].secret);
  const answer = await request(new http.Agent(), `${first.url}${VERIFY_PATH}`, 'POST', probe.headers, probe.body);
  if (answer.status !== 200 || !answer.text.includes('"code":"VALID"'))
    throw new StackError(`verifier 1 answered ${answer.status} for a held key: ${answer.text.slice(0, 300)}`);
  const bare = await startServer('bare', run, options, ctx, {
    name: 'bare http server',
    log: 'bare.log',
    env: { BARE_ANSWER: answer.text },
  });
  log.info(`verify request ${Buffer.byteLength(probe.body)} bytes, answer ${Buffer.byteLength(answer.text)} bytes`);

  const pids = {
    mongo: pidListeningOn(Number(new URL(run.env.MONGODB_URI).port || 27017)),
    kafka: pidListeningOn(Number(run.env.KAFKA_BROKERS.split(',')[0].split(':').pop())),
    service: es.server.pid ?? null,
  };
  const measured = await measure(
    {
      bare: { ...bare, scenario: () => verifyScenario(held, token, answer.text) },
      verifier: { ...first, scenario: () => verifyScenario(held, token, null) },
    },
    options,
    pids,
    ctx,
  );
  await sleep(EARLY_RSS_AFTER_MS);
  log.info(
    `verifier 1, ${EARLY_RSS_AFTER_MS / 1000} s after the HTTP load: RSS ${first.server.currentRssMb().toFixed(1)} MB, ` +
      (await heapOf(first.url)),
  );
  await sleep(STEADY_AFTER_MS - EARLY_RSS_AFTER_MS);
  const rssAfterTrafficMb = first.server.currentRssMb();
  log.info(`verifier 1 after the HTTP load: RSS ${rssAfterTrafficMb.toFixed(1)} MB, ${await heapOf(first.url)}`);
  const peakRssMb = first.server.sampleRss() / 1024;

  const second = await startServer('verifier', run, options, ctx, {
    name: 'verifier 2',
    log: 'verifier-2.log',
    env: verifierEnv,
  });
  log.info(`verifier 2 ready with ${await keysHeld(second.url)} keys in ${formatDuration(second.readyMs)}`);
  const revoked = await revocations(apiKeys, es.url, [first, second], token, ctx);
  for (const { server } of [es, first, second, bare]) server.assertAlive();

  return printVerifyReport(options, {
    measured,
    revoked,
    loads: [first.readyMs, second.readyMs],
    rssAfterLoadMb,
    rssAfterTrafficMb,
    peakRssMb,
    requestBytes: Buffer.byteLength(probe.body),
    answerBytes: Buffer.byteLength(answer.text),
  });
}

/**
 * @param {ReturnType<typeof import('./options').parseOptions>} options
 * @param {{ measured: Awaited<ReturnType<typeof measure>>, revoked: Awaited<ReturnType<typeof revocations>>,
 *   loads: number[], rssAfterLoadMb: number, rssAfterTrafficMb: number, peakRssMb: number,
 *   requestBytes: number, answerBytes: number }} facts
 */
function printVerifyReport(options, facts) {
  const { measured, revoked, loads, rssAfterLoadMb, rssAfterTrafficMb, peakRssMb } = facts;
  const cpus = os.cpus();
  const machine = `${cpus.length} x ${cpus[0]?.model.trim() || 'CPU'}, node ${process.version}`;
  const keys = options.keys.toLocaleString('en-US');
  say(
    `\n== POST /v1/keys/verify: the verifier holding ${keys} keys vs a bare http server (${machine}; ` +
      `${options.rounds} x ${options.durationS} s per cell; request ${facts.requestBytes} B, answer ${facts.answerBytes} B) ==`,
  );
  /** @type {Map<string, ReturnType<typeof aggregate> & { othersPct: number | null, stackPct: number | null }>} */
  const cells = new Map();
  for (const [name, segs] of measured.segments) {
    const elapsedMs = segs.reduce((total, s) => total + s.elapsedS * 1000, 0);
    /** The share of the machine the named processes took over the cell's segments. @param {string[]} names */
    const share = (names) => {
      const used = segs.flatMap((s) => names.map((n) => s.cpu?.[n]));
      return used.every((x) => typeof x === 'number')
        ? (100 * used.reduce((a, b) => a + b, 0)) / (elapsedMs * cpus.length)
        : null;
    };
    // The stack: the API (its projectors, the usage one included), FerretDB and Kafka, which share
    // the machine with the measured server and the load generator.
    cells.set(name, {
      ...aggregate(segs),
      othersPct: share(['others']),
      stackPct: share(['service', 'mongo', 'kafka']),
    });
  }
  const rows = options.connections.flatMap((c) =>
    ['bare', 'verifier'].flatMap((kind) => {
      const r = cells.get(`${kind}_c${c}`);
      if (!r) return [];
      const cpu = [r.cpuPerRequestMs.server, r.cpuPerRequestMs.loadgen].map((x) => (x == null ? '-' : x.toFixed(3)));
      const latency = [r.p50, r.p90, r.p99].map((x) => x.toFixed(2));
      const others = r.othersPct === null ? '-' : r.othersPct.toFixed(0);
      const stack = r.stackPct === null ? '-' : r.stackPct.toFixed(0);
      return [
        [kind, c, r.ok, r.failed, r.rps.toFixed(0), r.rpsRange, ...latency, r.max.toFixed(1), ...cpu, stack, others],
      ];
    }),
  );
  const headers = ['path', 'conns', 'good', 'failed', 'req/s', 'rounds req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'];
  say(table(rows, [...headers, 'server CPU ms/req', 'load gen CPU ms/req', 'stack % CPU', 'others % CPU']));

  const ms = (/** @type {number[]} */ xs, /** @type {number} */ p) => percentile(xs, p);
  const maxOf = (/** @type {number[]} */ xs) => (xs.length ? xs[xs.length - 1] : NaN);
  say(
    `\nloaded from the state topic (spawn to /health/ready): ${loads.map((l, i) => `verifier ${i + 1} ${(l / 1000).toFixed(2)} s`).join(', ')}`,
  );
  say(
    `verifier 1 RSS: ${rssAfterLoadMb.toFixed(1)} MB ${STEADY_AFTER_MS / 1000} s after ready, ` +
      `${rssAfterTrafficMb.toFixed(1)} MB ${STEADY_AFTER_MS / 1000} s after the load, peak ${peakRssMb.toFixed(1)} MB`,
  );
  const rev = revoked.both;
  say(
    `\nrevocations: ${rev.length} DELETEs through the API (answered in p50 ${ms(revoked.deleteMs, 50).toFixed(1)} ms), ` +
      `each verifier asked in a loop from the DELETE's answer on (${revoked.polls} answers in all)`,
  );
  /** @type {Array<[string, number[]]>} */
  const series = [
    ['both verifiers', rev],
    ...revoked.each.map((xs, v) => /** @type {[string, number[]]} */ ([`verifier ${v + 1}`, xs])),
  ];
  const revRows = series.map(([label, xs]) => [
    label,
    xs.length,
    ...[ms(xs, 50), ms(xs, 90), ms(xs, 99), maxOf(xs)].map((x) => x.toFixed(2)),
  ]);
  say(table(revRows, ['seen NOT_FOUND by', 'keys', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], 1));

  const failed = [...measured.failed, ...(revoked.failure ? [revoked.failure] : [])];
  if (failed.length > 0) {
    say(`\nFAILED: requests failed during the run, so there is no VERIFY line:\n  ${failed.join('\n  ')}`);
    return 1;
  }
  const [bare64, ver64, ver1] = ['bare_c64', 'verifier_c64', 'verifier_c1'].map((name) => cells.get(name));
  const throughput = bare64 && ver64 ? ver64.rps / bare64.rps : NaN;
  const tail = bare64 && ver64 ? ver64.p99 / bare64.p99 : NaN;
  const c1 = ver1 ? ver1.p99 : NaN;
  const [p50, p99, max] = [ms(rev, 50), ms(rev, 99), maxOf(rev)];
  /** @type {Array<[string, string, string, boolean]>} */
  const targets = [
    ['throughput at 64 connections: verifier / bare', shown(throughput, 2, 'x'), '>= 0.5 x', throughput >= 0.5],
    ['p99 at 64 connections: verifier / bare', shown(tail, 2, 'x'), '<= 2.5 x', tail <= 2.5],
    ['p99 at 1 connection, verifier', shown(c1, 2, 'ms'), '<= 2 ms', c1 <= 2],
    ['revocation seen by both, p50', shown(p50, 2, 'ms'), '<= 15 ms', p50 <= 15],
    ['revocation seen by both, p99', shown(p99, 2, 'ms'), '<= 50 ms', p99 <= 50],
    ['revocation seen by both, max', shown(max, 2, 'ms'), '<= 250 ms', max <= 250],
    ...loads.map(
      (l, i) =>
        /** @type {[string, string, string, boolean]} */ ([
          `${keys} keys loaded from the topic, verifier ${i + 1}`,
          shown(l / 1000, 2, 's'),
          '<= 10 s',
          l <= 10_000,
        ]),
    ),
    [
      'verifier RSS, settled after loading the keys',
      shown(rssAfterLoadMb, 1, 'MB'),
      '<= 150 MB',
      rssAfterLoadMb > 0 && rssAfterLoadMb <= 150,
    ],
    [
      'verifier RSS, settled after the HTTP load',
      shown(rssAfterTrafficMb, 1, 'MB'),
      '<= 150 MB',
      rssAfterTrafficMb > 0 && rssAfterTrafficMb <= 150,
    ],
  ];
  const verdicts = targets.map(([name, value, limit, passed]) => [passed ? 'PASS' : 'FAIL', name, value, limit]);
  say(`\ntargets:\n${table(verdicts, null, 4)}`);
  const round = (/** @type {number | null} */ x, digits = 2) =>
    x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits));
  /** @type {Record<string, unknown>} */
  const result = {};
  for (const [name, r] of cells)
    result[name] = {
      rps: round(r.rps, 1),
      p50_ms: round(r.p50),
      p99_ms: round(r.p99),
      stack_pct: round(r.stackPct, 0),
      others_pct: round(r.othersPct, 0),
    };
  Object.assign(result, {
    keys: options.keys,
    load_s: loads.map((l) => round(l / 1000)),
    rss_mb: {
      after_load: round(rssAfterLoadMb, 1),
      after_traffic: round(rssAfterTrafficMb, 1),
      peak: round(peakRssMb, 1),
    },
    revocation: { deletes: rev.length, p50_ms: round(p50), p99_ms: round(p99), max_ms: round(max) },
  });
  say(`VERIFY ${JSON.stringify(result)}`);
  return options.strict && targets.some((t) => !t[3]) ? 2 : 0;
}

module.exports = { runVerify };
