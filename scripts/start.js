#!/usr/bin/env node
'use strict';
// npm start: dependencies, the local Kafka + FerretDB (unless KAFKA_BROKERS / MONGODB_URI point
// elsewhere), a fresh build, then the service in the foreground. Ctrl-C stops the service and
// then whatever this run started; the exit code is the service's.
const os = require('node:os');
const path = require('node:path');
const { readStackSettings } = require('./stack/settings');
const { createLogger } = require('./stack/log');
const { StackError } = require('./stack/errors');
const lifecycle = require('./stack/lifecycle');
const { ensureDependencies, ensureBuild, serversToStart, serviceEnv, redactUri } = require('./lib/prepare');
const { FORWARDED_SIGNALS, exitCodeOf, runForwardingSignals } = require('./lib/run');

const REPO_ROOT = path.resolve(__dirname, '..');

async function main() {
  const log = createLogger('start');
  const stackLog = createLogger('stack');
  const settings = readStackSettings(process.env, { repoRoot: REPO_ROOT, homeDir: os.homedir() });

  // Until the service runs, a signal aborts the preparation (and stops what was started).
  const controller = new AbortController();
  let interruptedBy = null;
  const onEarlySignal = (signal) => {
    if (!interruptedBy) log.info(`${signal}: stopping...`);
    interruptedBy = interruptedBy || signal;
    controller.abort();
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onEarlySignal);

  let started = [];
  try {
    await ensureDependencies(REPO_ROOT, { log, signal: controller.signal });
    if (interruptedBy) return exitCodeOf({ signal: interruptedBy });

    const servers = serversToStart(process.env);
    const given = [
      ['KAFKA_BROKERS', 'Kafka', 'kafka'],
      ['MONGODB_URI', 'FerretDB', 'mongo'],
    ].filter(([, , id]) => !servers.includes(id));
    if (given.length > 0) {
      log.info(
        `${given.map(([name]) => name).join(' and ')} given: no local ${given.map(([, label]) => label).join(' or ')}`,
      );
    }
    // The stack and the build are independent; do them side by side.
    const [stack, build] = await Promise.allSettled([
      servers.length > 0
        ? lifecycle.up(settings, { services: servers, log: stackLog, signal: controller.signal })
        : { started: [] },
      ensureBuild(REPO_ROOT, { entry: 'main', log, signal: controller.signal }),
    ]);
    if (stack.status === 'fulfilled') started = stack.value.started;
    if (interruptedBy) return exitCodeOf({ signal: interruptedBy });
    if (stack.status === 'rejected') throw stack.reason;
    if (build.status === 'rejected') throw build.reason;

    const env = serviceEnv(process.env, settings);
    log.info(
      `starting the service on port ${env.PORT} (KAFKA_BROKERS=${env.KAFKA_BROKERS}, MONGODB_URI=${redactUri(env.MONGODB_URI)})`,
    );
    for (const signal of FORWARDED_SIGNALS) process.removeListener(signal, onEarlySignal);
    const result = await runForwardingSignals(process.execPath, [build.value], {
      cwd: REPO_ROOT,
      env,
      detached: true,
      onSignal: (signal, count) =>
        log.info(
          count === 1 ? `${signal}: waiting for the service to shut down...` : `${signal} again: killing the service`,
        ),
    });
    log.info(`service exited (${result.signal || `code ${result.code}`})`);
    return exitCodeOf(result);
  } finally {
    // Late signals must not kill us before the servers we started are down.
    for (const signal of FORWARDED_SIGNALS) process.on(signal, () => {});
    if (started.length > 0) {
      await lifecycle.down(settings, { services: started, log: stackLog }).catch((error) => {
        stackLog.info(`error while stopping: ${error.message}`);
      });
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      error instanceof StackError ? `[start] error: ${error.message}\n` : `[start] ${error.stack}\n`,
    );
    process.exit(1);
  },
);
