'use strict';
// The bench's own names (database, topics, consumer group) are removed after a run, so runs do
// not pile up data on a shared dev stack. Best effort: a failure here is reported, not fatal.

async function withTimeout(work, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function dropDatabase(mongoUri) {
  const mongoose = require('mongoose');
  const conn = mongoose.createConnection(mongoUri, { serverSelectionTimeoutMS: 3000 });
  try {
    await withTimeout(conn.asPromise(), 5000, 'connecting to MongoDB');
    await withTimeout(conn.dropDatabase(), 10000, 'dropping the bench database');
  } finally {
    await conn.close().catch(() => undefined);
  }
}

async function deleteKafkaNames(brokers, topics, groups) {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({
    clientId: 'api-keys-bench',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  try {
    await withTimeout(admin.connect(), 5000, 'connecting to Kafka');
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (groups.length > 0)
      await withTimeout(admin.deleteGroups(groups), 10000, 'deleting the consumer group').catch(() => undefined);
    if (present.length > 0)
      await withTimeout(admin.deleteTopics({ topics: present, timeout: 10000 }), 15000, 'deleting the bench topics');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

module.exports = { dropDatabase, deleteKafkaNames };
