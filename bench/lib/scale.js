'use strict';
// npm run bench -- --scale: the event-sourced service at growing numbers of keys (--sizes, default
// 1,000, 20,000, 100,000), all in one run against one topic and database, so that the figures at
// each size are ratios within the run. Keys are seeded straight into the topic with the service's
// own contract code (ApiKeyCreated records as the service appends them) and projected by the
// service itself. At each size: PUT at 1 and 64 connections, a user's list of 50 keys, unknown
// keys (401), the first requests to a freshly started instance, a rebuild of the read model from
// the log into an empty database, and the service's peak RSS. Once per size, the store's own
// bulk-insert rate, the yardstick of the rebuild's write rate; once per run, the projector's
// in-memory fold rate. The last line is `SCALE {json}`.
const os = require('node:os');
const path = require('node:path');
const { StackError, waitUntil, sleep } = require('../../scripts/lib/run');
const { removeOrphanedFiles } = require('../../scripts/stack/ferretdb');
const { startServer } = require('./servers');
const load = require('./load');
const { percentile, table, shown } = require('./report');
const { bulkInsertRate } = require('./store');
const { pidListeningOn, startCpuWindow } = require('./cpu');

const LIST_KEYS = 50;
const PUT_USERS = 4;
const PUT_KEYS_PER_USER = 32;
const KEYS_PER_OTHER_USER = 10;
const RECORDS_PER_SEND = 1000;
const FOLD_SAMPLE_KEYS = 50_000;
const FOLD_BATCH = 1000;
const STORE_SAMPLE_DOCS = 20_000;
const STORE_SAMPLE_BATCH = 1000;
const UNAUTHENTICATED_CONNECTIONS = [1, 16];
const RATE_FROM_SIZE = 20_000;
const say = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);

/**
 * @typedef {import('./prepare').Run} Run @typedef {import('./prepare').Context} Context
 * @typedef {import('./load').Segment} Segment
 * @typedef {{ rps: number, p50: number, p99: number, othersPct: number | null }} Cell
 */

/** @param {Segment} seg @param {number | null} othersPct @returns {Cell} */
function cellOf(seg, othersPct) {
  const sorted = [...seg.latenciesMs].sort((a, b) => a - b);
  return { rps: seg.ok / seg.elapsedS, p50: percentile(sorted, 50), p99: percentile(sorted, 99), othersPct };
}

/**
 * The machine is shared with other people's work, which moves every figure here. This measures how
 * much of the machine's CPU it took during a window: everything but the service, the store, Kafka
 * and the bench itself, in percent of all CPUs (null where /proc cannot tell).
 * @param {Record<string, number | null>} pids
 * @returns {() => number | null} ends the window
 */
function othersWindow(pids) {
  const cpu = startCpuWindow(pids);
  const began = Date.now();
  return () => {
    const { others } = cpu.stop();
    const available = (Date.now() - began) * os.cpus().length;
    return typeof others === 'number' && available > 0 ? Math.round((100 * others) / available) : null;
  };
}

/** @param {number} x */
const ms = (x) => Number(x.toFixed(2));

/**
 * The topic, the seeding producer and the read model, as the bench process sees them.
 * @param {Run} run
 */
async function openLog(run) {
  const { Kafka, logLevel } = require('kafkajs');
  const mongoose = require('mongoose');
  const kafka = new Kafka({
    clientId: 'api-keys-bench-seed',
    brokers: run.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  const conn = await mongoose.createConnection(run.env.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }).asPromise();
  const topic = run.names.topic;
  const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length;
  return {
    topic,
    partitions,
    producer,
    /** The offset of the last record of each partition (-1: empty). */
    async lastOffsets() {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets
        .map((o) => ({ partition: o.partition, last: Number(o.high) - 1 }))
        .sort((a, b) => a.partition - b.partition);
    },
    /**
     * Waits until the projection in `database` has applied every record up to `lasts`, watching its
     * checkpoints: returns when it was first seen to have applied anything (and how many records
     * then), and when it had applied them all.
     * @param {string} database @param {Array<{ partition: number, last: number }>} lasts
     * @param {{ timeoutMs: number, signal: AbortSignal, giveUp?: () => any }} options
     */
    async caughtUp(database, lasts, { timeoutMs, signal, giveUp }) {
      /** @type {{ at: number, applied: number } | null} */
      let first = null;
      const check = async () => {
        const { applied, done } = await this.applied(database, lasts);
        if (applied > 0 && !first) first = { at: Date.now(), applied };
        return done;
      };
      const what = `the projection into ${database} to catch up`;
      await waitUntil(check, { what, timeoutMs, intervalMs: 100, signal, giveUp });
      return { first: /** @type {{ at: number, applied: number } | null} */ (first), doneAt: Date.now() };
    },
    /**
     * How many records of the topic the projection in `database` has applied, and whether it has
     * applied every one up to `lasts`.
     * @param {string} database @param {Array<{ partition: number, last: number }>} lasts
     */
    async applied(database, lasts) {
      const checkpoints = conn.useDb(database, { useCache: true }).collection('projection_checkpoints');
      let applied = 0;
      let done = true;
      for (const { partition, last } of lasts) {
        const doc = await checkpoints.findOne({ _id: /** @type {any} */ (`${topic}:${partition}`) });
        const offset = doc ? doc.offset : -1;
        applied += offset + 1;
        if (offset < last) done = false;
      }
      return { applied, done };
    },
    /** Documents per collection of a database. @param {string} database */
    async documents(database) {
      const db = conn.useDb(database, { useCache: true });
      const names = (await db.listCollections()).map((c) => c.name).sort();
      return Object.fromEntries(
        await Promise.all(names.map(async (name) => [name, await db.collection(name).countDocuments()])),
      );
    },
    async close() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect(), conn.close()]);
    },
  };
}

/**
 * The keys and users of the run, made as the sizes grow: user 1 holds the listed keys, the next
 * users the keys that are PUT, every other user ten keys. Only the keys the bench presents carry a
 * secret it knows; the others get the hash of a secret nobody keeps.
 * @param {any} tools the compiled log tools @param {string} runId
 */
function population(tools, runId) {
  let keys = 0;
  let users = 0;
  let inUser = 0;
  let userEmail = '';
  /** @type {Map<number, string>} user id -> the secret of their first key */
  const secrets = new Map();
  /** @type {Array<{ id: number, userId: number, authKey: string }>} */
  const putKeys = [];
  /** @type {number[]} */
  const listIds = [];
  const quota = (/** @type {number} */ user) => {
    if (user === 1) return LIST_KEYS;
    return user <= 1 + PUT_USERS ? PUT_KEYS_PER_USER : KEYS_PER_OTHER_USER;
  };
  return {
    get keys() {
      return keys;
    },
    get users() {
      return users;
    },
    putKeys,
    listUser: () => ({ authKey: /** @type {string} */ (secrets.get(1)), ids: listIds }),
    /** The next `count` keys to create. */
    next(/** @type {number} */ count) {
      const made = [];
      for (let i = 0; i < count; i++) {
        if (users === 0 || inUser >= quota(users)) {
          users += 1;
          inUser = 0;
          userEmail = `scale-user-${users}-${runId}@bench.example.com`;
        }
        keys += 1;
        inUser += 1;
        const presented = inUser === 1 && users <= 1 + PUT_USERS;
        const secret = presented ? tools.newKey() : null;
        if (secret) secrets.set(users, secret.value);
        const keyHash = secret ? secret.hash : tools.hashSecret(`unheld ${runId} ${keys}`);
        if (users === 1) listIds.push(keys);
        else if (users <= 1 + PUT_USERS) putKeys.push({ id: keys, userId: users, authKey: '' });
        made.push({ keyId: keys, userId: users, email: userEmail, name: `scale key ${keys}`, keyHash });
      }
      for (const key of putKeys) key.authKey = secrets.get(key.userId) ?? key.authKey;
      return made;
    },
  };
}

/**
 * Watches a projection catch up with the records up to `lasts`, and gives its rate over the time it
 * was seen working: from its first checkpoint move (the records applied by then not counted) to the
 * end; over the whole wait when it was over before a second look.
 * @param {Awaited<ReturnType<typeof openLog>>} log @param {string} database
 * @param {Array<{ partition: number, last: number }>} lasts
 * @param {{ before: number, signal: AbortSignal, giveUp?: () => any }} options before: records applied already
 */
async function projectionRate(log, database, lasts, { before, signal, giveUp }) {
  const startedAt = Date.now();
  const target = lasts.reduce((sum, { last }) => sum + last + 1, 0);
  const timeoutMs = Math.max(120_000, (target - before) * 20);
  const { first, doneAt } = await log.caughtUp(database, lasts, { timeoutMs, signal, giveUp });
  const steady = first !== null && doneAt > first.at && target > first.applied;
  const counted = steady ? target - first.applied : target - before;
  const seconds = (doneAt - (steady ? first.at : startedAt)) / 1000;
  return { seconds, perS: counted / seconds, doneAt };
}

/** Documents in all collections of a database. @param {Record<string, number>} counts */
const total = (counts) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/**
 * Appends ApiKeyCreated records for `count` more keys and waits until the service has projected
 * them. Rates: over the whole projection (it works while the records are being appended, the
 * appending taking CPU from it on this machine) and over the backlog left once all are appended
 * ("appended at once": the one the target is about).
 * @param {Awaited<ReturnType<typeof openLog>>} log @param {ReturnType<typeof population>} people
 * @param {any} tools @param {number} count @param {Run} run @param {Context} ctx
 */
async function seed(log, people, tools, count, run, { signal }) {
  const database = run.names.database;
  const documentsBefore = total(await log.documents(database));
  const at = new Date().toISOString();
  const records = people.next(count).map((key) => tools.createdRecord(log.topic, log.partitions, key, at));
  const lasts = await log.lastOffsets();
  const before = lasts.reduce((sum, { last }) => sum + last + 1, 0);
  for (const { partition } of records) lasts[partition].last += 1;
  const began = Date.now();
  const watching = projectionRate(log, database, lasts, { before, signal });
  watching.catch(() => {}); // awaited below
  for (let i = 0; i < records.length; i += RECORDS_PER_SEND) {
    await log.producer.send({ topic: log.topic, acks: -1, messages: records.slice(i, i + RECORDS_PER_SEND) });
    if (signal.aborted) throw new StackError('interrupted');
  }
  const appended = Date.now();
  const atAppend = (await log.applied(database, lasts)).applied;
  const rate = await watching;
  const documents = total(await log.documents(database)) - documentsBefore;
  const backlog = before + count - atAppend;
  const backlogS = (rate.doneAt - appended) / 1000;
  // A backlog that was gone within a few polls gives no rate: then the overall one stands for it.
  const backlogPerS = backlog >= count / 10 && backlogS >= 1 ? backlog / backlogS : rate.perS;
  const perKey = documents / count;
  return {
    keys: count,
    documents,
    append_s: ms((appended - began) / 1000),
    total_s: ms((rate.doneAt - began) / 1000),
    keys_per_s: Math.round(rate.perS),
    documents_per_s: Math.round(rate.perS * perKey),
    backlog_keys: backlog,
    backlog_keys_per_s: Math.round(backlogPerS),
    backlog_documents_per_s: Math.round(backlogPerS * perKey),
  };
}

/**
 * One timed request with a check of its status; for the first requests to a cold instance.
 * @param {string} url @param {string} method @param {string} target @param {string} key @param {number} status
 * @param {object} [body]
 */
async function timedRequest(url, method, target, key, status, body) {
  const began = process.hrtime.bigint();
  const headers = { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) };
  const res = await fetch(`${url}${target}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  const took = Number(process.hrtime.bigint() - began) / 1e6;
  if (res.status !== status) {
    throw new StackError(`${method} ${target} on a cold instance answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return took;
}

/** @param {{ server: import('./servers').Server }} s peak RSS so far, MB */
const peakRss = (s) => s.server.sampleRss() / 1024;

/**
 * The warm instance under load: PUT at each concurrency, a user's list, unknown keys.
 * @param {{ server: import('./servers').Server, url: string }} main @param {number} size
 * @param {ReturnType<typeof population>} people @param {ReturnType<typeof import('./options').parseOptions>} options
 * @param {Context} ctx @param {string[]} failed @param {Record<string, number | null>} stackPids the store's and Kafka's
 */
async function underLoad(main, size, people, options, { log, signal }, failed, stackPids) {
  /** @type {Record<string, Cell>} */
  const cells = {};
  /** @param {string} what @param {import('./load').Scenario} scenario @param {number} connections @param {boolean} timed */
  const segment = async (what, scenario, connections, timed) => {
    const durationS = timed ? options.durationS : options.warmupS;
    const others = othersWindow({ server: main.server.pid ?? null, ...stackPids });
    const seg = await load.runSegment({
      url: main.url,
      connections,
      durationS,
      timeoutS: options.timeoutS,
      scenario,
      signal,
    });
    const othersPct = others();
    if (signal.aborted) throw new StackError('interrupted');
    main.server.assertAlive();
    const rss = `RSS ${main.server.currentRssMb().toFixed(0)} MB, peak ${peakRss(main).toFixed(0)} MB; others ${othersPct ?? '?'}% CPU`;
    const failure = load.logSegment(log, `${size} keys: ${what}${timed ? '' : ' warm-up'} (${rss})`, seg, timed);
    if (failure) failed.push(failure);
    await sleep(500);
    return cellOf(seg, othersPct);
  };
  for (const c of options.connections) {
    const label = `scale ${size} c${c}`;
    if (options.warmupS > 0) await segment(`PUT c${c}`, load.putScenario(people.putKeys, `${label} warm-up`), c, false);
    cells[`put_c${c}`] = await segment(`PUT c${c}`, load.putScenario(people.putKeys, label), c, true);
  }
  const lister = people.listUser();
  cells.list_c1 = await segment(`list of ${LIST_KEYS} keys c1`, load.listScenario(lister, lister.ids), 1, true);
  for (const c of UNAUTHENTICATED_CONNECTIONS) {
    cells[`unauth_c${c}`] = await segment(`unknown key (401) c${c}`, load.unknownKeyScenario(), c, true);
  }
  return cells;
}

/**
 * Stops the instance and starts a fresh process against the populated store: how long until it is
 * healthy, and its first GET, PUT, list and 401.
 * @param {{ server: import('./servers').Server }} main @param {number} size @param {ReturnType<typeof population>} people
 * @param {Run} run @param {ReturnType<typeof import('./options').parseOptions>} options @param {Context} ctx
 */
async function restart(main, size, people, run, options, ctx) {
  await main.server.stop();
  const began = Date.now();
  const as = { name: `event-sourced service (restarted at ${size} keys)`, log: `service-${size}.log`, env: {} };
  const fresh = await startServer('es', run, options, ctx, as);
  const healthyS = (Date.now() - began) / 1000;
  const [probe] = people.putKeys;
  const lister = people.listUser();
  const get = await timedRequest(fresh.url, 'GET', `/api/v1/api_keys/${probe.id}`, probe.authKey, 200);
  const body = { api_key: { name: `cold ${size}` } };
  const put = await timedRequest(fresh.url, 'PUT', `/api/v1/api_keys/${probe.id}`, probe.authKey, 200, body);
  const list = await timedRequest(fresh.url, 'GET', '/api/v1/api_keys', lister.authKey, 200);
  const unknown = await timedRequest(fresh.url, 'GET', '/api/v1/api_keys', load.randomKey(), 401);
  const cold = {
    healthy_s: ms(healthyS),
    first_get_ms: ms(get),
    first_put_ms: ms(put),
    first_list_ms: ms(list),
    first_401_ms: ms(unknown),
  };
  ctx.log.info(
    `${size} keys: restarted instance healthy in ${healthyS.toFixed(1)} s; first GET ${get.toFixed(1)} ms, PUT ${put.toFixed(1)} ms, list ${list.toFixed(1)} ms, 401 ${unknown.toFixed(1)} ms`,
  );
  return { fresh, cold };
}

/**
 * A rebuild of the read model: a fresh database and consumer group replay the whole topic, in a
 * service process of their own. The store's insertMany rate is taken just before and just after
 * (the machine is shared) as the yardstick of the rebuild's write rate.
 * @param {Awaited<ReturnType<typeof openLog>>} topicLog @param {number} size @param {Run} run
 * @param {ReturnType<typeof import('./options').parseOptions>} options @param {Context} ctx
 * @param {Record<string, number | null>} pids the other processes at work (the service, the store, Kafka)
 */
async function rebuild(topicLog, size, run, options, ctx, pids) {
  const { log, signal } = ctx;
  const storeSample = { documents: STORE_SAMPLE_DOCS, batch: STORE_SAMPLE_BATCH };
  const storeBefore = await bulkInsertRate(run.env.MONGODB_URI, storeSample);
  const database = `${run.names.database}_rebuild_${size}`;
  const group = `${run.names.group}-rebuild-${size}`;
  run.names.databases.push(database);
  run.names.groups.push(group);
  const uri = new URL(run.env.MONGODB_URI);
  uri.pathname = `/${database}`;
  const lasts = await topicLog.lastOffsets();
  const events = lasts.reduce((sum, { last }) => sum + last + 1, 0);
  const began = Date.now();
  /** @type {Awaited<ReturnType<typeof startServer>> | null} */
  let rebuilder = null;
  const stopWatching = new AbortController();
  const giveUp = () => rebuilder?.server.exited;
  const watchSignal = AbortSignal.any([signal, stopWatching.signal]);
  const watching = projectionRate(topicLog, database, lasts, { before: 0, signal: watchSignal, giveUp });
  watching.catch(() => {}); // awaited below
  try {
    rebuilder = await startServer('es', run, options, ctx, {
      name: `rebuilding instance at ${size} keys`,
      log: `rebuild-${size}.log`,
      env: { MONGODB_URI: uri.toString(), KAFKA_CONSUMER_GROUP: group },
    });
  } catch (error) {
    stopWatching.abort();
    throw error;
  }
  const ready = Date.now();
  if (options.cpuProf) await rebuilder.server.request({ type: 'cpu-prof-start' }, 'cpu-prof-started');
  const others = othersWindow({ rebuilder: rebuilder.server.pid ?? null, ...pids });
  const rate = await watching;
  const othersPct = others();
  if (options.cpuProf) await writeRebuildProfile(rebuilder.server, size, events, run, log);
  const rssMb = peakRss(rebuilder);
  await rebuilder.server.stop();
  const storeAfter = await bulkInsertRate(run.env.MONGODB_URI, storeSample);
  const storePerS = (storeBefore.docsPerS + storeAfter.docsPerS) / 2;
  const collections = await topicLog.documents(database);
  const documents = total(collections);
  const docsPerS = (rate.perS * documents) / events;
  await dropDatabase(run, database, log);
  const result = {
    events,
    start_s: ms((ready - began) / 1000),
    total_s: ms((rate.doneAt - began) / 1000),
    events_per_s: Math.round(rate.perS),
    documents,
    documents_per_s: Math.round(docsPerS),
    store_insert_many_per_s: [storeBefore, storeAfter].map((r) => Math.round(r.docsPerS)),
    of_store: Number((docsPerS / storePerS).toFixed(2)),
    rss_mb: Number(rssMb.toFixed(1)),
    others_pct: othersPct,
  };
  log.info(
    `${size} keys: rebuilt ${documents} documents (${JSON.stringify(collections)}) from ${events} events, ${result.total_s} s from the process's start; ${result.events_per_s} events/s, ${result.documents_per_s} documents/s; the store's insertMany ${result.store_insert_many_per_s.join(' and ')} documents/s: ${result.of_store} x`,
  );
  return result;
}

/**
 * --cpu-prof: the rebuilding process's CPU profile (from its first answer to the end of the
 * rebuild) to a file, and its store and Kafka calls by kind, per event of the log.
 * @param {import('./servers').Server} server @param {number} size @param {number} events @param {Run} run
 * @param {import('../../scripts/lib/run').Log} log
 */
async function writeRebuildProfile(server, size, events, run, log) {
  const file = path.join(run.runDir, `rebuild-${size}.cpuprofile`);
  /** @type {{ calls: Record<string, { count: number, totalMs: number }> }} */
  const { calls } = await server.request({ type: 'cpu-prof-stop', file }, 'cpu-prof-written');
  const lines = Object.entries(calls)
    .sort((a, b) => b[1].totalMs - a[1].totalMs)
    .map(
      ([kind, c]) =>
        `  ${kind}: ${c.count} (${(c.count / events).toFixed(3)} per event), ${(c.totalMs / c.count).toFixed(2)} ms each`,
    );
  log.info(
    `${size} keys: rebuild profile ${path.relative(process.cwd(), file)}; calls from its first answer on:\n${lines.join('\n')}`,
  );
}

/**
 * The scale benchmark: see the top of this file. Returns the exit code.
 * @param {ReturnType<typeof import('./options').parseOptions>} options @param {Run} run @param {Context} ctx
 */
async function runScale(options, run, ctx) {
  const { log } = ctx;
  const tools = require(run.entries.scale);
  /** @type {string[]} */
  const failed = [];
  /** @type {Record<string, Record<string, any>>} */
  const results = {};

  const fold = tools.foldRate(tools.sampleLog(FOLD_SAMPLE_KEYS, 1), FOLD_BATCH);
  const foldRate = fold.events / fold.seconds;
  log.info(
    `projector fold in memory: ${fold.events} events in ${fold.seconds.toFixed(2)} s = ${foldRate.toFixed(0)} events/s`,
  );

  let main = await startServer('es', run, options, ctx);
  const topicLog = await openLog(run);
  ctx.cleanups.push(['closing the seeding clients', () => topicLog.close()]);
  const people = population(tools, run.runId);
  const stackPids = {
    mongo: pidListeningOn(Number(new URL(run.env.MONGODB_URI).port || 27017)),
    kafka: pidListeningOn(Number(run.env.KAFKA_BROKERS.split(',')[0].split(':').pop())),
  };
  let peakRssMb = 0;
  for (const size of options.sizes) {
    const seedOthers = othersWindow({ server: main.server.pid ?? null, ...stackPids });
    const seeded = { ...(await seed(topicLog, people, tools, size - people.keys, run, ctx)), others_pct: seedOthers() };
    log.info(
      `${size} keys: seeded ${seeded.keys} keys of ${people.users} users: appended in ${seeded.append_s} s, all projected ${seeded.total_s} s after the first: ${seeded.keys_per_s} keys/s, ${seeded.documents_per_s} documents/s; the ${seeded.backlog_keys} left when all were appended at ${seeded.backlog_keys_per_s} keys/s, ${seeded.backlog_documents_per_s} documents/s`,
    );
    main.server.assertAlive();
    log.info(
      `${size} keys: service RSS ${main.server.currentRssMb().toFixed(0)} MB, peak ${peakRss(main).toFixed(0)} MB`,
    );
    const cells = await underLoad(main, size, people, options, ctx, failed, stackPids);
    const rssMb = peakRss(main);
    const restarted = await restart(main, size, people, run, options, ctx);
    main = restarted.fresh;
    const rebuilt = await rebuild(topicLog, size, run, options, ctx, { server: main.server.pid ?? null, ...stackPids });
    peakRssMb = Math.max(peakRssMb, rssMb);
    const storePerS = rebuilt.store_insert_many_per_s.reduce((a, b) => a + b, 0) / 2;
    results[size] = {
      keys: size,
      users: people.users,
      seed: { ...seeded, of_store: Number((seeded.backlog_documents_per_s / storePerS).toFixed(2)) },
      ...cells,
      cold: restarted.cold,
      rebuild: rebuilt,
      rss_mb: Number(rssMb.toFixed(1)),
    };
  }
  return report(results, { foldRate, failed, options, peakRssMb });
}

/**
 * Drops a rebuilt database at once (its disk space), and what FerretDB left of it.
 * @param {Run} run @param {string} database @param {import('../../scripts/lib/run').Log} log
 */
async function dropDatabase(run, database, log) {
  const mongoose = require('mongoose');
  const conn = await mongoose.createConnection(run.env.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    await conn.useDb(database).dropDatabase();
  } finally {
    await conn.close();
  }
  if (run.dataDir) {
    const { files, bytes } = removeOrphanedFiles(run.dataDir);
    if (files.length > 0)
      log.info(`removed ${files.length} files the dropped ${database} left (${(bytes / 1e6).toFixed(1)} MB)`);
  }
}

/**
 * The tables per size, the targets, and `SCALE {json}` as the last line. Exit code 1 when requests
 * failed (no SCALE line then), 2 under --strict when a target is missed.
 * @param {Record<string, Record<string, any>>} results
 * @param {{ foldRate: number, failed: string[], peakRssMb: number, options: ReturnType<typeof import('./options').parseOptions> }} facts
 */
function report(results, { foldRate, failed, options, peakRssMb }) {
  const sizes = Object.keys(results).map(Number);
  const latency = (/** @type {Cell} */ c) => [c.p50.toFixed(2), c.p99.toFixed(2)];
  say(`\n== scale: the event-sourced service at ${sizes.join(', ')} keys (${options.durationS} s per cell) ==`);
  const rows = sizes.map((n) => {
    const r = results[n];
    return [
      n,
      r.users,
      ...options.connections.flatMap((c) => [...latency(r[`put_c${c}`]), r[`put_c${c}`].rps.toFixed(0)]),
      r.list_c1.p50.toFixed(2),
      ...UNAUTHENTICATED_CONNECTIONS.flatMap((c) => latency(r[`unauth_c${c}`])),
      r.rss_mb.toFixed(0),
      othersRange(Object.values(r).filter((v) => v && typeof v === 'object' && 'othersPct' in v)),
    ];
  });
  const headers = [
    'keys',
    'users',
    ...options.connections.flatMap((c) => [`PUT c${c} p50`, 'p99', 'req/s']),
    'list p50',
    ...UNAUTHENTICATED_CONNECTIONS.flatMap((c) => [`401 c${c} p50`, 'p99']),
    'peak RSS MB',
    'others % CPU',
  ];
  say(`latency in ms:\n${table(rows, headers, 0)}`);
  const cold = sizes.map((n) => {
    const c = results[n].cold;
    return [
      n,
      c.healthy_s.toFixed(1),
      ...[c.first_get_ms, c.first_put_ms, c.first_list_ms, c.first_401_ms].map((x) => x.toFixed(1)),
    ];
  });
  const coldHeaders = ['keys', 'start to healthy s', 'first GET ms', 'first PUT ms', 'first list ms', 'first 401 ms'];
  say(`\na freshly started instance against the populated store:\n${table(cold, coldHeaders, 0)}`);
  const writes = sizes.map((n) => {
    const { seed, rebuild } = results[n];
    return [
      n,
      seed.keys,
      seed.total_s.toFixed(1),
      seed.keys_per_s,
      seed.backlog_keys,
      seed.backlog_keys_per_s,
      seed.backlog_documents_per_s,
      rebuild.events,
      rebuild.total_s.toFixed(1),
      rebuild.events_per_s,
      rebuild.documents_per_s,
      rebuild.rss_mb.toFixed(0),
      rebuild.store_insert_many_per_s.join(', '),
      `${seed.others_pct ?? '?'}, ${rebuild.others_pct ?? '?'}`,
      `${seed.of_store.toFixed(2)} x`,
      `${rebuild.of_store.toFixed(2)} x`,
    ];
  });
  const writeHeaders = [
    'keys',
    'seeded',
    'seed s',
    'keys/s',
    'backlog keys',
    'keys/s',
    'docs/s',
    'rebuild: events',
    's',
    'events/s',
    'docs/s',
    'RSS MB',
    'store insertMany docs/s',
    'others %',
    'backlog of store',
    'rebuild of store',
  ];
  say(
    `\nprojecting new keys (seeding), and a rebuild of the read model from the log:\n${table(writes, writeHeaders, 0)}`,
  );
  say(`\nprojector fold in memory (decode, fold, per-user lists; no store): ${foldRate.toFixed(0)} events/s`);
  if (failed.length > 0) {
    say(`\nFAILED: requests failed during the run, so there is no SCALE line:\n  ${failed.join('\n  ')}`);
    return 1;
  }
  const targets = evaluateScaleTargets(results, { foldRate, peakRssMb, connections: options.connections });
  const verdicts = targets.map(([name, value, limit, passed]) => [passed ? 'PASS' : 'FAIL', name, value, limit]);
  say(`\ntargets:\n${table(verdicts, null, 4)}`);
  /** @type {Record<string, unknown>} */
  const bySize = {};
  for (const n of sizes) {
    const entries = Object.entries(results[n]).map(([k, v]) => {
      const timed = v && typeof v === 'object' && 'p50' in v;
      const cell = timed && {
        rps: Number(v.rps.toFixed(1)),
        p50_ms: ms(v.p50),
        p99_ms: ms(v.p99),
        others_pct: v.othersPct,
      };
      return [k, cell || v];
    });
    bySize[n] = Object.fromEntries(entries);
  }
  const json = { fold_events_per_s: Math.round(foldRate), peak_rss_mb: Number(peakRssMb.toFixed(1)), sizes: bySize };
  say(`SCALE ${JSON.stringify(json)}`);
  return options.strict && targets.some((t) => !t[3]) ? 2 : 0;
}

/** The lowest and highest share of other people's work over some cells, e.g. "3-41". @param {Cell[]} cells */
function othersRange(cells) {
  const known = cells.map((c) => c.othersPct).filter((x) => typeof x === 'number');
  return known.length ? `${Math.min(...known)}-${Math.max(...known)}` : '?';
}

/**
 * The targets, as ratios within this run: each larger size against the smallest.
 * @param {Record<string, Record<string, any>>} results
 * @param {{ foldRate: number, peakRssMb: number, connections: number[] }} facts
 * @returns {Array<[string, string, string, boolean]>}
 */
function evaluateScaleTargets(results, { foldRate, peakRssMb, connections }) {
  const sizes = Object.keys(results).map(Number);
  const [smallest] = sizes;
  /** @type {Array<[string, string, string, boolean]>} */
  const targets = [];
  for (const n of sizes.slice(1)) {
    const ratio = (/** @type {string} */ cellName, /** @type {string} */ label) => {
      const x = results[n][cellName].p50 / results[smallest][cellName].p50;
      targets.push([`${label} p50 at ${n} / at ${smallest} keys`, shown(x, 2, 'x'), '<= 1.3 x', x <= 1.3]);
    };
    for (const c of connections) ratio(`put_c${c}`, `PUT c${c}`);
    ratio('list_c1', 'list');
    ratio('unauth_c1', '401 c1');
  }
  const at20k = results[20_000]?.unauth_c1;
  if (at20k) targets.push(['401 c1 p99 at 20000 keys', shown(at20k.p99, 2, 'ms'), '<= 20 ms', at20k.p99 <= 20]);
  const largest = `service peak RSS (largest: ${sizes[sizes.length - 1]} keys)`;
  targets.push([largest, shown(peakRssMb, 1, 'MB'), '<= 300 MB', peakRssMb <= 300]);
  targets.push(['projector fold in memory', shown(foldRate, 0, 'events/s'), '>= 20000 events/s', foldRate >= 20_000]);
  // A projection of a few thousand records is over within a few batches: too short to give a rate.
  for (const n of sizes.filter((size) => size >= RATE_FROM_SIZE)) {
    for (const what of /** @type {const} */ (['seed', 'rebuild'])) {
      const x = results[n][what].of_store;
      const name = `${what === 'seed' ? 'projecting new keys (backlog)' : 'rebuild'} at ${n}: documents/s of the store's insertMany`;
      targets.push([name, shown(x, 2, 'x'), '>= 0.8 x', x >= 0.8]);
    }
  }
  return targets;
}

module.exports = { runScale, othersWindow };
