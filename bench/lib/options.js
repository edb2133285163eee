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
  --strict             exit 2 when a target is missed (default: report only)

  KAFKA_BROKERS and MONGODB_URI point the bench at existing servers; without them the local
  stack is brought up like npm start does (and what it started is stopped again at the end).`;

class UsageError extends Error {}

const FLAGS = {
  duration: { env: 'BENCH_DURATION_S', kind: 'number', default: 15, min: 1 },
  warmup: { env: 'BENCH_WARMUP_S', kind: 'number', default: 3, min: 0 },
  rounds: { env: 'BENCH_ROUNDS', kind: 'int', default: 2, min: 1 },
  timeout: { env: 'BENCH_TIMEOUT_S', kind: 'number', default: 30, min: 1 },
  connections: { env: 'BENCH_CONNECTIONS', kind: 'list', default: [1, 64] },
  users: { env: 'BENCH_USERS', kind: 'int', default: 4, min: 1 },
  'keys-per-user': { env: 'BENCH_KEYS_PER_USER', kind: 'int', default: 64, min: 1 },
  'cpu-prof': { env: 'BENCH_CPU_PROF', kind: 'bool', default: false },
  'no-build': { env: 'BENCH_NO_BUILD', kind: 'bool', default: false },
  keep: { env: 'BENCH_KEEP', kind: 'bool', default: false },
  strict: { env: 'BENCH_STRICT', kind: 'bool', default: false },
};

function parseValue(name, spec, raw) {
  const text = String(raw).trim();
  switch (spec.kind) {
    case 'bool':
      if (/^(1|true|yes)$/i.test(text)) return true;
      if (/^(0|false|no|)$/i.test(text)) return false;
      throw new UsageError(`--${name} must be true or false, got "${raw}"`);
    case 'list': {
      const items = text.split(',').map((s) => s.trim());
      if (items.some((s) => !/^[1-9]\d*$/.test(s)))
        throw new UsageError(`--${name} must be a comma-separated list of positive integers, got "${raw}"`);
      return [...new Set(items.map(Number))].sort((a, b) => a - b);
    }
    default: {
      const pattern = spec.kind === 'int' ? /^\d+$/ : /^\d+(\.\d+)?$/;
      if (!pattern.test(text))
        throw new UsageError(`--${name} must be a ${spec.kind === 'int' ? 'whole ' : ''}number, got "${raw}"`);
      const value = Number(text);
      if (value < spec.min) throw new UsageError(`--${name} must be at least ${spec.min}, got ${value}`);
      return value;
    }
  }
}

/** @returns {{ help: true } | Record<string, any>} */
function parseOptions(argv, env) {
  const values = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    const raw = env[spec.env];
    values[name] = raw === undefined || raw === '' ? spec.default : parseValue(name, spec, raw);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const spec = match && FLAGS[match[1]];
    if (!spec) throw new UsageError(`unknown argument "${arg}"`);
    const name = match[1];
    if (spec.kind === 'bool') {
      values[name] = match[2] === undefined ? true : parseValue(name, spec, match[2]);
    } else {
      const raw = match[2] !== undefined ? match[2] : argv[++i];
      if (raw === undefined) throw new UsageError(`--${name} needs a value`);
      values[name] = parseValue(name, spec, raw);
    }
  }
  return {
    durationS: values.duration,
    warmupS: values.warmup,
    rounds: values.rounds,
    timeoutS: values.timeout,
    connections: values.connections,
    users: values.users,
    keysPerUser: values['keys-per-user'],
    cpuProf: values['cpu-prof'],
    noBuild: values['no-build'],
    keep: values.keep,
    strict: values.strict,
  };
}

module.exports = { USAGE, UsageError, parseOptions };
