#!/usr/bin/env node
'use strict';
// npm run bench: the event-sourced PUT /api/v1/api_keys/:id against a CRUD PUT on the same store
// (same HTTP stack, auth and validation; reads by _id and one updateOne by _id, no Kafka), side by
// side in one run, and the store's own single-document write rate as the ceiling of both.
// npm run bench -- --scale: the service at growing numbers of keys (lib/scale.js).
// npm run bench -- --misses: GET of another user's key against GET of a never-used id (lib/misses.js).
// npm run bench -- --verify: the verifier holding 100,000 keys against a bare http server, and how
// soon two verifiers see a DELETE (lib/verify.js).
// Progress goes to stderr; the report goes to stdout and its last line is `RESULT {...}`.
// Ctrl-C stops the load and unwinds through the cleanups; a second one kills at once.
// See docs/benchmarks.md.
const fs = require('node:fs');
const { runMain, describeError } = require('../scripts/lib/run');
const { onPinnedNode } = require('../scripts/lib/node-runtime');
const { USAGE, UsageError, parseOptions } = require('./lib/options');
const { prepare, seed } = require('./lib/prepare');
const { startServer, killAllNow } = require('./lib/servers');
const { pidListeningOn } = require('./lib/cpu');

/** @type {Parameters<typeof runMain>[1]} */
async function main(log, signal) {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 64;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.on('exit', killAllNow);
  /** @type {import('./lib/prepare').Context['cleanups']} */
  const cleanups = [];
  const ctx = { log, signal, cleanups };
  try {
    const run = await prepare(options, ctx);
    if (options.scale) return await require('./lib/scale').runScale(options, run, ctx);
    if (options.misses) return await require('./lib/misses').runMisses(options, run, ctx);
    if (options.verify) return await require('./lib/verify').runVerify(options, run, ctx);
    const es = await startServer('es', run, options, ctx);
    const keys = await seed(run, { ...options, baseUrl: es.url }, ctx);
    es.server.assertAlive();
    const crud = await startServer('crud', run, options, ctx);

    // Each path PUTs its own half of the keys (alternating, so both halves spread alike over users
    // and the collection): the CRUD baseline writes MongoDB behind the service's back, and must not
    // touch documents whose state the service's projector owns.
    const targets = {
      es: { ...es, keys: keys.filter((_, i) => i % 2 === 0) },
      crud: { ...crud, keys: keys.filter((_, i) => i % 2 === 1) },
    };
    // The database and broker processes, when they run on this machine, for CPU accounting.
    const pids = {
      mongo: pidListeningOn(Number(new URL(run.env.MONGODB_URI).port || 27017)),
      kafka: pidListeningOn(Number(run.env.KAFKA_BROKERS.split(',')[0].split(':').pop())),
    };
    const { measure } = require('./lib/load'); // autocannon exists only after npm ci
    const measured = await measure(targets, options, { runDir: run.runDir, pids, log, signal });
    const { singleWriteRate } = require('./lib/store');
    const store = [];
    for (const concurrency of options.connections) {
      const documents = options.users * (options.keysPerUser + 1);
      store.push(await singleWriteRate(run.env.MONGODB_URI, { documents, concurrency, durationS: options.durationS }));
      const { writesPerS, p50, p99 } = store[store.length - 1];
      log.info(
        `store: ${concurrency} writers: ${writesPerS.toFixed(1)} writes/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
      );
    }
    // Compiled with the bench (bench/checks/key-checks.ts), timed once the load has stopped.
    /** @type {{ keyCheckCost: () => { shape_ns: number, hash_ns: number, judge_ns: number } }} */
    const { keyCheckCost } = require(run.entries.keyChecks);
    const keyChecks = keyCheckCost();
    const { printReport } = require('./lib/report');
    const busyLines = fs.readFileSync(crud.server.logFile, 'utf8').split('\n');
    return printReport(measured, options, {
      keysPerPath: keys.length / 2,
      rssMb: es.server.sampleRss() / 1024,
      crudRssMb: crud.server.sampleRss() / 1024,
      busyRetries: busyLines.filter((line) => line.includes('write retried after SQLITE_BUSY')).length,
      pids,
      runDir: run.runDir,
      store,
      keyChecks,
    });
  } finally {
    for (const [what, cleanup] of cleanups.reverse()) {
      log.info(`${what}...`);
      await cleanup().catch((error) => log.info(`${what} failed: ${describeError(error)}`));
    }
  }
}

onPinnedNode('bench', () =>
  runMain('bench', main, (signal) => {
    process.stderr.write(`[bench] ${signal} again: killing what the bench started\n`);
    killAllNow();
    process.exit(130);
  }),
);
