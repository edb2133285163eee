'use strict';
// The two servers of the local stack: how to prepare, start, probe and stop each one.
const fs = require('node:fs');
const path = require('node:path');
const { StackError } = require('./errors');
const { formatDuration } = require('./log');
const { renderServerProperties, renderLog4j2Properties, newClusterId } = require('./kafka-files');
const { kafkaServerArgs, kafkaFormatArgs, ferretdbArgs } = require('./server-args');
const {
  requireJava,
  requireTool,
  isKafkaInstalled,
  isFerretdbInstalled,
  ensureKafkaInstalled,
  ensureFerretdbInstalled,
  run,
} = require('./install');
const { canListen, probeKafka, probeMongo, waitUntil } = require('./probe');
const proc = require('./proc');
const versions = require('./versions');

const kafka = {
  id: 'kafka',
  label: `Kafka ${versions.KAFKA_VERSION}`,
  kind: 'Kafka broker',
  portVariable: 'KAFKA_PORT',
  marker: 'kafka.Kafka',
  // Controlled shutdown of a single combined node takes a few seconds.
  graceMs: 30_000,
  port: (settings) => settings.kafkaPort,
  address: (settings) => settings.kafkaBrokers,
  paths: (settings) => settings.paths.kafka,
  probe: (settings, timeoutMs) => probeKafka(settings.kafkaBrokers, { timeoutMs }),

  // Everything that can fail before anything is started, so a doomed `up` starts nothing.
  async preflight(settings) {
    requireJava();
    if (!isKafkaInstalled(settings.cacheDir)) requireTool('mvn');
    if (!(await canListen(settings.kafkaControllerPort, settings.host))) {
      throw new StackError(
        `KAFKA_CONTROLLER_PORT ${settings.kafkaControllerPort} is already in use; Kafka's controller listener needs it (set KAFKA_CONTROLLER_PORT to a free port)`,
      );
    }
  },

  async prepare(settings, log) {
    const libDir = await ensureKafkaInstalled(settings.cacheDir, log);
    const p = settings.paths.kafka;
    fs.mkdirSync(p.dataDir, { recursive: true });
    fs.writeFileSync(
      p.serverProperties,
      renderServerProperties({
        host: settings.host,
        kafkaPort: settings.kafkaPort,
        controllerPort: settings.kafkaControllerPort,
        dataDir: p.dataDir,
      }),
    );
    fs.writeFileSync(p.log4jProperties, renderLog4j2Properties());
    const files = { libDir, log4jProperties: p.log4jProperties, serverProperties: p.serverProperties };

    if (!fs.existsSync(path.join(p.dataDir, 'meta.properties'))) {
      let clusterId = fs.existsSync(p.clusterIdFile) ? fs.readFileSync(p.clusterIdFile, 'utf8').trim() : '';
      if (!clusterId) {
        clusterId = newClusterId();
        fs.writeFileSync(p.clusterIdFile, `${clusterId}\n`);
      }
      const started = Date.now();
      await run('java', kafkaFormatArgs(files, clusterId), { cwd: p.dir });
      log.info(
        `formatted Kafka storage in ${p.dataDir} (cluster ${clusterId}) in ${formatDuration(Date.now() - started)}`,
      );
    }
    return { command: 'java', args: kafkaServerArgs(files), cwd: p.dir };
  },
};

const mongo = {
  id: 'mongo',
  label: `FerretDB ${versions.FERRETDB_VERSION}`,
  kind: 'MongoDB-protocol server',
  portVariable: 'MONGO_PORT',
  marker: 'ferretdb',
  graceMs: 10_000,
  port: (settings) => settings.mongoPort,
  address: (settings) => settings.mongoUrl,
  paths: (settings) => settings.paths.mongo,
  probe: (settings, timeoutMs) => probeMongo(settings.mongoUrl, { timeoutMs }),
  async preflight(settings) {
    if (!isFerretdbInstalled(settings.cacheDir)) requireTool('go');
  },

  async prepare(settings, log) {
    const binary = await ensureFerretdbInstalled(settings.cacheDir, log);
    const p = settings.paths.mongo;
    fs.mkdirSync(p.dataDir, { recursive: true });
    fs.mkdirSync(p.stateDir, { recursive: true });
    const args = ferretdbArgs({
      host: settings.host,
      port: settings.mongoPort,
      dataDir: p.dataDir,
      stateDir: p.stateDir,
    });
    return { command: binary, args, cwd: p.dir };
  },
};

const SERVERS = { kafka, mongo };

/** The pid file's process, if it is alive and still the server we started. */
function ownedProcess(server, settings) {
  const file = server.paths(settings).pidFile;
  const record = proc.readPidFile(file);
  if (!record) return { record: null, alive: false };
  const alive = proc.isAlive(record.pid) && proc.commandMatches(record.pid, record.marker || server.marker);
  return { record, alive };
}

/**
 * Decides what `up` has to do for one server, without starting anything:
 *  - 'running'  a server this STACK_DIR started earlier is still up
 *  - 'external' something healthy that we did not start answers on the port; left alone
 *  - 'start'    the port is free and the preconditions (tools, other ports) hold
 * Throws when the port is taken by something that is not the server we want.
 */
async function planServer(server, settings, { log, signal }) {
  const port = server.port(settings);
  const owned = ownedProcess(server, settings);

  if (owned.alive && owned.record.port !== undefined && owned.record.port !== port) {
    throw new StackError(
      `${server.label} of STACK_DIR ${settings.paths.stackDir} runs on port ${owned.record.port}, but ${server.portVariable} is ${port}: use another STACK_DIR for other ports, or "down" it first`,
    );
  }
  if (owned.alive) {
    // Another `up` holding the lock has finished by now, so a healthy server answers at once.
    const ready = await waitUntil(() => server.probe(settings, 3000), { timeoutMs: 15_000, signal });
    if (!ready.ok) {
      throw new StackError(
        `${server.label} (pid ${owned.record.pid}, started earlier by this stack) is running but not answering on ${server.address(settings)}: ${ready.lastError || ready.reason}. Try "node scripts/stack.js down" first.`,
      );
    }
    log.info(`${server.label} already running on ${server.address(settings)} (pid ${owned.record.pid})`);
    return { outcome: 'running', pid: owned.record.pid };
  }
  if (owned.record) {
    log.info(`removing stale pid file for ${server.label} (pid ${owned.record.pid} is gone)`);
    proc.removeFile(server.paths(settings).pidFile);
  }

  if (!(await canListen(port, settings.host))) {
    const healthy = await waitUntil(() => server.probe(settings, 2000), { timeoutMs: 4000, intervalMs: 500, signal });
    if (healthy.ok) {
      log.info(
        `reusing the ${server.kind} already answering on ${server.address(settings)} (not started by this stack; "down" leaves it alone)`,
      );
      return { outcome: 'external', pid: null };
    }
    throw new StackError(
      `port ${port} on ${settings.host} is in use by something that is not a healthy ${server.kind} (${healthy.lastError || healthy.reason}). Stop it or set ${server.portVariable} to another port.`,
    );
  }
  await server.preflight(settings);
  return { outcome: 'start', pid: null };
}

/** Installs if needed, starts detached, records the pid, waits for readiness. */
async function startServer(server, settings, { log, signal, fresh = false }) {
  const paths = server.paths(settings);
  if (fresh) fs.rmSync(paths.dataDir, { recursive: true, force: true });
  fs.mkdirSync(settings.paths.logDir, { recursive: true });
  const command = await server.prepare(settings, log);
  if (signal && signal.aborted) throw new StackError('interrupted');

  const started = Date.now();
  const child = proc.spawnDetached({ ...command, env: process.env, logFile: paths.logFile });
  if (child.pid === undefined) {
    throw new StackError(`could not start ${server.label}: ${command.command} did not spawn`);
  }
  proc.writePidFile(paths.pidFile, {
    pid: child.pid,
    server: server.id,
    marker: server.marker,
    port: server.port(settings),
    startedAt: new Date(started).toISOString(),
  });

  const ready = await waitUntil(() => server.probe(settings, 2000), {
    timeoutMs: settings.startTimeoutMs,
    signal,
    giveUp: () => {
      if (!child.exited) return null;
      if (child.spawnError) return `could not be started: ${child.spawnError.message}`;
      return `exited early (${child.exitSignal || `exit code ${child.exitCode}`})`;
    },
  });
  if (!ready.ok) {
    await proc.stopProcessGroup(child.pid, { graceMs: 5000 });
    proc.removeFile(paths.pidFile);
    if (ready.reason === 'aborted') throw new StackError('interrupted');
    const why =
      ready.reason === 'timeout'
        ? `did not become ready within ${formatDuration(settings.startTimeoutMs)} (last probe: ${ready.lastError})`
        : ready.reason;
    const tail = proc.tailFile(paths.logFile, child.logOffset, 40);
    throw new StackError(`${server.label} ${why}.\nLast lines of ${paths.logFile}:\n${tail || '(empty)'}`);
  }
  log.info(
    `${server.label} ready on ${server.address(settings)} in ${formatDuration(Date.now() - started)} (pid ${child.pid}, log ${paths.logFile})`,
  );
  return { outcome: 'started', pid: child.pid };
}

/** Stops the server if this STACK_DIR started it; anything else on the port is left alone. */
async function stopServer(server, settings, { log }) {
  const paths = server.paths(settings);
  const owned = ownedProcess(server, settings);
  if (!owned.record) return 'not-ours';
  if (!owned.alive) {
    proc.removeFile(paths.pidFile);
    log.info(`${server.label} (pid ${owned.record.pid}) was already gone; removed its pid file`);
    return 'gone';
  }
  const started = Date.now();
  const how = await proc.stopProcessGroup(owned.record.pid, { graceMs: server.graceMs });
  if (how === 'still-running') {
    throw new StackError(`${server.label} (pid ${owned.record.pid}) survived SIGKILL; pid file kept`);
  }
  proc.removeFile(paths.pidFile);
  log.info(
    `stopped ${server.label} (pid ${owned.record.pid}, ${how === 'killed' ? 'killed after the grace period' : 'clean shutdown'}) in ${formatDuration(Date.now() - started)}`,
  );
  return 'stopped';
}

module.exports = { SERVERS, planServer, startServer, stopServer, ownedProcess };
