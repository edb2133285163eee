'use strict';
// up / down / status for a whole STACK_DIR. Used by scripts/stack.js and, in-process, by
// scripts/start.js and scripts/test.js (which then stop exactly what they started).
const fs = require('node:fs');
const { StackError } = require('./errors');
const { formatDuration } = require('./log');
const { acquireLock } = require('./lock');
const { SERVERS, planServer, startServer, stopServer, ownedProcess } = require('./servers');
const { warmUpCoordinators } = require('./topics');
const { canListen } = require('./probe');

const ALL = ['kafka', 'mongo'];

function errorMessage(reason) {
  return reason instanceof StackError ? reason.message : reason && reason.stack ? reason.stack : String(reason);
}

/**
 * @param {ReturnType<import('./settings').readStackSettings>} settings
 * @param {{ services?: string[], log: any, signal?: AbortSignal, fresh?: boolean }} options
 * @returns {Promise<{ started: string[], outcomes: Record<string, string> }>}
 */
async function up(settings, { services = ALL, log, signal, fresh = false }) {
  const began = Date.now();
  fs.mkdirSync(settings.paths.stackDir, { recursive: true });
  const release = await acquireLock(settings.paths.lockDir, { log });
  try {
    // First decide for every server (and fail on busy ports or missing tools) before starting any.
    const plans = await Promise.allSettled(services.map((id) => planServer(SERVERS[id], settings, { log, signal })));
    const planFailures = plans.filter((p) => p.status === 'rejected').map((p) => errorMessage(p.reason));
    if (planFailures.length > 0) throw new StackError(planFailures.join('\n'));

    const outcomes = {};
    const toStart = [];
    services.forEach((id, i) => {
      outcomes[id] = plans[i].value.outcome;
      if (outcomes[id] === 'start') toStart.push(id);
    });
    const results = await Promise.allSettled(
      toStart.map((id) => startServer(SERVERS[id], settings, { log, signal, fresh })),
    );
    const started = [];
    const failures = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        outcomes[toStart[i]] = 'started';
        started.push(toStart[i]);
      } else {
        failures.push(errorMessage(result.reason));
      }
    });
    if (failures.length === 0 && services.includes('kafka')) {
      await warmUpCoordinators(settings, { log, signal }).catch((error) => failures.push(errorMessage(error)));
    }
    if (failures.length > 0) {
      // Leave nothing half-up: stop whatever this call started.
      await Promise.allSettled(started.map((id) => stopServer(SERVERS[id], settings, { log })));
      throw new StackError(failures.join('\n'));
    }
    log.info(`stack up in ${formatDuration(Date.now() - began)} (STACK_DIR ${settings.paths.stackDir})`);
    return { started, outcomes };
  } finally {
    release();
  }
}

/** Stops the given servers if this STACK_DIR's pid files say we started them. */
async function down(settings, { services = ALL, log }) {
  if (!fs.existsSync(settings.paths.stackDir)) return [];
  const release = await acquireLock(settings.paths.lockDir, { log });
  try {
    const results = await Promise.allSettled(services.map((id) => stopServer(SERVERS[id], settings, { log })));
    const failures = results.filter((r) => r.status === 'rejected').map((r) => errorMessage(r.reason));
    if (failures.length > 0) throw new StackError(failures.join('\n'));
    return services.filter((id, i) => results[i].value === 'stopped');
  } finally {
    release();
  }
}

async function stopKafka(settings, { log }) {
  if (!fs.existsSync(settings.paths.stackDir)) {
    throw new StackError(
      `no Kafka started by this stack is running (STACK_DIR ${settings.paths.stackDir} does not exist)`,
    );
  }
  const release = await acquireLock(settings.paths.lockDir, { log });
  try {
    if (!ownedProcess(SERVERS.kafka, settings).alive) {
      throw new StackError(
        `no Kafka started by this stack is running (STACK_DIR ${settings.paths.stackDir}); refusing to stop anything else`,
      );
    }
    await stopServer(SERVERS.kafka, settings, { log });
  } finally {
    release();
  }
}

/** @returns {Promise<Array<{ id: string, label: string, address: string, pid: number | null, listening: boolean, healthy: boolean | null, detail: string }>>} */
async function status(settings) {
  return Promise.all(
    ALL.map(async (id) => {
      const server = SERVERS[id];
      const owned = ownedProcess(server, settings);
      const listening = !(await canListen(server.port(settings), settings.host));
      let healthy = false;
      let detail = '';
      if (listening) {
        try {
          const probe = await server.probe(settings, 3000);
          healthy = probe.ok;
          detail = probe.ok ? '' : probe.error;
        } catch (error) {
          healthy = null;
          detail = errorMessage(error);
        }
      }
      return {
        id,
        label: server.label,
        address: server.address(settings),
        pid: owned.alive ? owned.record.pid : null,
        staleRecord: Boolean(owned.record && !owned.alive),
        listening,
        healthy,
        detail,
      };
    }),
  );
}

module.exports = { ALL, up, down, stopKafka, status };
