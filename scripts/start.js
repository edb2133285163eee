#!/usr/bin/env node
'use strict';
// npm start: dependencies, the local Kafka + FerretDB (unless KAFKA_BROKERS / MONGODB_URI point
// elsewhere), a fresh build, then the service in the foreground and a verifier beside it (port
// VERIFIER_PORT, 3100). Ctrl-C stops the service (killed if it overruns its shutdown bound), then
// the verifier and whatever else this run started; the exit code is the service's. Should this
// run itself be killed, the next npm start (or `stack.js up`) finds what it left running: see
// docs/local-stack.md.
const { spawn } = require('node:child_process');
const { REPO_ROOT, StackError, createLogger, exitOf, runMain } = require('./lib/run');
const {
  ensureDependencies,
  ensureBuild,
  serversToStart,
  serviceEnv,
  redactUri,
  VERIFIER_ENTRY,
  verifierEnv,
  verifierToken,
} = require('./lib/prepare');
const { onPinnedNode } = require('./lib/node-runtime');
const { readStackSettings } = require('./stack/settings');
const lifecycle = require('./stack/lifecycle');

const COMMAND = 'npm start';
/** @type {NodeJS.Signals[]} */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
// The service's own default (SHUTDOWN_TIMEOUT_MS in apps/api-keys/src/config/config.ts).
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** The service's shutdown bound, as it will read it from its environment. @param {NodeJS.ProcessEnv} env */
function shutdownTimeoutOf(env) {
  const raw = env.SHUTDOWN_TIMEOUT_MS?.trim();
  return raw && /^\d+$/.test(raw) ? Number(raw) : DEFAULT_SHUTDOWN_TIMEOUT_MS;
}

/**
 * Runs the service in the foreground (its own session: a terminal Ctrl-C reaches only us, and the
 * service sees exactly one signal) and resolves with its exit code. The first SIGINT/SIGTERM/
 * SIGHUP we get goes to it (SIGHUP as SIGTERM: it shuts down gracefully on SIGTERM and SIGINT);
 * if it is still running its shutdown bound plus a margin later, or at a second signal, it is
 * killed. Its pid is recorded in the STACK_DIR while it runs.
 * @param {string} entry @param {NodeJS.ProcessEnv} env @param {import('./stack/settings').StackSettings} settings
 * @param {import('./lib/run').Log} log
 */
async function runService(entry, env, settings, log) {
  const shutdownTimeoutMs = shutdownTimeoutOf(env);
  const child = spawn(process.execPath, [entry], { cwd: REPO_ROOT, env, stdio: 'inherit', detached: true });
  const exited = exitOf(child);
  const pid = child.pid;
  if (pid !== undefined)
    lifecycle.recordService(settings, { pid, port: Number(env.PORT), shutdownTimeoutMs, command: COMMAND });
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = (/** @type {string} */ why) => {
    if (!running() || pid === undefined) return;
    log.info(`${why}: killing the service (pid ${pid})`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  /** @type {NodeJS.Timeout | undefined} */
  let deadline;
  let received = 0;
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => {
    received += 1;
    if (received > 1) return kill(`${signal} again`);
    if (!running()) return;
    child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
    const graceMs = shutdownTimeoutMs + lifecycle.SERVICE_KILL_MARGIN_MS;
    deadline = setTimeout(() => kill(`still running ${graceMs / 1000} s after ${signal}`), graceMs);
  };
  SIGNALS.forEach((signal) => process.on(signal, forward));
  try {
    return await exited;
  } finally {
    clearTimeout(deadline);
    SIGNALS.forEach((signal) => process.removeListener(signal, forward));
    lifecycle.forgetService(settings);
  }
}

/**
 * Runs the verifier beside the service, in its own session like the service, noted in the
 * STACK_DIR (a killed npm start's verifier is stopped by the next run). Should it exit, the service
 * goes on and the log says so; `stop()` ends it (SIGTERM, killed past its bound) once the service
 * has exited.
 * @param {NodeJS.ProcessEnv} env @param {import('./stack/settings').StackSettings} settings
 * @param {import('./lib/run').Log} log
 */
function startVerifier(env, settings, log) {
  const shutdownTimeoutMs = shutdownTimeoutOf(env);
  const child = spawn(process.execPath, [VERIFIER_ENTRY], { cwd: REPO_ROOT, env, stdio: 'inherit', detached: true });
  const exited = exitOf(child);
  const pid = child.pid;
  if (pid !== undefined) {
    const port = Number(env.VERIFIER_PORT);
    lifecycle.recordService(settings, { pid, port, shutdownTimeoutMs, command: COMMAND, app: 'verifier' });
  }
  let stopping = false;
  void exited.then((code) => {
    lifecycle.forgetService(settings, 'verifier');
    if (!stopping) log.info(`the verifier exited (code ${code}); the service goes on without it`);
  });
  return {
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return;
      child.kill('SIGTERM');
      const deadline = setTimeout(() => {
        log.info(`the verifier is still running after its shutdown bound: killing it (pid ${pid})`);
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, shutdownTimeoutMs + lifecycle.SERVICE_KILL_MARGIN_MS);
      await exited;
      clearTimeout(deadline);
    },
  };
}

/** @type {Parameters<typeof runMain>[1]} */
async function main(log, signal) {
  log.info(`Node ${process.version}`);
  const stackLog = createLogger('stack');
  const settings = readStackSettings(process.env);
  await ensureDependencies({ log, signal });
  if (signal.aborted) throw new StackError('interrupted');
  // Before anything else: a service a killed npm start left running holds the port.
  await lifecycle.stopOrphanService(settings, stackLog);
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
      servers.length > 0
        ? lifecycle.up(settings, { services: servers, log: stackLog, signal, command: COMMAND })
        : { started },
      ensureBuild({ entry: 'main', log, signal }),
    ]);
    if (stack.status === 'fulfilled') started = stack.value.started;
    if (stack.status === 'rejected') throw stack.reason;
    if (build.status === 'rejected') throw build.reason;
    if (signal.aborted) throw new StackError('interrupted');

    const env = serviceEnv(process.env, settings);
    const where = `KAFKA_BROKERS=${env.KAFKA_BROKERS}, MONGODB_URI=${redactUri(env.MONGODB_URI)}`;
    const { token, file } = verifierToken(process.env, settings);
    const verifierEnvironment = verifierEnv(process.env, settings, token);
    log.info(
      `starting the verifier on port ${verifierEnvironment.VERIFIER_PORT}; its token: ${file ?? 'VERIFIER_TOKEN, as given'}`,
    );
    const verifier = startVerifier(verifierEnvironment, settings, log);
    log.info(`starting the service on port ${env.PORT} (${where})`);
    try {
      const code = await runService(build.value, env, settings, log);
      log.info(`service exited (code ${code})`);
      return code;
    } finally {
      await verifier.stop();
    }
  } finally {
    if (started.length > 0) {
      await lifecycle.down(settings, { services: started, log: stackLog }).catch((error) => {
        stackLog.info(`error while stopping: ${error.message}`);
      });
    }
  }
}

onPinnedNode('start', () => runMain('start', main));
