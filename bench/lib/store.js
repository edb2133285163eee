'use strict';
// The store's own rates, measured from the bench process with the plain driver on scratch
// collections of the run's database, so the service can be given as a fraction of what the store
// itself does on this machine in the same run: single-document writes (updateOne by _id, the
// shape of one PUT's write) and bulk inserts (insertMany, the shape of a rebuild's writes).
const { randomBytes } = require('node:crypto');
const { percentile } = require('./report');

/**
 * A document shaped like a projected key in `api_keys` (same fields, similar sizes).
 * @param {number} i
 */
function keyLikeDocument(i) {
  const at = new Date().toISOString();
  return {
    _id: `s${i}`,
    id: i,
    key_type: 'private',
    name: `scratch key ${i}`,
    allowed_origins: ['https://app.example.com'],
    allowed_assistants: [],
    key_hash: randomBytes(32).toString('hex'),
    transient_assistant: false,
    user_id: 1 + (i % 1000),
    user_email: `scratch-user-${i % 1000}@bench.example.com`,
    created_at: at,
    updated_at: at,
    deleted_at: null,
    version: 1,
    applied: { partition: i % 3, offset: i },
  };
}

/** @param {string} uri */
async function connect(uri) {
  const mongoose = require('mongoose');
  return mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 100 }).asPromise();
}

/**
 * Documents per second of a plain insertMany of key-like documents into an empty collection.
 * @param {string} uri @param {{ documents: number, batch: number }} options
 */
async function bulkInsertRate(uri, { documents, batch }) {
  const conn = await connect(uri);
  /** @type {any} */
  const collection = conn.collection('bench_scratch_bulk');
  try {
    await collection.drop().catch(() => {});
    const began = process.hrtime.bigint();
    for (let i = 0; i < documents; i += batch) {
      const docs = Array.from({ length: Math.min(batch, documents - i) }, (_, j) => keyLikeDocument(i + j));
      await collection.insertMany(docs, { ordered: false });
    }
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    return { documents, batch, seconds, docsPerS: documents / seconds };
  } finally {
    await collection.drop().catch(() => {});
    await conn.close();
  }
}

/**
 * Single-document writes per second: `concurrency` writers, each one updateOne({_id}, {$set}) after
 * another, on random documents of a collection of `documents`, for `durationS` seconds.
 * @param {string} uri @param {{ documents: number, concurrency: number, durationS: number }} options
 */
async function singleWriteRate(uri, { documents, concurrency, durationS }) {
  const conn = await connect(uri);
  /** @type {any} */
  const collection = conn.collection('bench_scratch_writes');
  try {
    await collection.drop().catch(() => {});
    for (let i = 0; i < documents; i += 1000) {
      const docs = Array.from({ length: Math.min(1000, documents - i) }, (_, j) => keyLikeDocument(i + j));
      await collection.insertMany(docs, { ordered: false });
    }
    /** @type {number[]} */
    const latencies = [];
    let failures = 0;
    const began = process.hrtime.bigint();
    const end = Date.now() + durationS * 1000;
    const writer = async () => {
      while (Date.now() < end) {
        const at = process.hrtime.bigint();
        const i = Math.floor(Math.random() * documents);
        const set = { name: `scratch ${at}`, updated_at: new Date().toISOString() };
        try {
          const result = await collection.updateOne({ _id: `s${i}` }, { $set: set });
          if (result.matchedCount !== 1) failures += 1;
          else latencies.push(Number(process.hrtime.bigint() - at) / 1e6);
        } catch {
          failures += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, writer));
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    latencies.sort((a, b) => a - b);
    return {
      concurrency,
      writes: latencies.length,
      failures,
      writesPerS: latencies.length / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    await collection.drop().catch(() => {});
    await conn.close();
  }
}

module.exports = { bulkInsertRate, singleWriteRate, keyLikeDocument };
