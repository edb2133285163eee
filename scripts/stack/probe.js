'use strict';
// "Is something there, and is it the server we want?" checks.
// kafkajs and mongoose are loaded lazily: they exist only after `npm ci`.
const net = require('node:net');
const { StackError } = require('./errors');
const { sleep } = require('./proc');

/** True when nothing is bound to host:port (we could listen there ourselves). */
function canListen(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function loadDependency(name) {
  try {
    return require(name);
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND') {
      throw new StackError(`${name} is not installed: run "npm ci" first (npm start and npm test do it for you)`);
    }
    throw error;
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One admin round trip: connect and describe the cluster.
 * @returns {Promise<{ ok: true, brokers: number } | { ok: false, error: string }>}
 */
async function probeKafka(brokers, { timeoutMs = 5000 } = {}) {
  const { Kafka, logLevel } = loadDependency('kafkajs');
  const kafka = new Kafka({
    clientId: 'api-keys-stack-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(1000, timeoutMs),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect(), timeoutMs, 'Kafka connect');
    const cluster = await withTimeout(admin.describeCluster(), timeoutMs, 'Kafka describeCluster');
    return { ok: true, brokers: cluster.brokers.length };
  } catch (error) {
    return { ok: false, error: error.message };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * One ping on the MongoDB wire protocol.
 * @returns {Promise<{ ok: true } | { ok: false, error: string }>}
 */
async function probeMongo(url, { timeoutMs = 5000 } = {}) {
  const { MongoClient } = loadDependency('mongoose').mongo;
  const client = new MongoClient(url, {
    directConnection: true,
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
  });
  try {
    await withTimeout(client.connect(), timeoutMs + 1000, 'MongoDB connect');
    await withTimeout(client.db('admin').command({ ping: 1 }), timeoutMs, 'MongoDB ping');
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error.message };
  } finally {
    await client.close(true).catch(() => {});
  }
}

/**
 * Polls check() until it reports ok, the deadline passes, giveUp() says stop, or signal aborts.
 * @returns {Promise<{ ok: boolean, reason?: string, lastError?: string }>}
 */
async function waitUntil(check, { timeoutMs, intervalMs = 250, giveUp = () => null, signal }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    if (signal && signal.aborted) return { ok: false, reason: 'aborted', lastError };
    const stop = giveUp();
    if (stop) return { ok: false, reason: stop, lastError };
    const result = await check();
    if (result.ok) return { ok: true };
    lastError = result.error;
    if (Date.now() >= deadline) return { ok: false, reason: 'timeout', lastError };
    await sleep(intervalMs);
  }
}

module.exports = { canListen, loadDependency, probeKafka, probeMongo, waitUntil };
