#!/usr/bin/env node
'use strict';
// npm test [-- <jest args>]: dependencies, then (for a whole run) `npm run lint` and `npm run
// typecheck`, a separate test stack (own STACK_DIR and ports, so it never collides with a running
// `npm start`), the unit project, then the e2e project against the test stack. Whatever this run
// started is stopped at the end, also on failure or Ctrl-C.
const path = require('node:path');
const { REPO_ROOT, StackError, createLogger, formatDuration, runForeground, runMain } = require('./lib/run');
const { ensureDependencies } = require('./lib/prepare');
const { onPinnedNode } = require('./lib/node-runtime');
const { readStackSettings } = require('./stack/settings');
const lifecycle = require('./stack/lifecycle');
const ferretdb = require('./stack/ferretdb');

const PROJECTS = ['unit', 'e2e'];

/**
 * Which jest projects to run: `--selectProjects unit` (or `=unit`) runs only that one (and starts
 * no servers); every other argument goes to both jest runs as given.
 * @param {string[]} args
 */
function planJestRuns(args) {
  /** @type {string[]} */
  const passthrough = [];
  /** @type {string[] | null} */
  let selected = null;
  for (let i = 0; i < args.length; i += 1) {
    const [flag, value] = args[i].split(/=(.*)/);
    if (flag !== '--selectProjects') {
      passthrough.push(args[i]);
    } else if (value !== undefined) {
      if (!PROJECTS.includes(value))
        throw new StackError(`unknown jest project "${value}"; the projects are unit, e2e`);
      selected = [...(selected || []), value];
    } else {
      selected = selected || [];
      while (PROJECTS.includes(args[i + 1])) selected.push(args[(i += 1)]);
      if (selected.length === 0) throw new StackError('--selectProjects needs one of: unit, e2e');
    }
  }
  return {
    // The code checks run with the whole suite (as CI runs it), not when a developer picks tests.
    checks: !selected && passthrough.length === 0,
    unit: !selected || selected.includes('unit'),
    e2e: !selected || selected.includes('e2e'),
    passthrough,
  };
}

/**
 * The test stack's variables, to lay over the caller's environment: fixed apart from the dev
 * stack's, and moved by TEST_-prefixed variables (for a second clone testing at the same time:
 * two runs sharing one test stack would stop it under each other's feet).
 * @param {NodeJS.ProcessEnv} env
 */
function testStackEnv(env) {
  const defaults = {
    STACK_DIR: '.stack/test',
    KAFKA_PORT: '39092',
    KAFKA_CONTROLLER_PORT: '39093',
    MONGO_PORT: '37017',
  };
  const value = (/** @type {string} */ name) => env[`TEST_${name}`]?.trim() || defaults[name];
  return Object.fromEntries(Object.keys(defaults).map((name) => [name, value(name)]));
}

/**
 * What the e2e suites get: where the servers are, and enough to run `scripts/stack.js stop-kafka|start-kafka`.
 * @param {NodeJS.ProcessEnv} env @param {import('./stack/settings').StackSettings} settings
 */
function e2eEnv(env, settings) {
  return {
    ...env,
    KAFKA_BROKERS: settings.kafkaBrokers,
    MONGODB_URI: settings.mongoUrl,
    STACK_DIR: settings.paths.stackDir,
    KAFKA_PORT: String(settings.kafkaPort),
    KAFKA_CONTROLLER_PORT: String(settings.kafkaControllerPort),
    MONGO_PORT: String(settings.mongoPort),
  };
}

/**
 * Each e2e suite creates its own database. After a passing run they are dropped (after a failing
 * one they stay for a look, until the next run starts the stack afresh), and so are the WAL and
 * shared-memory files FerretDB leaves of dropped databases in this stack's data directory.
 * @param {import('./stack/settings').StackSettings} settings @param {string[]} existing the databases before the run
 * @param {boolean} passed @param {import('./lib/run').Log} log
 */
async function removeTestDatabases(settings, existing, passed, log) {
  const created = (await ferretdb.databaseNames(settings.mongoUrl)).filter((name) => !existing.includes(name));
  if (!passed) {
    log.info(`kept the ${created.length} databases of the e2e suites (${settings.paths.mongo.dataDir})`);
    return;
  }
  const dataDir = ferretdb.ownDataDir(settings);
  const before = dataDir ? ferretdb.directoryBytes(dataDir) : 0;
  await ferretdb.dropDatabases(settings.mongoUrl, created);
  if (!dataDir) return log.info(`dropped the ${created.length} databases of the e2e suites`);
  const { files, bytes } = ferretdb.removeOrphanedFiles(dataDir);
  const mb = (/** @type {number} */ n) => `${(n / 1e6).toFixed(1)} MB`;
  log.info(
    `dropped the ${created.length} databases of the e2e suites; removed ${files.length} files they left behind (${mb(bytes)}); FerretDB data ${mb(before)} -> ${mb(ferretdb.directoryBytes(dataDir))}`,
  );
}

/** @type {Parameters<typeof runMain>[1]} */
async function main(log, signal) {
  const plan = planJestRuns(process.argv.slice(2));
  const settings = readStackSettings({ ...process.env, ...testStackEnv(process.env) });
  const stackLog = createLogger('stack');
  const began = Date.now();
  // The runtime jest, the service and the e2e suites' children run on (.node-version pins it).
  log.info(`Node ${process.version} (${process.execPath})`);
  /** @type {string[]} */
  const timings = [];
  /** @type {<T>(name: string, work: () => Promise<T>) => Promise<T>} */
  const timed = (name, work) => {
    const start = Date.now();
    return work().finally(() => {
      timings.push(`${name} ${formatDuration(Date.now() - start)}`);
      log.info(`${name}: ${formatDuration(Date.now() - start)}`);
    });
  };
  /** @type {string[]} */
  const failures = [];
  const jest = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  /** @param {string} project @param {string[]} extra @param {NodeJS.ProcessEnv} env */
  const runJest = async (project, extra, env) => {
    const args = [jest, '--config', 'jest.config.js', '--selectProjects', project, ...extra, ...plan.passthrough];
    const code = await timed(`${project} tests`, () =>
      runForeground(process.execPath, args, { cwd: REPO_ROOT, env, log }),
    );
    if (code !== 0) failures.push(`${project} tests (exit ${code})`);
  };

  /** @type {import('./stack/lifecycle').ServerId[]} */
  let started = [];
  try {
    await timed('dependencies', () => ensureDependencies({ log, signal }));
    // The stack comes up while the unit tests run (they need no servers); its lines are held
    // back meanwhile so that they do not interleave with jest's output.
    const stackUp = plan.e2e
      ? timed('stack up', () => lifecycle.up(settings, { log: stackLog, signal, fresh: true })).then((up) => {
          started = up.started;
        })
      : null;
    stackUp?.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    if (plan.checks) {
      if (stackUp) stackLog.hold();
      for (const check of ['lint', 'typecheck']) {
        if (signal.aborted) break;
        const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
        const code = await timed(check, () => runForeground(npm, ['run', '--silent', check], { cwd: REPO_ROOT, log }));
        if (code !== 0) failures.push(`npm run ${check} (exit ${code})`);
      }
    }
    if (plan.unit && !signal.aborted && failures.length === 0) {
      if (stackUp) stackLog.hold();
      await runJest('unit', [], process.env);
      stackLog.flush();
    }
    if (stackUp) {
      await stackUp;
      if (!signal.aborted && failures.length === 0) {
        const existing = await ferretdb.databaseNames(settings.mongoUrl);
        await runJest('e2e', ['--runInBand'], e2eEnv(process.env, settings));
        if (!signal.aborted) await removeTestDatabases(settings, existing, failures.length === 0, log);
      }
    }
  } finally {
    stackLog.flush();
    if (started.length > 0) {
      await timed('stack down', () => lifecycle.down(settings, { services: started, log: stackLog })).catch((error) => {
        failures.push(`stack down: ${error.message}`);
      });
    }
    log.info(`total ${formatDuration(Date.now() - began)} (${timings.join(', ')})`);
  }
  if (signal.aborted) throw new StackError('interrupted');
  if (failures.length > 0) log.info(`FAILED: ${failures.join(', ')}`);
  return failures.length > 0 ? 1 : 0;
}

if (require.main === module) onPinnedNode('test', () => runMain('test', main));

module.exports = { planJestRuns, testStackEnv, e2eEnv };
