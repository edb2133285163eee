#!/usr/bin/env node
'use strict';
// Measures how long the service stalls in three faults, against a stack of its own (STACK_DIR
// .stack/measure unless given) and the built service run as separate processes:
//   kill     two instances, a steady stream of PUTs to the first; the second is SIGKILLed. How long
//            until PUTs on every partition answer 200 again (the dead member's partitions are
//            unowned until the group notices), how many 202s meanwhile, how long /health said 503.
//   kafka    one instance under the same stream; Kafka is stopped for 5 s and started again. How
//            long after the broker is back (ready: `start-kafka` has returned) until PUTs on every
//            partition answer 200 again, and until when PUTs sent still got 202.
//   sigterm  one instance whose store connection goes through a relay that stops answering
//            everything but pings (FerretDB buried in work); PUTs in flight; SIGTERM. How long
//            until the process has exited (given up after 2 minutes).
// usage: node scripts/measure-failover.js [kill] [kafka] [sigterm] [--runs N]
// with STACK_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT, MONGO_PORT as for the stack (defaults:
// .stack/measure, 29592, 29593, 28517); it starts its own servers there, fresh, and refuses to
// run on servers it did not start.
// Figures go to stdout as one JSON line per run, progress to stderr. Not a test: it asserts nothing.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { REPO_ROOT, StackError, createLogger, formatDuration, sleep, waitUntil, runMain } = require('./lib/run');
const { ensureDependencies, ensureBuild } = require('./lib/prepare');
const { readStackSettings } = require('./stack/settings');
const { spawnDetached, stopProcessGroup, tailFile, isAlive, freePort } = require('./stack/proc');
const { loadDependency } = require('./stack/install');
const { StallingRelay } = require('../test/support/stalling-relay');
const lifecycle = require('./stack/lifecycle');

const SCENARIOS = ['kill', 'kafka', 'sigterm'];
const PARTITIONS = 3;
const KEYS_PER_PARTITION = 60; // a key's PUTs come 6 s apart: longer than a PUT can wait, so no queueing on one key
const PUT_INTERVAL_MS = 100; // per partition: an open-loop stream, so a stalled partition does not slow the others

/** @param {NodeJS.ProcessEnv} env */
function measureEnv(env) {
  const defaults = {
    STACK_DIR: '.stack/measure',
    KAFKA_PORT: '29592',
    KAFKA_CONTROLLER_PORT: '29593',
    MONGO_PORT: '28517',
  };
  return { ...env, ...Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, env[k]?.trim() || v])) };
}

/** The partition of a key id, by the producer's rule (murmur2 of the decimal id). @param {number} id */
function partitionOf(id) {
  const { Partitioners } = loadDependency('kafkajs');
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0 }));
  return Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata,
    message: { key: String(id), value: null },
  });
}

/** One service process, as npm start runs it. */
class Instance {
  /** @param {string} name @param {string} entry @param {NodeJS.ProcessEnv} env @param {string} logFile */
  constructor(name, entry, env, logFile) {
    this.name = name;
    this.logFile = logFile;
    this.url = `http://127.0.0.1:${env.PORT}`;
    this.proc = spawnDetached({ command: process.execPath, args: [entry], cwd: REPO_ROOT, env, logFile });
    this.pid = /** @type {number} */ (this.proc.pid);
  }
  async healthy() {
    return (await fetch(`${this.url}/health`)).status === 200;
  }
  /** @param {AbortSignal} signal */
  async waitHealthy(signal) {
    await waitUntil(() => this.healthy(), { what: `${this.name} healthy`, timeoutMs: 90_000, signal }).catch(
      (error) => {
        throw new StackError(`${error.message}\n${tailFile(this.logFile, this.proc.logOffset, 30)}`);
      },
    );
  }
  /** @param {NodeJS.Signals} signal */
  signal(signal) {
    process.kill(this.pid, signal);
  }
  /** Resolves with the ms until the process is gone, or null after timeoutMs. @param {number} since @param {number} timeoutMs */
  async exitedWithin(since, timeoutMs) {
    const gone = await waitUntil(() => !isAlive(this.pid), { what: this.name, timeoutMs, intervalMs: 20 }).catch(
      () => false,
    );
    return gone ? Date.now() - since : null;
  }
  stop() {
    return stopProcessGroup(this.pid, 15_000);
  }
}

/**
 * @typedef {{ partition: number, sentAt: number, answeredAt: number, status: number }} Answer
 * @typedef {{ url: string, key: string, byPartition: number[][] }} Target
 */

/** PUTs at a steady rate on every partition until stopped; every answer is recorded. @param {Target} target */
function putStream(target) {
  /** @type {Answer[]} */
  const answers = [];
  /** @type {Promise<void>[]} */
  const inFlight = [];
  let round = 0;
  const timer = setInterval(() => {
    round += 1;
    target.byPartition.forEach((ids, partition) => {
      const id = ids[round % ids.length];
      const sentAt = Date.now();
      const request = fetch(`${target.url}/api/v1/api_keys/${id}`, {
        method: 'PUT',
        headers: { 'X-API-Key': target.key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ api_key: { name: `round ${round}` } }),
        signal: AbortSignal.timeout(30_000),
      }).then(
        async (response) => {
          await response.arrayBuffer();
          answers.push({ partition, sentAt, answeredAt: Date.now(), status: response.status });
        },
        () => {
          answers.push({ partition, sentAt, answeredAt: Date.now(), status: 0 });
        },
      );
      inFlight.push(request);
    });
  }, PUT_INTERVAL_MS);
  return {
    answers,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return answers;
    },
  };
}

/** `/health` every 100 ms: the periods it answered other than 200. @param {string} url */
function healthWatch(url) {
  /** @type {{ at: number, status: number }[]} */
  const samples = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      const status = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.arrayBuffer().then(() => r.status),
        () => 0,
      );
      samples.push({ at, status });
      await sleep(100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** ms from `since` until the first 200 to a PUT sent at or after it, per partition (null: none). @param {Answer[]} answers @param {number} since */
function recoveryByPartition(answers, since) {
  return Array.from({ length: PARTITIONS }, (_, partition) => {
    const ok = answers
      .filter((a) => a.partition === partition && a.sentAt >= since && a.status === 200)
      .map((a) => a.answeredAt);
    return ok.length > 0 ? Math.min(...ok) - since : null;
  });
}

/** @param {Answer[]} answers @param {number} since */
const countStatuses = (answers, since) =>
  answers
    .filter((a) => a.sentAt >= since)
    .reduce(
      (counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }),
      /** @type {Record<number, number>} */ ({}),
    );

/** Total ms /health did not answer 200 after `since`. @param {{ at: number, status: number }[]} samples @param {number} since */
function unhealthyMs(samples, since) {
  let total = 0;
  for (let i = 1; i < samples.length; i += 1) {
    if (samples[i - 1].at >= since && samples[i - 1].status !== 200) total += samples[i].at - samples[i - 1].at;
  }
  return total;
}

/**
 * @typedef {{ log: import('./lib/run').Log, signal: AbortSignal, settings: import('./stack/settings').StackSettings,
 *   entries: { main: string, cli: string }, cleanups: (() => Promise<unknown>)[] }} Context
 */

/** A topic, group and database of its own, and the env of an instance using them. @param {Context} ctx @param {string} label */
function isolatedEnv(ctx, label, mongoUrl = ctx.settings.mongoUrl) {
  const id = `${label}-${Date.now().toString(36)}`;
  return {
    ...process.env,
    KAFKA_BROKERS: ctx.settings.kafkaBrokers,
    MONGODB_URI: `${mongoUrl}measure_${id.replace(/-/g, '_')}`,
    KAFKA_EVENTS_TOPIC: `measure.${id}`,
    KAFKA_CONSUMER_GROUP: `measure-${id}`,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    LOG_LEVEL: process.env.LOG_LEVEL?.trim() || 'info',
  };
}

/** @param {Context} ctx @param {string} name @param {NodeJS.ProcessEnv} env */
async function startInstance(ctx, name, env) {
  const logFile = path.join(ctx.settings.paths.logDir, `measure-${name}.log`);
  const instance = new Instance(name, ctx.entries.main, { ...env, PORT: String(await freePort()) }, logFile);
  ctx.cleanups.push(() => instance.stop());
  await instance.waitHealthy(ctx.signal);
  return instance;
}

/** A user (through the bootstrap command) and KEYS_PER_PARTITION of their keys on each partition. @param {Context} ctx @param {Instance} instance @param {NodeJS.ProcessEnv} env */
async function keysFor(ctx, instance, env) {
  const child = spawn(
    process.execPath,
    [ctx.entries.cli, 'bootstrap', '--email', `measure-${Date.now()}@example.com`],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  await new Promise((resolve) => child.on('close', resolve));
  const key = JSON.parse(out).data.key_value;
  /** @type {number[][]} */
  const byPartition = Array.from({ length: PARTITIONS }, () => []);
  while (byPartition.some((ids) => ids.length < KEYS_PER_PARTITION)) {
    const created = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${instance.url}/api/v1/api_keys`, {
          method: 'POST',
          headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
          body: JSON.stringify({ api_key: { name: 'measured', key_type: 'public' } }),
        }).then((r) => /** @type {Promise<{ data: { id: number } }>} */ (r.json())),
      ),
    );
    for (const body of created) byPartition[partitionOf(body.data.id)].push(body.data.id);
  }
  return { url: instance.url, key, byPartition };
}

/** @param {Context} ctx */
async function measureKill(ctx) {
  const env = isolatedEnv(ctx, 'kill');
  const survivor = await startInstance(ctx, 'survivor', env);
  const victim = await startInstance(ctx, 'victim', env);
  await waitUntil(async () => (await survivor.healthy()) && (await victim.healthy()), {
    what: 'both instances ready after the rebalance',
    timeoutMs: 60_000,
    signal: ctx.signal,
  });
  const target = await keysFor(ctx, survivor, env);
  const stream = putStream(target);
  const health = healthWatch(survivor.url);
  await sleep(3000);
  const killedAt = Date.now();
  victim.signal('SIGKILL');
  ctx.log.info(`victim SIGKILLed at ${killedAt}; measuring...`);
  await sleep(25_000);
  const answers = await stream.stop();
  const samples = await health.stop();
  const recovery = recoveryByPartition(answers, killedAt);
  return {
    scenario: 'kill',
    stallMs: recovery.some((ms) => ms === null) ? null : Math.max(.../** @type {number[]} */ (recovery)),
    recoveryMsByPartition: recovery,
    statusesAfterKill: countStatuses(answers, killedAt),
    healthNot200Ms: unhealthyMs(samples, killedAt),
  };
}

/** @param {Context} ctx */
async function measureKafka(ctx) {
  const env = isolatedEnv(ctx, 'kafka');
  const instance = await startInstance(ctx, 'kafka-outage', env);
  const target = await keysFor(ctx, instance, env);
  const stream = putStream(target);
  const health = healthWatch(instance.url);
  await sleep(3000);
  const stoppedAt = Date.now();
  await lifecycle.stopKafka(ctx.settings, ctx.log);
  await sleep(5000);
  await lifecycle.up(ctx.settings, { services: ['kafka'], log: ctx.log, signal: ctx.signal });
  const backAt = Date.now();
  ctx.log.info(`Kafka back after ${formatDuration(backAt - stoppedAt)}; measuring...`);
  await sleep(30_000);
  const answers = await stream.stop();
  const samples = await health.stop();
  const recovery = recoveryByPartition(answers, backAt);
  // A PUT sent in this window was appended but not projected within its wait: it answered 202.
  const sent202 = answers.filter((a) => a.sentAt >= backAt && a.status === 202).map((a) => a.sentAt - backAt);
  return {
    scenario: 'kafka',
    outageMs: backAt - stoppedAt,
    all200AfterBackMs: recovery.some((ms) => ms === null) ? null : Math.max(.../** @type {number[]} */ (recovery)),
    last202SentAfterBackMs: sent202.length > 0 ? Math.max(...sent202) : null,
    recoveryMsByPartition: recovery,
    statusesAfterBack: countStatuses(answers, backAt),
    healthNot200AfterBackMs: unhealthyMs(samples, backAt),
  };
}

/** @param {Context} ctx */
async function measureSigterm(ctx) {
  const relay = new StallingRelay(ctx.settings.host, ctx.settings.mongoPort);
  await relay.start();
  ctx.cleanups.push(() => relay.close());
  const env = isolatedEnv(ctx, 'sigterm', `mongodb://127.0.0.1:${relay.port}/`);
  const instance = await startInstance(ctx, 'sigterm', env);
  const target = await keysFor(ctx, instance, env);
  const stream = putStream(target);
  await sleep(2000);
  relay.stallWork();
  await sleep(2000);
  const termAt = Date.now();
  instance.signal('SIGTERM');
  const exitMs = await instance.exitedWithin(termAt, 120_000);
  await stream.stop();
  return { scenario: 'sigterm', exitAfterSigtermMs: exitMs, gaveUpAfterMs: exitMs === null ? 120_000 : undefined };
}

const MEASURES = { kill: measureKill, kafka: measureKafka, sigterm: measureSigterm };

/** @type {Parameters<typeof runMain>[1]} */
async function main(log, signal) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
  const isRunsArg = (/** @type {number} */ i) => runsAt >= 0 && (i === runsAt || i === runsAt + 1);
  const chosen = args.filter((arg, i) => SCENARIOS.includes(arg) && !isRunsArg(i));
  const unknown = args.filter((arg, i) => !SCENARIOS.includes(arg) && !isRunsArg(i));
  if (unknown.length > 0 || !Number.isInteger(runs) || runs < 1)
    throw new StackError(`usage: node scripts/measure-failover.js [${SCENARIOS.join('] [')}] [--runs N]`);
  const settings = readStackSettings(measureEnv(process.env));
  const stackLog = createLogger('stack');
  await ensureDependencies({ log, signal });
  /** @type {import('./stack/lifecycle').ServerId[]} */
  let started = [];
  /** @type {(() => Promise<unknown>)[]} */
  const cleanups = [];
  try {
    const [up, main, cli] = await Promise.all([
      lifecycle.up(settings, { log: stackLog, signal, fresh: true }),
      ensureBuild({ entry: 'main', log, signal }),
      ensureBuild({ entry: 'cli', log, signal }),
    ]);
    started = up.started;
    // Measuring stops Kafka and loads both servers: never do that to servers someone else runs.
    if (started.length < 2)
      throw new StackError(
        `the ports of STACK_DIR ${settings.paths.stackDir} are taken by servers it did not start; set KAFKA_PORT, KAFKA_CONTROLLER_PORT and MONGO_PORT to free ports`,
      );
    fs.mkdirSync(settings.paths.logDir, { recursive: true });
    const ctx = { log, signal, settings, entries: { main, cli }, cleanups };
    for (const scenario of chosen.length > 0 ? chosen : SCENARIOS) {
      for (let run = 1; run <= runs; run += 1) {
        log.info(`${scenario}, run ${run} of ${runs}`);
        const result = await MEASURES[/** @type {'kill' | 'kafka' | 'sigterm'} */ (scenario)](ctx);
        process.stdout.write(`${JSON.stringify({ ...result, run })}\n`);
        while (cleanups.length > 0) await /** @type {() => Promise<unknown>} */ (cleanups.pop())();
      }
    }
    return 0;
  } finally {
    while (cleanups.length > 0) await /** @type {() => Promise<unknown>} */ (cleanups.pop())().catch(() => {});
    if (started.length > 0) await lifecycle.down(settings, { services: started, log: stackLog });
  }
}

if (require.main === module) runMain('measure', main);
