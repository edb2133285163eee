#!/usr/bin/env node
'use strict';
// npm run cli -- <args>: dependencies and build as for npm start, then the service's own CLI
// (dist/apps/api-keys/src/cli.js) against the same default servers. Starts no servers.
const { runForeground, runMain } = require('./lib/run');
const { ensureDependencies, ensureBuild, connectionEnv } = require('./lib/prepare');
const { onPinnedNode } = require('./lib/node-runtime');
const { readStackSettings } = require('./stack/settings');

onPinnedNode('cli', () =>
  runMain('cli', async (log, signal) => {
    const env = { ...process.env, ...connectionEnv(process.env, readStackSettings(process.env)) };
    await ensureDependencies({ log, signal });
    const entry = await ensureBuild({ entry: 'cli', log, signal });
    return runForeground(process.execPath, [entry, ...process.argv.slice(2)], { env, detached: true, log });
  }),
);
