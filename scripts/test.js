#!/usr/bin/env node
'use strict';
// npm test [-- <jest args>]: dependencies, a separate test stack (own STACK_DIR and ports, so it
// never collides with a running `npm start`), the unit project, then the e2e project against
// the test stack. Whatever this run started is stopped at the end, also on failure or Ctrl-C.
const os = require('node:os');
const path = require('node:path');
const { readStackSettings } = require('./stack/settings');
const { createLogger, formatDuration } = require('./stack/log');
const { StackError } = require('./stack/errors');
const lifecycle = require('./stack/lifecycle');
const { ensureDependencies } = require('./lib/prepare');
const { planJestRuns } = require('./lib/jest-plan');
const { testStackEnv, e2eEnv } = require('./lib/test-env');
const { FORWARDED_SIGNALS, exitCodeOf, runForwardingSignals } = require('./lib/run');

const REPO_ROOT = path.resolve(__dirname, '..');

async function main(args) {
  const log = createLogger('test');
  const stackLog = createLogger('stack');
  const plan = planJestRuns(args);
  const settings = readStackSettings(
    { ...process.env, ...testStackEnv(process.env) },
    { repoRoot: REPO_ROOT, homeDir: os.homedir() },
  );
  const jest = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const began = Date.now();
  const timings = [];
  const timed = async (name, work) => {
    const start = Date.now();
    try {
      return await work();
    } finally {
      const ms = Date.now() - start;
      timings.push(`${name} ${formatDuration(ms)}`);
      log.info(`${name}: ${formatDuration(ms)}`);
    }
  };

  const controller = new AbortController();
  let interruptedBy = null;
  // Jest children get signals forwarded by runForwardingSignals; this one covers the rest.
  const onSignal = (signal) => {
    if (!interruptedBy) log.info(`${signal}: stopping...`);
    interruptedBy = interruptedBy || signal;
    controller.abort();
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onSignal);

  const runJest = (project, extra, env) =>
    runForwardingSignals(
      process.execPath,
      [jest, '--config', 'jest.config.js', '--selectProjects', project, ...extra, ...plan.passthrough],
      {
        cwd: REPO_ROOT,
        env,
      },
    );

  let started = [];
  const failures = [];
  try {
    await timed('dependencies', () => ensureDependencies(REPO_ROOT, { log, signal: controller.signal }));

    // The stack comes up while the unit tests run (they need no servers); its lines are held
    // back meanwhile so they do not interleave with jest's output.
    const stackUp = plan.e2e
      ? timed('stack up', () => lifecycle.up(settings, { log: stackLog, signal: controller.signal, fresh: true })).then(
          (value) => ({ ok: true, value }),
          (error) => ({ ok: false, error }),
        )
      : null;

    if (plan.unit && !interruptedBy) {
      if (stackUp) stackLog.hold();
      const unit = await timed('unit tests', () => runJest('unit', [], process.env));
      stackLog.flush();
      if (exitCodeOf(unit) !== 0) failures.push(`unit tests (exit ${exitCodeOf(unit)})`);
    }

    if (stackUp) {
      const outcome = await stackUp;
      if (outcome.ok) started = outcome.value.started;
      if (interruptedBy) return exitCodeOf({ signal: interruptedBy });
      if (!outcome.ok) throw outcome.error;
      const e2e = await timed('e2e tests', () => runJest('e2e', ['--runInBand'], e2eEnv(process.env, settings)));
      if (exitCodeOf(e2e) !== 0) failures.push(`e2e tests (exit ${exitCodeOf(e2e)})`);
    }
    if (interruptedBy) return exitCodeOf({ signal: interruptedBy });
  } finally {
    stackLog.flush();
    if (started.length > 0) {
      await timed('stack down', () => lifecycle.down(settings, { services: started, log: stackLog })).catch((error) => {
        failures.push(`stack down: ${error.message}`);
      });
    }
    log.info(`total ${formatDuration(Date.now() - began)} (${timings.join(', ')})`);
  }
  if (failures.length > 0) {
    log.info(`FAILED: ${failures.join(', ')}`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(error instanceof StackError ? `[test] error: ${error.message}\n` : `[test] ${error.stack}\n`);
    process.exit(1);
  },
);
