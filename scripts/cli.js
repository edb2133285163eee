#!/usr/bin/env node
'use strict';
// npm run cli -- <args>: dependencies and build as for npm start, then the service's own CLI
// (dist/apps/api-keys/src/cli.js) against the same default servers. Starts no servers.
const os = require('node:os');
const path = require('node:path');
const { readStackSettings } = require('./stack/settings');
const { createLogger } = require('./stack/log');
const { StackError } = require('./stack/errors');
const { ensureDependencies, ensureBuild, connectionEnv } = require('./lib/prepare');
const { exitCodeOf, runForwardingSignals } = require('./lib/run');

const REPO_ROOT = path.resolve(__dirname, '..');

async function main(args) {
  const log = createLogger('cli');
  const settings = readStackSettings(process.env, { repoRoot: REPO_ROOT, homeDir: os.homedir() });
  await ensureDependencies(REPO_ROOT, { log });
  const entry = await ensureBuild(REPO_ROOT, { entry: 'cli', log });
  const env = { ...process.env, ...connectionEnv(process.env, settings) };
  const result = await runForwardingSignals(process.execPath, [entry, ...args], { env, detached: true });
  return exitCodeOf(result);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(error instanceof StackError ? `[cli] error: ${error.message}\n` : `[cli] ${error.stack}\n`);
    process.exit(1);
  },
);
