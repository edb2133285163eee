#!/usr/bin/env node
'use strict';
// npm start: dependencies, the local Kafka + FerretDB (unless KAFKA_BROKERS / MONGODB_URI point
// elsewhere), a fresh build, then the service in the foreground. Ctrl-C stops the service and
// then whatever this run started; the exit code is the service's.
const { REPO_ROOT, StackError, createLogger, runForeground, runMain } = require('./lib/run');
const { ensureDependencies, ensureBuild, serversToStart, serviceEnv, redactUri } = require('./lib/prepare');
const { readStackSettings } = require('./stack/settings');
const lifecycle = require('./stack/lifecycle');

runMain('start', async (log, signal) => {
  const stackLog = createLogger('stack');
  const settings = readStackSettings(process.env);
  await ensureDependencies({ log, signal });
  if (signal.aborted) throw new StackError('interrupted');
  const servers = serversToStart(process.env);
  const given = [
    ['KAFKA_BROKERS', 'Kafka', 'kafka'],
    ['MONGODB_URI', 'FerretDB', 'mongo'],
  ].filter(([, , id]) => !servers.includes(/** @type {'kafka' | 'mongo'} */ (id)));
  if (given.length > 0) {
    log.info(
      `${given.map(([name]) => name).join(' and ')} given: no local ${given.map(([, label]) => label).join(' or ')}`,
    );
  }
  /** @type {import('./stack/lifecycle').ServerId[]} */
  let started = [];
  try {
    // The stack and the build are independent; do them side by side.
    const [stack, build] = await Promise.allSettled([
      servers.length > 0 ? lifecycle.up(settings, { services: servers, log: stackLog, signal }) : { started },
      ensureBuild({ entry: 'main', log, signal }),
    ]);
    if (stack.status === 'fulfilled') started = stack.value.started;
    if (stack.status === 'rejected') throw stack.reason;
    if (build.status === 'rejected') throw build.reason;
    if (signal.aborted) throw new StackError('interrupted');

    const env = serviceEnv(process.env, settings);
    const where = `KAFKA_BROKERS=${env.KAFKA_BROKERS}, MONGODB_URI=${redactUri(env.MONGODB_URI)}`;
    log.info(`starting the service on port ${env.PORT} (${where})`);
    const code = await runForeground(process.execPath, [build.value], { cwd: REPO_ROOT, env, detached: true, log });
    log.info(`service exited (code ${code})`);
    return code;
  } finally {
    if (started.length > 0) {
      await lifecycle.down(settings, { services: started, log: stackLog }).catch((error) => {
        stackLog.info(`error while stopping: ${error.message}`);
      });
    }
  }
});
