'use strict';
// Command-line flags (each with an environment variable twin) for npm run bench.

const USAGE = `usage: npm run bench -- [options]

  --duration <s>       length of each measured segment (BENCH_DURATION_S, default 15)
  --warmup <s>         warm-up per server before each concurrency level (BENCH_WARMUP_S, default 3)
  --rounds <n>         A,B rounds per concurrency level: ES,CRUD,ES,CRUD... (BENCH_ROUNDS, default 2)
  --timeout <s>        a request without an answer after this long fails (BENCH_TIMEOUT_S, default 30)
  --connections <list> concurrency levels (BENCH_CONNECTIONS, default 1,64)
  --users <n>          users to bootstrap (BENCH_USERS, default 4)
  --keys-per-user <n>  keys created per user through POST (BENCH_KEYS_PER_USER, default 64);
                       half of all keys are PUT through each path
  --cpu-prof           CPU-profile both servers during every measured segment, write the
                       .cpuprofile files and print their hot spots (BENCH_CPU_PROF=1)
  --no-build           use dist/ as it is instead of the project's build-if-stale (BENCH_NO_BUILD=1)
  --keep               keep the bench database and topics afterwards (BENCH_KEEP=1)
  --strict             exit 2 when a target is missed (default: report only) (BENCH_STRICT=1)

  KAFKA_BROKERS and MONGODB_URI point the bench at existing servers; without them the local
  stack is brought up like npm start does (STACK_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT and
  MONGO_PORT move it), and what it started is stopped again at the end.`;

class UsageError extends Error {}

/** @type {Record<string, [string, string, 'number' | 'int' | 'list' | 'bool', any, number?]>} name, variable, kind, default, min */
const FLAGS = {
  duration: ['durationS', 'BENCH_DURATION_S', 'number', 15, 1],
  warmup: ['warmupS', 'BENCH_WARMUP_S', 'number', 3, 0],
  rounds: ['rounds', 'BENCH_ROUNDS', 'int', 2, 1],
  timeout: ['timeoutS', 'BENCH_TIMEOUT_S', 'number', 30, 1],
  connections: ['connections', 'BENCH_CONNECTIONS', 'list', [1, 64]],
  users: ['users', 'BENCH_USERS', 'int', 4, 1],
  'keys-per-user': ['keysPerUser', 'BENCH_KEYS_PER_USER', 'int', 64, 1],
  'cpu-prof': ['cpuProf', 'BENCH_CPU_PROF', 'bool', false],
  'no-build': ['noBuild', 'BENCH_NO_BUILD', 'bool', false],
  keep: ['keep', 'BENCH_KEEP', 'bool', false],
  strict: ['strict', 'BENCH_STRICT', 'bool', false],
};

/** @param {string} flag @param {string} raw @returns {any} */
function parseValue(flag, raw) {
  const [, , kind, , min = 0] = FLAGS[flag];
  const text = String(raw).trim();
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
 * @returns {{ help?: true, durationS: number, warmupS: number, rounds: number, timeoutS: number, connections: number[],
 *   users: number, keysPerUser: number, cpuProf: boolean, noBuild: boolean, keep: boolean, strict: boolean }}
 */
function parseOptions(argv, env) {
  /** @type {Record<string, any>} */
  const values = {};
  for (const [flag, [name, variable, , fallback]] of Object.entries(FLAGS)) {
    values[name] = env[variable] ? parseValue(flag, env[variable]) : fallback;
  }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-h' || argv[i] === '--help') return /** @type {any} */ ({ help: true });
    const [, flag, inline] = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]) || [];
    if (!FLAGS[flag]) throw new UsageError(`unknown argument "${argv[i]}"`);
    const raw = inline ?? (FLAGS[flag][2] === 'bool' ? 'true' : argv[++i]);
    if (raw === undefined) throw new UsageError(`--${flag} needs a value`);
    values[FLAGS[flag][0]] = parseValue(flag, raw);
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
