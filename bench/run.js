#!/usr/bin/env node
'use strict';
// npm run bench: the event-sourced PUT /api/v1/api_keys/:id against a plain CRUD PUT (same HTTP
// stack, auth and validation; findOneAndUpdate on MongoDB, no Kafka), side by side in one run.
// Progress goes to stderr; the report goes to stdout and its last line is `RESULT {...}`.
// See docs/benchmarks.md.
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { spawn } = require('node:child_process');
const { USAGE, UsageError, parseOptions } = require('./lib/options');
const { REPO_ROOT, bringUpStack, ensureDependencies, buildService } = require('./lib/stack');
const { Server, freePort, killAllNow, waitUntil, sleep } = require('./lib/processes');
const { pidListeningOn, startCpuWindow } = require('./lib/cpu');

const BENCH_OUT = path.join(REPO_ROOT, 'dist-bench');
const CRUD_ENTRY = path.join(BENCH_OUT, 'bench', 'crud', 'main.js');
const PROFILER_PRELOAD = path.join(__dirname, 'lib', 'profiler-preload.js');
const SETTLE_MS = 1000;

let interruptedBy = null;

const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const say = (text) => process.stdout.write(`${text}\n`);

function countLines(file, text) {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes(text)).length;
  } catch {
    return 0;
  }
}

/** Compiles the CRUD baseline (and the app files it imports) into dist-bench/. */
async function compileCrud(signal) {
  const began = Date.now();
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json')], {
      cwd: REPO_ROOT,
      signal,
      stdio: ['ignore', 2, 2],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`compiling the CRUD baseline failed (tsc exit ${code})`)),
    );
  });
  // tsc keeps the @app/* path aliases as written; resolve them the way Node resolves packages.
  for (const [alias, target] of [
    ['contracts', 'libs/contracts/src/index.js'],
    ['kafka', 'libs/kafka/src/index.js'],
  ]) {
    const dir = path.join(BENCH_OUT, 'node_modules', '@app', alias);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.js'), `module.exports = require('../../../${target}');\n`);
  }
  log(`compiled the CRUD baseline in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

async function main(argv) {
  let options;
  try {
    options = parseOptions(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 64;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const maxConnections = Math.max(...options.connections);
  const keyCount = options.users * options.keysPerUser;
  if (keyCount < 2 * maxConnections) {
    process.stderr.write(
      `--users x --keys-per-user (${keyCount}) must be at least twice the highest concurrency (${maxConnections}): each path PUTs its own half\n`,
    );
    return 64;
  }

  // Ctrl-C: stop the load, then everything below unwinds through the cleanups. A second one kills.
  const controller = new AbortController();
  const onSignal = (sig) => {
    if (interruptedBy) {
      log(`${sig} again: killing what the bench started`);
      killAllNow();
      process.exit(130);
    }
    interruptedBy = sig;
    log(`${sig}: stopping the run and cleaning up (again to kill at once)...`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllNow);
  const { signal } = controller;
  const checkInterrupted = () => {
    if (signal.aborted) throw new Error(`interrupted by ${interruptedBy}`);
  };

  const cleanups = [];
  try {
    await ensureDependencies({ signal });
    checkInterrupted();
    const { runSegment, percentile } = require('./lib/load');
    const report = require('./lib/report');
    const { seed } = require('./lib/seed');
    const { dropDatabase, deleteKafkaNames } = require('./lib/cleanup');

    // ---- the servers (Kafka, MongoDB) and the builds, side by side --------------------------
    const [stackResult, buildResult] = await Promise.allSettled([
      bringUpStack(process.env, { signal }),
      (async () => {
        const service = await buildService({ signal, noBuild: options.noBuild });
        await compileCrud(signal);
        return service;
      })(),
    ]);
    if (stackResult.status === 'fulfilled')
      cleanups.push(['stopping the servers the bench started', () => stackResult.value.stop()]);
    checkInterrupted();
    if (stackResult.status === 'rejected') throw stackResult.reason;
    if (buildResult.status === 'rejected') throw buildResult.reason;
    const stack = stackResult.value;
    const entries = buildResult.value;

    // ---- names of this run only, so it never touches dev or test data ----------------------
    const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    const runDir = path.join(BENCH_OUT, 'runs', runId);
    fs.mkdirSync(runDir, { recursive: true });
    const names = {
      database: `bench_${runId}`,
      topic: `bench.${runId}.events`,
      group: `bench-${runId}-projector`,
    };
    const mongoUri = `${stack.mongoBase}${names.database}`;
    log(`run ${runId}: database ${names.database}, topic ${names.topic}, logs in ${path.relative(REPO_ROOT, runDir)}/`);
    if (!options.keep) {
      cleanups.push([
        'removing the bench database, topics and consumer group',
        () =>
          Promise.allSettled([
            dropDatabase(mongoUri),
            deleteKafkaNames(stack.brokers, [names.topic, `${names.topic}.dlq`], [names.group]),
          ]).then((results) => {
            for (const r of results) if (r.status === 'rejected') log(`cleanup: ${r.reason.message}`);
          }),
      ]);
    }

    const serviceEnv = {
      ...process.env,
      MONGODB_URI: mongoUri,
      KAFKA_BROKERS: stack.brokers,
      KAFKA_EVENTS_TOPIC: names.topic,
      KAFKA_DLQ_TOPIC: `${names.topic}.dlq`,
      KAFKA_CONSUMER_GROUP: names.group,
      KAFKA_CLIENT_ID: 'api-keys-bench',
      LOG_LEVEL: 'warn',
    };

    // ---- the event-sourced service, exactly as npm start runs it ---------------------------
    const esPort = await freePort();
    const es = new Server({
      name: 'event-sourced service',
      entry: entries.main,
      env: { ...serviceEnv, PORT: String(esPort) },
      logFile: path.join(runDir, 'service.log'),
      cwd: REPO_ROOT,
      preload: options.cpuProf ? PROFILER_PRELOAD : undefined,
    });
    cleanups.push(['stopping the service', () => es.stop()]);
    const esUrl = `http://127.0.0.1:${esPort}`;
    let began = Date.now();
    await waitUntil(async () => (await fetch(`${esUrl}/health`)).status === 200, {
      timeoutMs: 90000,
      what: 'the service to be healthy',
      server: es,
      signal,
    });
    log(`service pid ${es.pid} healthy on ${esUrl} in ${((Date.now() - began) / 1000).toFixed(1)} s`);

    // ---- data through the normal paths -----------------------------------------------------
    const keys = await seed({
      cliEntry: entries.cli,
      cliEnv: serviceEnv,
      cwd: REPO_ROOT,
      baseUrl: esUrl,
      runId,
      users: options.users,
      keysPerUser: options.keysPerUser,
      signal,
      log,
    });
    checkInterrupted();
    es.assertAlive();

    // ---- the CRUD baseline, same database ------------------------------------------------
    const crudPort = await freePort();
    const crud = new Server({
      name: 'CRUD baseline',
      entry: CRUD_ENTRY,
      env: { ...serviceEnv, PORT: String(crudPort) },
      logFile: path.join(runDir, 'crud.log'),
      cwd: REPO_ROOT,
      preload: options.cpuProf ? PROFILER_PRELOAD : undefined,
    });
    cleanups.push(['stopping the CRUD baseline', () => crud.stop()]);
    const crudUrl = `http://127.0.0.1:${crudPort}`;
    began = Date.now();
    // Any answer in the envelope means it is up (there is no health route: it has no dependencies to report).
    await waitUntil(async () => (await fetch(`${crudUrl}/api/v1/ready`)).status === 404, {
      timeoutMs: 60000,
      what: 'the CRUD baseline to listen',
      server: crud,
      signal,
    });
    log(`CRUD baseline pid ${crud.pid} listening on ${crudUrl} in ${((Date.now() - began) / 1000).toFixed(1)} s`);

    // ---- the load: per concurrency, warm-up, then ES, CRUD, ES, CRUD... --------------------
    // The database and broker processes, when they run on this machine, for CPU accounting.
    const mongoPid = pidListeningOn(Number(new URL(stack.mongoBase).port || 27017));
    const kafkaPid = pidListeningOn(Number(stack.brokers.split(',')[0].split(':').pop()));
    // Each path gets its own half of the keys (alternating, so both halves are spread alike
    // over users and over the collection): the CRUD baseline writes MongoDB behind the service's
    // back, and must not touch documents whose state the service's projector owns.
    const targets = {
      es: { server: es, url: esUrl, keys: keys.filter((_, i) => i % 2 === 0) },
      crud: { server: crud, url: crudUrl, keys: keys.filter((_, i) => i % 2 === 1) },
    };
    const segments = new Map();
    const profiles = new Map();
    const failed = [];
    const runOne = async (kind, connections, durationS, what, measured) => {
      const { server, url, keys: lent } = targets[kind];
      const profile = options.cpuProf && measured;
      if (profile) await server.request({ type: 'cpu-prof-start' }, 'cpu-prof-started');
      const cpu = startCpuWindow({ server: server.pid, mongo: mongoPid, kafka: kafkaPid });
      const seg = await runSegment({
        url,
        label: `${kind} c${connections} ${what}`,
        connections,
        durationS,
        timeoutS: options.timeoutS,
        keys: lent,
        signal,
      });
      seg.cpu = cpu.stop();
      if (profile) {
        const file = path.join(
          runDir,
          `${kind}-c${connections}-${what.replace(/(\d+)\/(\d+)/, '$1of$2').replace(/\W+/g, '')}.cpuprofile`,
        );
        const reply = await server.request({ type: 'cpu-prof-stop', file }, 'cpu-prof-written');
        seg.calls = reply.calls;
        const cell = `${kind}_c${connections}`;
        profiles.set(cell, [...(profiles.get(cell) || []), file]);
      }
      checkInterrupted();
      // A dead server ends the run at once; failed requests are reported loudly and fail the run
      // at the end, after the other cells have been measured too.
      server.assertAlive();
      const sorted = [...seg.latenciesMs].sort((a, b) => a - b);
      const p = (q) => (sorted.length ? percentile(sorted, q).toFixed(2) : '-');
      log(
        `${kind.padEnd(4)} c${connections} ${what}: ${seg.ok} ok in ${seg.elapsedS.toFixed(1)} s = ${(seg.ok / seg.elapsedS).toFixed(1)} req/s` +
          (measured ? `, p50 ${p(50)} ms, p99 ${p(99)} ms` : ''),
      );
      if (seg.failures > 0) {
        const kinds = Object.entries(seg.failureKinds)
          .map(([k, n]) => `${n} x ${k}`)
          .join(', ');
        log(
          `FAILED REQUESTS: ${kind} c${connections} ${what}: ${seg.failures} (${kinds}), e.g.\n    ${seg.samples.join('\n    ')}`,
        );
        failed.push({ cell: `${kind}_c${connections}`, what, failures: seg.failures, kinds });
      }
      await sleep(SETTLE_MS);
      return seg;
    };

    for (const connections of options.connections) {
      if (options.warmupS > 0) {
        for (const kind of ['es', 'crud']) await runOne(kind, connections, options.warmupS, 'warm-up', false);
      }
      for (let round = 1; round <= options.rounds; round++) {
        for (const kind of ['es', 'crud']) {
          const seg = await runOne(kind, connections, options.durationS, `round ${round}/${options.rounds}`, true);
          const key = `${kind}_c${connections}`;
          segments.set(key, [...(segments.get(key) || []), seg]);
        }
      }
    }
    const rssMb = es.sampleRss() / 1024;
    const crudRssMb = crud.sampleRss() / 1024;

    // ---- the report ----------------------------------------------------------------------
    const results = new Map();
    for (const connections of options.connections) {
      for (const kind of ['es', 'crud'])
        results.set(`${kind}_c${connections}`, report.aggregate(segments.get(`${kind}_c${connections}`)));
    }
    if (options.cpuProf) {
      const { summarize, formatSummary } = require('./profile-summary');
      for (const [cell, files] of profiles) {
        const [kind, conns] = cell.split('_c');
        say(`\n== ${targets[kind].server.name} at ${conns} connections: round trips per request ==`);
        say(report.renderCalls(segments.get(cell)));
        say(
          `\n== CPU profile: ${targets[kind].server.name} at ${conns} connections (${files.map((f) => path.relative(REPO_ROOT, f)).join(', ')}) ==`,
        );
        say(formatSummary(summarize(files), 12));
      }
    }
    const os = require('node:os');
    const machine = `${os.cpus().length} x ${os.cpus()[0] ? os.cpus()[0].model.trim() : 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
    say(
      `\n== PUT /api/v1/api_keys/:id: event-sourced vs CRUD baseline (${machine}; ${options.rounds} x ${options.durationS} s per cell, ${keys.length / 2} keys per path, ${options.users} users) ==`,
    );
    say(report.render(results, { connections: options.connections, rssMb, crudRssMb }));
    const retried = countLines(crud.logFile, 'write retried after SQLITE_BUSY');
    if (retried > 0)
      say(
        `CRUD baseline: ${retried} write attempts refused by FerretDB with "database is locked" (SQLITE_BUSY) and retried`,
      );
    say(
      `\nCPU ms per request (FerretDB/MongoDB pid ${mongoPid ?? 'not local'}, Kafka pid ${kafkaPid ?? 'not local'}; "others" = the rest of the machine):`,
    );
    say(report.renderCpu(results, options.connections));
    if (failed.length > 0) {
      // No RESULT line: numbers from a run with failed requests must not be taken for a result.
      const lines = failed.map((f) => `  ${f.cell} ${f.what}: ${f.failures} failed (${f.kinds})`);
      say(
        `\nFAILED: requests failed during the run, so there is no RESULT:\n${lines.join('\n')}\nsee the samples above and the server logs in ${path.relative(REPO_ROOT, runDir)}/`,
      );
      return 1;
    }
    const verdicts = report.evaluateTargets(results, rssMb);
    say(`\ntargets:\n${report.renderTargets(verdicts)}`);
    say(report.resultLine(results, rssMb));
    return options.strict && verdicts.some((t) => !t.passed) ? 2 : 0;
  } finally {
    // Late signals must not cut the cleanup short (a second one still kills, see onSignal).
    for (const [what, fn] of cleanups.reverse()) {
      log(`${what}...`);
      try {
        await fn();
      } catch (error) {
        log(`${what} failed: ${error.message}`);
      }
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (interruptedBy) {
      process.stderr.write(`[bench] interrupted by ${interruptedBy}; everything the bench started is stopped\n`);
      process.exit(130);
    }
    process.stderr.write(`\n[bench] FAILED: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
