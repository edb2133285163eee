'use strict';
// Readiness of a fresh broker for the service. The service creates the topics it needs itself.
const { loadDependency, waitUntil } = require('./probe');
const { StackError } = require('./errors');

/**
 * A fresh broker creates __consumer_offsets and its producer-id machinery on first use, and
 * answers "coordinator is loading" until then: the service's first consumer join would crash and
 * restart, and its first idempotent producer would wait. Doing both once here makes "ready" mean
 * ready for the service too.
 */
async function warmUpCoordinators(settings, { log, signal }) {
  const { Kafka, logLevel } = loadDependency('kafkajs');
  const started = Date.now();
  const kafka = new Kafka({
    clientId: 'api-keys-stack',
    brokers: [settings.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
  });
  const admin = kafka.admin();
  // Loading can take seconds on a busy machine: retry under our own deadline, not kafkajs's.
  const attempt = (work) => async () => {
    try {
      await work();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: error.message };
    }
  };
  const groupCoordinator = attempt(async () => {
    await admin.connect();
    await admin.fetchOffsets({ groupId: 'api-keys-stack-warm-up', topics: [] });
  });
  const producerIds = attempt(async () => {
    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
    try {
      await producer.connect();
    } finally {
      await producer.disconnect().catch(() => {});
    }
  });
  try {
    const steps = [
      ['group coordinator', groupCoordinator],
      ['producer ids', producerIds],
    ];
    for (const [what, step] of steps) {
      const ready = await waitUntil(step, { timeoutMs: settings.startTimeoutMs, intervalMs: 250, signal });
      if (!ready.ok) {
        if (ready.reason === 'aborted') throw new StackError('interrupted');
        throw new StackError(
          `Kafka on ${settings.kafkaBrokers} answers, but its ${what} did not become ready: ${ready.lastError || ready.reason}`,
        );
      }
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const ms = Date.now() - started;
  if (ms > 500) log.info(`Kafka group coordinator and producer ids ready in ${(ms / 1000).toFixed(1)} s`);
}

module.exports = { warmUpCoordinators };
