#!/usr/bin/env node
'use strict';
// The local Kafka + FerretDB stack (no Docker here): node scripts/stack.js <command>.
// See docs/local-stack.md.
const { runMain } = require('./lib/run');
const { readStackSettings } = require('./stack/settings');
const lifecycle = require('./stack/lifecycle');

const USAGE = `usage: node scripts/stack.js <command> [--fresh]

commands:
  up            start Kafka and FerretDB unless already answering; they stay until "down"
                (--fresh: wipe this STACK_DIR's data before starting servers)
  down          stop the servers this STACK_DIR started (anything else is left alone),
                and a service left running by an npm start that was killed
  status        show what answers on the configured ports; exit 1 unless both are healthy
  stop-kafka    stop only the Kafka broker this STACK_DIR started (data kept)
  start-kafka   start Kafka again on the same port and data dir

environment: STACK_DIR (.stack/dev), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
  MONGO_PORT (27017), STACK_START_TIMEOUT_MS (90000), XDG_CACHE_HOME
`;

const COMMANDS = ['up', 'down', 'status', 'stop-kafka', 'start-kafka'];

/** @param {string[]} argv @returns {{ command: string, fresh: boolean } | { error: string } | { help: true }} */
function parseArgs(argv) {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') return { help: true };
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command)) return { error: `unknown command "${command}"` };
  const unknown = rest.filter((arg) => !(arg === '--fresh' && command === 'up'));
  if (unknown.length > 0) return { error: `unexpected argument(s) for ${command}: ${unknown.join(' ')}` };
  return { command, fresh: rest.includes('--fresh') };
}

/** @param {Awaited<ReturnType<typeof lifecycle.status>>} rows */
function formatStatus(rows) {
  const width = Math.max(...rows.map((row) => row.label.length));
  return rows
    .map((row) => {
      const health = !row.listening
        ? 'down'
        : { true: 'healthy', null: 'unknown', false: 'UNHEALTHY' }[`${row.healthy}`];
      let owner = row.staleRecord ? 'stale pid file (process gone)' : 'not running';
      if (row.pid) owner = `started by this stack (pid ${row.pid})`;
      else if (row.listening) owner = 'not started by this stack';
      const detail = row.detail ? ` - ${row.detail}` : '';
      return `${row.label.padEnd(width)}  ${row.address.padEnd(28)} ${health.padEnd(9)} ${owner}${detail}`;
    })
    .join('\n');
}

/** @type {Parameters<typeof runMain>[1]} */
async function main(log, signal) {
  const parsed = parseArgs(process.argv.slice(2));
  if ('help' in parsed) process.stdout.write(USAGE);
  if ('error' in parsed) process.stderr.write(`${parsed.error}\n\n${USAGE}`);
  if (!('command' in parsed)) return 'help' in parsed ? 0 : 2;
  const settings = readStackSettings(process.env);
  switch (parsed.command) {
    case 'up':
      // Started to stay: nobody stops them but "down".
      await lifecycle.up(settings, { log, signal, fresh: parsed.fresh, ownership: 'none' });
      process.stdout.write(`KAFKA_BROKERS=${settings.kafkaBrokers}\nMONGODB_URI=${settings.mongoUrl}api_keys\n`);
      return 0;
    case 'start-kafka':
      // Still the broker of the run that stopped it (an npm test), which stops it when it ends.
      await lifecycle.up(settings, { services: ['kafka'], log, signal, ownership: 'keep' });
      return 0;
    case 'down':
      if ((await lifecycle.down(settings, { log })).length === 0) log.info('nothing of this stack was running');
      return 0;
    case 'stop-kafka':
      await lifecycle.stopKafka(settings, log);
      return 0;
    default: {
      const rows = await lifecycle.status(settings);
      process.stdout.write(`${formatStatus(rows)}\n`);
      return rows.every((row) => row.healthy === true) ? 0 : 1;
    }
  }
}

if (require.main === module) runMain('stack', main);

module.exports = { parseArgs, formatStatus };
