#!/usr/bin/env node
'use strict';
// npm run start:verifier: one more verifier, in the foreground, on the VERIFIER_PORT it is given
// (npm start's own has 3100), reading the state topic of the Kafka npm start uses (or
// KAFKA_BROKERS) with the token npm start keeps in <STACK_DIR>/verifier-token (or VERIFIER_TOKEN).
// It starts no servers: a verifier needs only Kafka, and the topic the service creates.
const path = require('node:path');
const { REPO_ROOT, StackError, runForeground, runMain } = require('./lib/run');
const { ensureDependencies, ensureBuild, VERIFIER_ENTRY, verifierEnv, verifierToken } = require('./lib/prepare');
const { onPinnedNode } = require('./lib/node-runtime');
const { readStackSettings } = require('./stack/settings');

/** @type {Parameters<typeof runMain>[1]} */
async function main(log, signal) {
  if (!process.env.VERIFIER_PORT?.trim())
    throw new StackError("set VERIFIER_PORT: npm start's verifier already has the default, 3100");
  const settings = readStackSettings(process.env);
  await ensureDependencies({ log, signal });
  await ensureBuild({ entry: 'main', log, signal });
  if (signal.aborted) throw new StackError('interrupted');
  const { token, file } = verifierToken(process.env, settings);
  const env = verifierEnv(process.env, settings, token);
  log.info(
    `starting a verifier on port ${env.VERIFIER_PORT} (KAFKA_BROKERS=${env.KAFKA_BROKERS}); its token: ${file ?? 'VERIFIER_TOKEN, as given'}`,
  );
  const code = await runForeground(process.execPath, [path.relative(REPO_ROOT, VERIFIER_ENTRY)], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    log,
  });
  log.info(`verifier exited (code ${code})`);
  return code;
}

onPinnedNode('start:verifier', () => runMain('start:verifier', main));
