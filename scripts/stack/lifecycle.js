'use strict';
// up / down / status of a STACK_DIR's two servers. Used by scripts/stack.js and, in-process, by
// npm start, npm test and the bench, which then stop exactly what they started.
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT, StackError, describeError, formatDuration, waitUntil } = require('../lib/run');
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
 * The run that started the server to stop it again, if that run is gone without having done so
 * (it was killed: SIGKILL, a crash): the server is an orphan. Null otherwise.
 * @param {Server} server
 */
function deadOwner(server) {
  const owner = proc.readOwner(server.files.ownerFile);
  return owner && !proc.ownerAlive(owner) ? owner : null;
}

/** @param {import('./proc').Owner} owner */
const describeOwner = (owner) => `${owner.command} (pid ${owner.pid})`;

/**
 * What `up` has to do for one server, without starting anything: 'running' (this STACK_DIR
 * started it earlier), 'orphan' (the same, but the run that started it was killed before it
 * could stop it), 'external' (something healthy we did not start answers on the port; left
 * alone) or 'start'. Throws when the port is taken by something that is not the server we want.
 * An orphan that no longer answers is stopped, and started anew.
 * @param {Server} server @param {StackSettings} settings @param {{ log: Log, signal?: AbortSignal }} options
 * @returns {Promise<'running' | 'orphan' | 'external' | 'start'>}
 */
async function plan(server, settings, { log, signal }) {
  const { record, alive } = owned(server);
  const orphanedBy = record && alive ? deadOwner(server) : null;
  if (record && alive && orphanedBy) {
    const answers = await server.probe(3000).catch(() => false);
    if (!answers || (record.port !== undefined && record.port !== server.port)) {
      log.info(
        `${server.label} (pid ${record.pid}) was left running by ${describeOwner(orphanedBy)}, which was killed, and ${answers ? `runs on port ${record.port}` : 'does not answer'}: stopping it`,
      );
      await stop(server, log);
      return plan(server, settings, { log, signal });
    }
    return 'orphan';
  }
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

/**
 * Stops the server if this STACK_DIR started it. keepOwner: it is stopped to be started again
 * (stop-kafka), still belonging to the same run.
 * @param {Server} server @param {Log} log @returns {Promise<boolean>} if it ran
 */
async function stop(server, log, keepOwner = false) {
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
  if (!keepOwner) fs.rmSync(server.files.ownerFile, { force: true });
  return alive;
}

/**
 * Who will stop what `up` starts. 'self' (the default): this process, which stops it when it ends
 * (npm start, npm test, the bench); should it be killed first, the next `up` finds the servers
 * orphaned. 'none': nobody, they stay until `down` (`stack.js up`). 'keep': whoever owned the
 * server before (`stack.js start-kafka` after `stop-kafka`, within an npm test run).
 * @typedef {'self' | 'none' | 'keep'} Ownership
 */

/**
 * Starts what is not already there, after deciding for every server (so a busy port or a missing
 * tool fails before anything starts). If anything fails, stops what this call started.
 *
 * Servers left running by a run that was killed (their owner is gone) are reported and reclaimed:
 * with ownership 'self' they become this run's (listed in `started`, so it stops them when it
 * ends; with `fresh` they are stopped and started anew, data wiped); with 'none' they are kept
 * running for good. A service left running by a killed npm start is stopped.
 * @param {StackSettings} settings
 * @param {{ services?: ServerId[], log: Log, signal?: AbortSignal, fresh?: boolean, ownership?: Ownership, command?: string }} options
 * @returns {Promise<{ started: ServerId[] }>}
 */
async function up(settings, { services = ALL, log, signal, fresh = false, ownership = 'self', command }) {
  const began = Date.now();
  fs.mkdirSync(settings.paths.stackDir, { recursive: true });
  const owner = proc.thisProcessAsOwner(command || path.relative(REPO_ROOT, process.argv[1] || 'node') || 'node');
  return proc.withLock(settings.paths.lockDir, log, async () => {
    await stopOrphanService(settings, log);
    const plans = await settleAll(services.map((id) => plan(serverOf(settings, id), settings, { log, signal })));
    /** @type {ServerId[]} */
    const started = [];
    try {
      for (const [i, id] of services.entries()) {
        if (plans[i] !== 'orphan') continue;
        const server = serverOf(settings, id);
        const { record } = owned(server);
        const previous = describeOwner(/** @type {import('./proc').Owner} */ (deadOwner(server)));
        const what = `${server.label} (pid ${record?.pid}) was left running by ${previous}, which was killed`;
        if (ownership === 'self' && fresh) {
          log.info(`${what}: stopping it, to start it afresh`);
          await stop(server, log);
          plans[i] = 'start';
        } else if (ownership === 'self') {
          log.info(`${what}: reclaimed, this run stops it when it ends`);
          proc.writeOwner(server.files.ownerFile, owner);
          started.push(id);
        } else if (ownership === 'none') {
          log.info(`${what}: kept running ("down" stops it)`);
          fs.rmSync(server.files.ownerFile, { force: true });
        } else {
          log.info(what);
        }
      }
      const toStart = services.filter((_, i) => plans[i] === 'start');
      await settleAll(
        toStart.map(async (id) => {
          const server = serverOf(settings, id);
          await start(server, settings, { log, signal, fresh });
          if (ownership === 'self') proc.writeOwner(server.files.ownerFile, owner);
          if (ownership === 'none') fs.rmSync(server.files.ownerFile, { force: true });
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
    await stopOrphanService(settings, log);
    const stopped = await settleAll(services.map((id) => stop(serverOf(settings, id), log)));
    return services.filter((_, i) => stopped[i]);
  });
}

/**
 * The apps npm start runs in the foreground: where each one's pid is noted, what its process's
 * command line holds (against pid reuse), and what the log calls it.
 * @typedef {'api-keys' | 'verifier'} AppId
 */
const APPS = {
  'api-keys': {
    label: 'the service',
    marker: path.join('dist', 'apps', 'api-keys', 'src', 'main.js'),
    pidFile: (/** @type {StackSettings} */ settings) => settings.paths.servicePidFile,
  },
  verifier: {
    label: 'the verifier',
    marker: path.join('dist', 'apps', 'verifier', 'src', 'main.js'),
    pidFile: (/** @type {StackSettings} */ settings) => settings.paths.verifierPidFile,
  },
};
// How long a service gets beyond its own shutdown bound before it is killed.
const SERVICE_KILL_MARGIN_MS = 5000;

/**
 * Notes an app npm start runs (the service by default, or the verifier beside it), so that the
 * next run finds it should this npm start be killed without stopping it.
 * @param {StackSettings} settings
 * @param {{ pid: number, port: number, shutdownTimeoutMs: number, command: string, app?: AppId }} service
 */
function recordService(settings, { pid, port, shutdownTimeoutMs, command, app = 'api-keys' }) {
  fs.mkdirSync(settings.paths.stackDir, { recursive: true });
  const owner = proc.thisProcessAsOwner(command);
  proc.writePidFile(APPS[app].pidFile(settings), { pid, port, shutdownTimeoutMs, marker: APPS[app].marker, owner });
}

/** @param {StackSettings} settings @param {AppId} [app] */
const forgetService = (settings, app = 'api-keys') => fs.rmSync(APPS[app].pidFile(settings), { force: true });

/**
 * A service (or verifier) still running after the npm start that ran it was killed takes the
 * port, and load on the servers, for nobody: stop it (SIGTERM, SIGKILL after its own shutdown
 * bound and a margin). One whose npm start still runs is left alone.
 * @param {StackSettings} settings @param {Log} log
 */
async function stopOrphanService(settings, log) {
  for (const app of /** @type {AppId[]} */ (['api-keys', 'verifier'])) {
    const { label, marker, pidFile } = APPS[app];
    const record =
      /** @type {(import('./proc').PidRecord & { owner?: import('./proc').Owner, shutdownTimeoutMs?: number }) | null} */ (
        proc.readPidFile(pidFile(settings))
      );
    if (!record) continue;
    if (!proc.isAlive(record.pid) || !proc.commandMatches(record.pid, marker)) {
      forgetService(settings, app);
      continue;
    }
    if (record.owner && proc.ownerAlive(record.owner)) continue;
    const by = record.owner ? describeOwner(record.owner) : 'a run';
    log.info(
      `${label} (pid ${record.pid}, port ${record.port}) was left running by ${by}, which was killed: stopping it`,
    );
    const how = await proc.stopProcessGroup(record.pid, (record.shutdownTimeoutMs ?? 10_000) + SERVICE_KILL_MARGIN_MS);
    if (how === 'still-running') throw new StackError(`${label} (pid ${record.pid}) survived SIGKILL`);
    log.info(`stopped it (${how === 'killed' ? 'killed after its shutdown bound' : 'clean shutdown'})`);
    forgetService(settings, app);
  }
}

/** @param {StackSettings} settings @param {Log} log */
async function stopKafka(settings, log) {
  const kafka = kafkaServer(settings);
  const refusal = `no Kafka started by this stack is running (STACK_DIR ${settings.paths.stackDir}); refusing to stop anything else`;
  if (!fs.existsSync(settings.paths.stackDir)) throw new StackError(refusal);
  await proc.withLock(settings.paths.lockDir, log, async () => {
    if (!owned(kafka).alive) throw new StackError(refusal);
    await stop(kafka, log, true);
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
      const orphanedBy = pid ? deadOwner(server) : null;
      if (orphanedBy)
        detail = [`left running by ${describeOwner(orphanedBy)}, which was killed`, detail].filter(Boolean).join('; ');
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

module.exports = {
  up,
  down,
  stopKafka,
  status,
  recordService,
  forgetService,
  stopOrphanService,
  SERVICE_KILL_MARGIN_MS,
};
