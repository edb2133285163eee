'use strict';
// Everything before the load: dependencies, the servers (Kafka, MongoDB) and the builds side by
// side, names of this run only, and test data through the normal paths. The bench uses the
// project's own tooling, with npm start's rules: KAFKA_BROKERS / MONGODB_URI in the environment
// name servers to use as they are; what they do not name is brought up locally, and only that
// is stopped at the end.
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { spawn } = require('node:child_process');
const { REPO_ROOT, StackError, createLogger, exitOf } = require('../../scripts/lib/run');
const { formatDuration, waitUntil, withTimeout } = require('../../scripts/lib/run');
const {
  ensureDependencies,
  ensureBuild,
  serversToStart,
  connectionEnv,
  serviceNodeOptions,
  VERIFIER_ENTRY,
} = require('../../scripts/lib/prepare');
const { readStackSettings } = require('../../scripts/stack/settings');
const lifecycle = require('../../scripts/stack/lifecycle');
const { removeOrphanedFiles, ownDataDir, directoryBytes } = require('../../scripts/stack/ferretdb');

const BENCH_OUT = path.join(REPO_ROOT, 'dist-bench');

/**
 * @typedef {import('../../scripts/lib/run').Log} Log
 * @typedef {{ log: Log, signal: AbortSignal, cleanups: Array<[string, () => Promise<unknown>]> }} Context
 * @typedef {Awaited<ReturnType<typeof prepare>>} Run
 */

/**
 * The service's own build-if-stale (or, with --no-build, dist/ as it is), then the CRUD baseline.
 * @param {boolean} noBuild @param {Context} ctx
 */
async function build(noBuild, { log, signal }) {
  const main = noBuild
    ? path.join(REPO_ROOT, 'dist', 'apps', 'api-keys', 'src', 'main.js')
    : await ensureBuild({ entry: 'main', log: createLogger('bench:build'), signal });
  // The same build holds the CLI; asking ensureBuild again could rebuild if a source changed meanwhile.
  const cli = path.join(path.dirname(main), 'cli.js');
  // ensureBuild builds the verifier with the service (npm run bench -- --verify runs it).
  const verifier = VERIFIER_ENTRY;
  for (const file of [main, cli, verifier]) {
    if (!fs.existsSync(file)) throw new StackError(`there is no ${path.relative(REPO_ROOT, file)}; run npm run build`);
  }
  const began = Date.now();
  const tsc = [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(__dirname, '..')];
  const code = await exitOf(spawn(process.execPath, tsc, { cwd: REPO_ROOT, signal, stdio: ['ignore', 2, 2] }));
  if (code !== 0) throw new StackError(`compiling the CRUD baseline failed (tsc exit ${code})`);
  // tsc keeps the @app/* path aliases as written; resolve them the way Node resolves packages.
  for (const lib of ['access', 'contracts', 'domain', 'kafka', 'usage']) {
    const dir = path.join(BENCH_OUT, 'node_modules', '@app', lib);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.js'), `module.exports = require('../../../libs/${lib}/src/index.js');\n`);
  }
  log.info(`compiled the CRUD baseline in ${formatDuration(Date.now() - began)}`);
  const compiled = (/** @type {string} */ file) => path.join(BENCH_OUT, 'bench', file);
  return {
    main,
    cli,
    verifier,
    crud: compiled('crud/main.js'),
    scale: compiled('scale/log-tools.js'),
    keyChecks: compiled('checks/key-checks.js'),
    verifyTools: compiled('verify/state-tools.js'),
    bare: path.join(__dirname, '..', 'verify', 'bare-server.js'),
  };
}

/**
 * Drops the run's databases and deletes its topics and consumer groups (best effort, bounded), then
 * removes what the dropped databases left in the local FerretDB's data directory.
 * @param {Run} run @param {Log} log
 */
async function removeNames({ env, names, dataDir }, log) {
  const mongoose = require('mongoose');
  const { Kafka, logLevel } = require('kafkajs');
  const conn = mongoose.createConnection(env.MONGODB_URI, { serverSelectionTimeoutMS: 3000 });
  const brokers = env.KAFKA_BROKERS.split(',');
  const retry = { retries: 2 };
  const admin = new Kafka({ clientId: 'api-keys-bench', brokers, logLevel: logLevel.NOTHING, retry }).admin();
  const before = dataDir ? directoryBytes(dataDir) / 1e6 : 0;
  const dropDatabases = async () => {
    await withTimeout(conn.asPromise(), 5000, 'connecting to MongoDB');
    for (const database of names.databases) {
      await withTimeout(conn.useDb(database).dropDatabase(), 10_000, `dropping the database ${database}`);
    }
  };
  const deleteKafkaNames = async () => {
    await withTimeout(admin.connect(), 5000, 'connecting to Kafka');
    const ours = [names.topic, `${names.topic}.dlq`, `${names.topic}.state`];
    const present = (await admin.listTopics()).filter((topic) => ours.includes(topic));
    await withTimeout(admin.deleteGroups(names.groups), 10_000, 'deleting the consumer groups').catch(() => {});
    if (present.length > 0) await withTimeout(admin.deleteTopics({ topics: present }), 15_000, 'deleting the topics');
  };
  const results = await Promise.allSettled([dropDatabases(), deleteKafkaNames()]);
  await Promise.allSettled([conn.close(), admin.disconnect()]);
  if (dataDir) {
    const orphans = removeOrphanedFiles(dataDir);
    const removed = `${orphans.files.length} files the dropped databases left behind (${(orphans.bytes / 1e6).toFixed(1)} MB)`;
    log.info(
      `FerretDB data: ${before.toFixed(1)} MB before, ${(directoryBytes(dataDir) / 1e6).toFixed(1)} MB after; removed ${removed}`,
    );
  }
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason.message] : []));
  if (failures.length > 0) throw new Error(failures.join('; '));
}

/**
 * npm ci if needed, then the stack and the builds side by side, and this run's names, so it never
 * touches dev or test data. Registers the matching cleanups.
 * @param {{ noBuild: boolean, keep: boolean, nodeOptions: string | null }} options @param {Context} ctx
 */
async function prepare({ noBuild, keep, nodeOptions }, ctx) {
  const { log, signal, cleanups } = ctx;
  await ensureDependencies({ log: createLogger('bench:deps'), signal });
  const settings = readStackSettings(process.env);
  const stackLog = createLogger('bench:stack');
  const services = serversToStart(process.env);
  const [stack, built] = await Promise.allSettled([
    services.length > 0 ? lifecycle.up(settings, { services, log: stackLog, signal }) : { started: [] },
    build(noBuild, ctx),
  ]);
  if (stack.status === 'fulfilled' && stack.value.started.length > 0) {
    const { started } = stack.value;
    cleanups.push([
      'stopping the servers the bench started',
      () => lifecycle.down(settings, { services: started, log: stackLog }),
    ]);
  }
  if (signal.aborted) throw new StackError('interrupted');
  if (stack.status === 'rejected') throw stack.reason;
  if (built.status === 'rejected') throw built.reason;

  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const runDir = path.join(BENCH_OUT, 'runs', runId);
  fs.mkdirSync(runDir, { recursive: true });
  const database = `bench_${runId}`;
  const group = `bench-${runId}-projector`;
  // databases and groups: the scale bench adds those of its rebuilds, so that they are removed too.
  const names = { database, topic: `bench.${runId}.events`, group, databases: [database], groups: [group] };
  const { KAFKA_BROKERS, MONGODB_URI } = connectionEnv(process.env, settings);
  const mongoUri = new URL(MONGODB_URI);
  mongoUri.pathname = `/${names.database}`;
  const env = {
    ...process.env,
    MONGODB_URI: mongoUri.toString(),
    KAFKA_BROKERS,
    KAFKA_EVENTS_TOPIC: names.topic,
    KAFKA_DLQ_TOPIC: `${names.topic}.dlq`,
    KAFKA_STATE_TOPIC: `${names.topic}.state`,
    // The bench measures the write path, not the budgets: lift them, so no answer is a 429.
    RATE_LIMIT_PER_KEY: '1000000',
    AUTH_FAILURES_PER_ADDRESS: '1000000',
    KAFKA_CONSUMER_GROUP: names.group,
    KAFKA_CLIENT_ID: 'api-keys-bench',
    LOG_LEVEL: 'warn',
    // The servers under test run with the service's V8 limits, as npm start and the Dockerfile run it.
    NODE_OPTIONS: nodeOptions ?? serviceNodeOptions(process.env),
  };
  const run = {
    runId,
    runDir,
    names,
    env,
    entries: built.value,
    dataDir: services.includes('mongo') ? ownDataDir(settings) : null,
  };
  log.info(
    `run ${runId}: database ${names.database}, topic ${names.topic}, logs in ${path.relative(REPO_ROOT, runDir)}/`,
  );
  if (!keep) cleanups.push(['removing the bench databases, topics and consumer groups', () => removeNames(run, log)]);
  return run;
}

/**
 * `cli bootstrap --email` creates a user and their first key, and prints the create endpoint's
 * body as one JSON line. 202: the key is in the log but not yet projected; usable shortly.
 * @param {Run} run @param {string} email @param {AbortSignal} signal
 */
async function bootstrapUser({ entries, env }, email, signal) {
  const child = spawn(process.execPath, [entries.cli, 'bootstrap', '--email', email], { env, cwd: REPO_ROOT, signal });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const code = await exitOf(child);
  const line = output.trim().split('\n').pop() || '';
  const body = code === 0 && line.startsWith('{') ? JSON.parse(line) : null;
  if (![201, 202].includes(body?.status?.code) || !body.data?.key_value) {
    throw new Error(`cli bootstrap --email ${email} (exit ${code}) printed no key:\n${output.trim().slice(-500)}`);
  }
  return { email, userId: body.data.user_id, authKey: body.data.key_value };
}

/**
 * `work` over `items`, at most `limit` at a time; the first failure rejects.
 * @template T, R @param {T[]} items @param {number} limit @param {(item: T) => Promise<R>} work @returns {Promise<R[]>}
 */
async function inParallel(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Test data through the normal paths only: users and their first key from the operator's
 * bootstrap command, every further key through POST /api/v1/api_keys; waits until every user
 * lists all of theirs.
 * @param {Run} run @param {{ users: number, keysPerUser: number, baseUrl: string }} options @param {Context} ctx
 * @returns {Promise<Array<{ id: number, userId: number, authKey: string, secret: string }>>} the keys the PUTs
 *   will target (secret: the created key's own value, which the verify benchmark presents)
 */
async function seed(run, { users, keysPerUser, baseUrl }, { log, signal }) {
  let began = Date.now();
  const emails = Array.from({ length: users }, (_, i) => `bench-user-${i + 1}-${run.runId}@bench.example.com`);
  // Each bootstrap boots a Nest application context; two at a time is plenty on two cores.
  const owners = await inParallel(emails, 2, (email) => bootstrapUser(run, email, signal));
  log.info(`bootstrapped ${owners.length} users in ${formatDuration(Date.now() - began)}`);
  began = Date.now();
  /** @param {{ authKey: string }} user @param {string} [method] @param {object} [body] */
  const call = (user, method = 'GET', body = undefined) =>
    fetch(`${baseUrl}/api/v1/api_keys`, {
      method,
      headers: { 'content-type': 'application/json', 'x-api-key': user.authKey },
      body: body && JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, text: await res.text() }));
  const wanted = owners.flatMap((user) => Array.from({ length: keysPerUser }, (_, k) => ({ user, k })));
  const keys = await inParallel(wanted, 16, async ({ user, k }) => {
    const name = `bench key ${k + 1} of ${user.email}`;
    // A 401 while the user's bootstrap key is still on its way into the read model.
    const created = await waitUntil(
      async () => {
        const res = await call(user, 'POST', { api_key: { name, key_type: 'private' } });
        if (res.status === 201 || res.status === 202) return res;
        const message = `POST /api/v1/api_keys answered ${res.status}: ${res.text.slice(0, 500)}`;
        throw res.status === 401 ? new Error(message) : new StackError(message);
      },
      { what: `${user.email} to authenticate`, timeoutMs: 10_000, signal },
    );
    const { data } = JSON.parse(created.text);
    return { id: data.id, userId: user.userId, authKey: user.authKey, secret: data.key_value };
  });
  const listed = async () => {
    const counts = await Promise.all(owners.map(async (user) => JSON.parse((await call(user)).text).data?.length));
    return counts.every((count) => count >= keysPerUser + 1);
  };
  await waitUntil(listed, { what: 'the seeded keys to be listed', timeoutMs: 60_000, signal });
  log.info(`created ${keys.length} keys through POST in ${formatDuration(Date.now() - began)}`);
  return keys;
}

module.exports = { prepare, seed, bootstrapUser, inParallel };
