'use strict';
// up / down / status of a STACK_DIR's two servers. Used by scripts/stack.js and, in-process, by
// npm start, npm test and the bench, which then stop exactly what they started.
const fs = require('node:fs');
const { StackError, describeError, formatDuration, waitUntil } = require('../lib/run');
const proc = require('./proc');
const { kafkaServer, warmUp } = require('./kafka');
const { ferretdbServer } = require('./ferretdb');

/**
 * @typedef {import('./settings').StackSettings} StackSettings
 * @typedef {import('../lib/run').Log} Log
 * @typedef {'kafka' | 'mongo'} ServerId
 * @typedef {ReturnType<typeof kafkaServer> | ReturnType<typeof ferretdbServer>} Server
 */

/** @type {ServerId[]} */
const ALL = ['kafka', 'mongo'];

/** @param {StackSettings} settings @param {ServerId} id @returns {Server} */
const serverOf = (settings, id) => (id === 'kafka' ? kafkaServer(settings) : ferretdbServer(settings));

/** Like Promise.all, but waits for all of them and reports every failure in one StackError. @template T @param {Promise<T>[]} promises */
async function settleAll(promises) {
  const results = await Promise.allSettled(promises);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [describeError(result.reason)] : []));
  if (failures.length > 0) throw new StackError(failures.join('\n'));
  return results.map((result) => /** @type {PromiseFulfilledResult<T>} */ (result).value);
}

/** The pid file's process, if it is alive and still the server we started. @param {Server} server */
function owned(server) {
  const record = proc.readPidFile(server.files.pidFile);
  return { record, alive: !!record && proc.isAlive(record.pid) && proc.commandMatches(record.pid, server.marker) };
}

/**
 * What `up` has to do for one server, without starting anything: 'running' (this STACK_DIR
 * started it earlier), 'external' (something healthy we did not start answers on the port; left
 * alone) or 'start'. Throws when the port is taken by something that is not the server we want.
 * @param {Server} server @param {StackSettings} settings @param {{ log: Log, signal?: AbortSignal }} options
 */
async function plan(server, settings, { log, signal }) {
  const { record, alive } = owned(server);
  if (record && alive) {
    if (record.port !== undefined && record.port !== server.port) {
      throw new StackError(
        `${server.label} of STACK_DIR ${settings.paths.stackDir} runs on port ${record.port}, but ${server.portVariable} is ${server.port}: use another STACK_DIR for other ports, or "down" it first`,
      );
    }
    // Another `up` holding the lock has finished by now, so a healthy server answers at once.
    await waitUntil(() => server.probe(3000), { what: server.label, timeoutMs: 15_000, signal }).catch((error) => {
      throw new StackError(
        `${server.label} (pid ${record.pid}, started earlier by this stack) is running but not answering on ${server.address}: ${error.message}. Try "node scripts/stack.js down" first.`,
      );
    });
    log.info(`${server.label} already running on ${server.address} (pid ${record.pid})`);
    return 'running';
  }
  if (record) {
    log.info(`removing stale pid file for ${server.label} (pid ${record.pid} is gone)`);
    fs.rmSync(server.files.pidFile, { force: true });
  }
  if (!(await proc.canListen(server.port, settings.host))) {
    const what = `a ${server.kind} on ${server.address}`;
    await waitUntil(() => server.probe(2000), { what, timeoutMs: 4000, intervalMs: 500, signal }).catch((error) => {
      throw new StackError(
        `port ${server.port} on ${settings.host} is in use by something that is not a healthy ${server.kind} (${error.message}). Stop it or set ${server.portVariable} to another port.`,
      );
    });
    log.info(`reusing the ${server.kind} on ${server.address} (not started by this stack; "down" leaves it alone)`);
    return 'external';
  }
  await server.preflight();
  return 'start';
}

/**
 * Installs if needed, starts the server detached, records its pid and waits until it answers.
 * @param {Server} server @param {StackSettings} settings @param {{ log: Log, signal?: AbortSignal, fresh?: boolean }} options
 */
async function start(server, settings, { log, signal, fresh }) {
  const { dataDir, pidFile, logFile } = server.files;
  if (fresh) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(settings.paths.logDir, { recursive: true });
  const command = await server.prepare(log);
  if (signal?.aborted) throw new StackError('interrupted');

  const began = Date.now();
  const child = proc.spawnDetached({ ...command, logFile });
  const pid = child.pid;
  if (pid === undefined) throw new StackError(`could not start ${server.label}: ${command.command} did not spawn`);
  const startedAt = new Date(began).toISOString();
  proc.writePidFile(pidFile, { pid, server: server.id, marker: server.marker, port: server.port, startedAt });
  const giveUp = () =>
    child.exited && `exited early (${child.spawnError?.message || child.exitSignal || `exit code ${child.exitCode}`})`;
  const timeoutMs = settings.startTimeoutMs;
  try {
    await waitUntil(() => server.probe(2000), { what: server.label, timeoutMs, signal, giveUp });
  } catch (error) {
    await proc.stopProcessGroup(pid, 5000);
    fs.rmSync(pidFile, { force: true });
    if (signal?.aborted) throw new StackError('interrupted');
    const tail = proc.tailFile(logFile, child.logOffset, 40) || '(empty)';
    throw new StackError(`${server.label} did not become ready: ${error.message}.\nLast lines of ${logFile}:\n${tail}`);
  }
  log.info(`${server.label} ready on ${server.address} in ${formatDuration(Date.now() - began)} (pid ${pid})`);
}

/** Stops the server if this STACK_DIR started it. @param {Server} server @param {Log} log @returns {Promise<boolean>} if it ran */
async function stop(server, log) {
  const { record, alive } = owned(server);
  if (!record) return false;
  if (alive) {
    const began = Date.now();
    const how = await proc.stopProcessGroup(record.pid, server.graceMs);
    if (how === 'still-running')
      throw new StackError(`${server.label} (pid ${record.pid}) survived SIGKILL; pid file kept`);
    const ended = how === 'killed' ? 'killed after the grace period' : 'clean shutdown';
    log.info(`stopped ${server.label} (pid ${record.pid}, ${ended}) in ${formatDuration(Date.now() - began)}`);
  } else {
    log.info(`${server.label} (pid ${record.pid}) was already gone; removed its pid file`);
  }
  fs.rmSync(server.files.pidFile, { force: true });
  return alive;
}

/**
 * Starts what is not already there, after deciding for every server (so a busy port or a missing
 * tool fails before anything starts). If anything fails, stops what this call started.
 * @param {StackSettings} settings @param {{ services?: ServerId[], log: Log, signal?: AbortSignal, fresh?: boolean }} options
 * @returns {Promise<{ started: ServerId[] }>}
 */
async function up(settings, { services = ALL, log, signal, fresh = false }) {
  const began = Date.now();
  fs.mkdirSync(settings.paths.stackDir, { recursive: true });
  return proc.withLock(settings.paths.lockDir, log, async () => {
    const plans = await settleAll(services.map((id) => plan(serverOf(settings, id), settings, { log, signal })));
    /** @type {ServerId[]} */
    const started = [];
    try {
      const toStart = services.filter((_, i) => plans[i] === 'start');
      await settleAll(
        toStart.map(async (id) => {
          await start(serverOf(settings, id), settings, { log, signal, fresh });
          started.push(id);
        }),
      );
      if (services.includes('kafka')) await warmUp(settings, { log, signal });
    } catch (error) {
      // Leave nothing half up.
      await Promise.allSettled(started.map((id) => stop(serverOf(settings, id), log)));
      throw error;
    }
    log.info(`stack up in ${formatDuration(Date.now() - began)} (STACK_DIR ${settings.paths.stackDir})`);
    return { started };
  });
}

/**
 * Stops the given servers if this STACK_DIR's pid files say we started them; anything else is left alone.
 * @param {StackSettings} settings @param {{ services?: ServerId[], log: Log }} options @returns {Promise<ServerId[]>} those that ran
 */
async function down(settings, { services = ALL, log }) {
  if (!fs.existsSync(settings.paths.stackDir)) return [];
  return proc.withLock(settings.paths.lockDir, log, async () => {
    const stopped = await settleAll(services.map((id) => stop(serverOf(settings, id), log)));
    return services.filter((_, i) => stopped[i]);
  });
}

/** @param {StackSettings} settings @param {Log} log */
async function stopKafka(settings, log) {
  const kafka = kafkaServer(settings);
  const refusal = `no Kafka started by this stack is running (STACK_DIR ${settings.paths.stackDir}); refusing to stop anything else`;
  if (!fs.existsSync(settings.paths.stackDir)) throw new StackError(refusal);
  await proc.withLock(settings.paths.lockDir, log, async () => {
    if (!owned(kafka).alive) throw new StackError(refusal);
    await stop(kafka, log);
  });
}

/**
 * What answers on the configured ports, whether it is healthy (null: could not tell), and
 * whether this STACK_DIR started it.
 * @param {StackSettings} settings
 */
function status(settings) {
  return Promise.all(
    ALL.map(async (id) => {
      const server = serverOf(settings, id);
      const { record, alive } = owned(server);
      const listening = !(await proc.canListen(server.port, settings.host));
      /** @type {boolean | null} */
      let healthy = false;
      let detail = '';
      if (listening) {
        healthy = await server.probe(3000).catch((error) => {
          detail = error.message;
          return error instanceof StackError ? null : false;
        });
      }
      const pid = alive && record ? record.pid : null;
      return {
        label: server.label,
        address: server.address,
        pid,
        staleRecord: !!record && !alive,
        listening,
        healthy,
        detail,
      };
    }),
  );
}

module.exports = { up, down, stopKafka, status };
