'use strict';
// Command-line flags (each with an environment variable twin) for npm run bench.

const USAGE = `usage: npm run bench -- [options]

  --scale              the scale benchmark instead of the comparison: the service at growing
                       numbers of keys, seeded straight into the topic (BENCH_SCALE=1)
  --misses             the misses benchmark instead: GET of another user's keys (held in memory)
                       against GET of never-used ids, alternately, cold and warm (BENCH_MISSES=1)
  --verify             the verify benchmark instead: a bare Node http server and the verifier holding
                       --keys keys, side by side at each concurrency, the time from start to ready,
                       the verifier's RSS, and how soon two verifiers see DELETEs (BENCH_VERIFY=1)
  --keys <n>           with --verify: the keys the verifier holds, 200 of them created through the
                       API, the rest seeded straight into the state topic (BENCH_VERIFY_KEYS, default 100000)
  --sizes <list>       with --scale: the numbers of keys (BENCH_SCALE_SIZES, default 1000,20000,100000)
  --duration <s>       length of each measured segment (BENCH_DURATION_S, default 15; 10 with --scale)
  --warmup <s>         warm-up per server before each concurrency level (BENCH_WARMUP_S, default 3; 2 with --scale)
  --rounds <n>         A,B rounds per concurrency level: ES,CRUD,ES,CRUD... (BENCH_ROUNDS, default 2)
  --timeout <s>        a request without an answer after this long fails (BENCH_TIMEOUT_S, default 30)
  --connections <list> concurrency levels (BENCH_CONNECTIONS, default 1,64)
  --users <n>          users to bootstrap (BENCH_USERS, default 4)
  --keys-per-user <n>  keys created per user through POST (BENCH_KEYS_PER_USER, default 64);
                       half of all keys are PUT through each path; with --misses: ids per class
                       (default 300); with --verify: the keys DELETEd (default 50, x 4 users)
  --node-options <s>   NODE_OPTIONS for the servers under test only, e.g. "--max-semi-space-size=4"
                       (BENCH_NODE_OPTIONS; default: the service's, as npm start sets them)
  --cpu-prof           CPU-profile both servers during every measured segment, write the
                       .cpuprofile files and print their hot spots; with --scale: each rebuild,
                       and its store and Kafka calls per event (BENCH_CPU_PROF=1)
  --no-build           use dist/ as it is instead of the project's build-if-stale (BENCH_NO_BUILD=1)
  --keep               keep the bench database and topics afterwards (BENCH_KEEP=1)
  --strict             exit 2 when a target is missed (default: report only) (BENCH_STRICT=1)

  KAFKA_BROKERS and MONGODB_URI point the bench at existing servers; without them the local
  stack is brought up like npm start does (STACK_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT and
  MONGO_PORT move it), and what it started is stopped again at the end.`;

class UsageError extends Error {}

// The scale benchmark's fixed users (a list of 50 keys, 128 keys to PUT) fit in its smallest size.
const SMALLEST_SCALE = 500;
// The misses benchmark: ids per class (user B's keys, never-used ids), as issue 20 asks.
const MISSES_PER_CLASS = 300;
// The verify benchmark: 4 users x 50 keys = the 200 DELETEs issue 19 asks for.
const VERIFY_DELETES_PER_USER = 50;

/** @type {Record<string, [string, string, 'number' | 'int' | 'list' | 'bool' | 'text', any, number?]>} name, variable, kind, default, min */
const FLAGS = {
  scale: ['scale', 'BENCH_SCALE', 'bool', false],
  misses: ['misses', 'BENCH_MISSES', 'bool', false],
  verify: ['verify', 'BENCH_VERIFY', 'bool', false],
  keys: ['keys', 'BENCH_VERIFY_KEYS', 'int', 100_000, 1],
  sizes: ['sizes', 'BENCH_SCALE_SIZES', 'list', [1000, 20_000, 100_000]],
  duration: ['durationS', 'BENCH_DURATION_S', 'number', 15, 1],
  warmup: ['warmupS', 'BENCH_WARMUP_S', 'number', 3, 0],
  rounds: ['rounds', 'BENCH_ROUNDS', 'int', 2, 1],
  timeout: ['timeoutS', 'BENCH_TIMEOUT_S', 'number', 30, 1],
  connections: ['connections', 'BENCH_CONNECTIONS', 'list', [1, 64]],
  users: ['users', 'BENCH_USERS', 'int', 4, 1],
  'keys-per-user': ['keysPerUser', 'BENCH_KEYS_PER_USER', 'int', 64, 1],
  'node-options': ['nodeOptions', 'BENCH_NODE_OPTIONS', 'text', null],
  'cpu-prof': ['cpuProf', 'BENCH_CPU_PROF', 'bool', false],
  'no-build': ['noBuild', 'BENCH_NO_BUILD', 'bool', false],
  keep: ['keep', 'BENCH_KEEP', 'bool', false],
  strict: ['strict', 'BENCH_STRICT', 'bool', false],
};

/** @param {string} flag @param {string} raw @returns {any} */
function parseValue(flag, raw) {
  const [, , kind, , min = 0] = FLAGS[flag];
  const text = String(raw).trim();
  if (kind === 'text') return text;
  if (kind === 'bool') {
    if (/^(1|true|yes)$/i.test(text)) return true;
    if (/^(0|false|no|)$/i.test(text)) return false;
    throw new UsageError(`--${flag} must be true or false, got "${raw}"`);
  }
  if (kind === 'list') {
    if (!/^[1-9]\d*(,\s*[1-9]\d*)*$/.test(text))
      throw new UsageError(`--${flag} must be a comma-separated list of positive integers, got "${raw}"`);
    return [...new Set(text.split(',').map(Number))].sort((a, b) => a - b);
  }
  if (!(kind === 'int' ? /^\d+$/ : /^\d+(\.\d+)?$/).test(text))
    throw new UsageError(`--${flag} must be a ${kind === 'int' ? 'whole ' : ''}number, got "${raw}"`);
  if (Number(text) < min) throw new UsageError(`--${flag} must be at least ${min}, got ${text}`);
  return Number(text);
}

/**
 * @param {string[]} argv @param {NodeJS.ProcessEnv} env
 * @returns {{ help?: true, scale: boolean, misses: boolean, verify: boolean, keys: number, sizes: number[], durationS: number, warmupS: number, rounds: number,
 *   timeoutS: number, connections: number[], users: number, keysPerUser: number, nodeOptions: string | null,
 *   cpuProf: boolean, noBuild: boolean, keep: boolean, strict: boolean }}
 */
function parseOptions(argv, env) {
  /** @type {Record<string, any>} */
  const values = {};
  /** @type {Set<string>} */
  const given = new Set();
  for (const [flag, [name, variable, , fallback]] of Object.entries(FLAGS)) {
    values[name] = env[variable] ? parseValue(flag, env[variable]) : fallback;
    if (env[variable]) given.add(name);
  }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-h' || argv[i] === '--help') return /** @type {any} */ ({ help: true });
    const [, flag, inline] = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]) || [];
    if (!FLAGS[flag]) throw new UsageError(`unknown argument "${argv[i]}"`);
    const raw = inline ?? (FLAGS[flag][2] === 'bool' ? 'true' : argv[++i]);
    if (raw === undefined) throw new UsageError(`--${flag} needs a value`);
    values[FLAGS[flag][0]] = parseValue(flag, raw);
    given.add(FLAGS[flag][0]);
  }
  const chosen = ['scale', 'misses', 'verify'].filter((name) => values[name]);
  if (chosen.length > 1) throw new UsageError(`--${chosen.join(' and --')} are different benchmarks: choose one`);
  if (values.verify) {
    if (!given.has('keysPerUser')) values.keysPerUser = VERIFY_DELETES_PER_USER;
    if (values.keys < values.users * (values.keysPerUser + 1))
      throw new UsageError(
        `--keys must be at least the keys created through the API, ${values.users * (values.keysPerUser + 1)}`,
      );
    return /** @type {any} */ (values);
  }
  if (values.misses) {
    if (!given.has('keysPerUser')) values.keysPerUser = MISSES_PER_CLASS;
    return /** @type {any} */ (values);
  }
  if (values.scale) {
    if (!given.has('durationS')) values.durationS = 10;
    if (!given.has('warmupS')) values.warmupS = 2;
    if (values.sizes[0] < SMALLEST_SCALE)
      throw new UsageError(`--sizes must be at least ${SMALLEST_SCALE} keys each, got ${values.sizes[0]}`);
    return /** @type {any} */ (values);
  }
  const keys = values.users * values.keysPerUser;
  const most = Math.max(...values.connections);
  if (keys < 2 * most) {
    throw new UsageError(
      `--users x --keys-per-user (${keys}) must be at least twice the highest concurrency (${most}): each path PUTs its own half`,
    );
  }
  return /** @type {any} */ (values);
}

module.exports = { USAGE, UsageError, parseOptions };
