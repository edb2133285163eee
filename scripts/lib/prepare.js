'use strict';
// Shared by npm start, npm test and npm run cli: install dependencies and build only when stale,
// and the connection settings the service gets by default. Node builtins only: this runs
// before node_modules exists.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StackError } = require('../stack/errors');
const { formatDuration } = require('../stack/log');
const { acquireLock } = require('../stack/lock');
const { exitCodeOf, waitForChild } = require('./run');

const BUILD_STAMP = path.join('dist', '.api-keys-build-stamp');
const SOURCE_DIRS = ['apps', 'libs'];
const ROOT_BUILD_FILES = ['tsconfig.json', 'nest-cli.json'];

// npm start, npm test, npm run cli and the bench may run side by side: two `npm ci` or two
// `nest build` (which empties dist/ first) at once would break each other.
function toolLock(repoRoot, name) {
  return path.join(repoRoot, '.stack', `${name}.lock`);
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * npm ci is needed when node_modules is absent, or the lockfile changed after the last install
 * (npm writes node_modules/.package-lock.json at the end of every install).
 * @returns {'missing' | 'stale' | 'fresh'}
 */
function dependencyState({ nodeModulesExists, lockMtimeMs, installedLockMtimeMs }) {
  if (!nodeModulesExists) return 'missing';
  if (installedLockMtimeMs === null) return 'stale';
  if (lockMtimeMs !== null && lockMtimeMs > installedLockMtimeMs) return 'stale';
  return 'fresh';
}

/** Runs a program to completion with its output on our stderr (stdout belongs to the service). */
async function runToStderr(command, args, { cwd, env, signal } = {}) {
  const child = spawn(command, args, { cwd, env, signal, stdio: ['ignore', 2, 2] });
  const result = await waitForChild(child);
  if (result.code !== 0) {
    const why =
      result.error && result.error.code === 'ENOENT' ? `${command} not found on PATH` : `exit ${exitCodeOf(result)}`;
    throw new StackError(`${path.basename(command)} ${args.join(' ')} failed (${why})`);
  }
}

async function ensureDependencies(repoRoot, { log, signal } = {}) {
  const release = await acquireLock(toolLock(repoRoot, 'npm-ci'), { log });
  try {
    return await installIfStale(repoRoot, { log, signal });
  } finally {
    release();
  }
}

async function installIfStale(repoRoot, { log, signal }) {
  const state = dependencyState({
    nodeModulesExists: fs.existsSync(path.join(repoRoot, 'node_modules')),
    lockMtimeMs: mtimeMs(path.join(repoRoot, 'package-lock.json')),
    installedLockMtimeMs: mtimeMs(path.join(repoRoot, 'node_modules', '.package-lock.json')),
  });
  if (state === 'fresh') return false;
  const began = Date.now();
  log.info(
    `${state === 'missing' ? 'node_modules is missing' : 'package-lock.json changed since the last install'}: running npm ci...`,
  );
  await runToStderr('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repoRoot, signal });
  log.info(`npm ci done in ${formatDuration(Date.now() - began)}`);
  return true;
}

/** Which files can change the build output: non-test TypeScript and the tsconfig/nest config. */
function isBuildInput(relativePath) {
  const name = path.basename(relativePath);
  if (/^tsconfig.*\.json$/.test(name) || name === 'nest-cli.json') return true;
  return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.e2e-spec.ts');
}

/**
 * Newest modification among the build inputs. Directory mtimes count too: deleting or renaming
 * a source file changes its directory, and that must trigger a rebuild as well.
 */
function newestInputMtime(repoRoot) {
  let newest = 0;
  const visit = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if (error.code === 'ENOENT') return;
      throw error;
    }
    newest = Math.max(newest, fs.statSync(dir).mtimeMs);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') visit(full);
      } else if (isBuildInput(full)) {
        newest = Math.max(newest, fs.statSync(full).mtimeMs);
      }
    }
  };
  for (const dir of SOURCE_DIRS) visit(path.join(repoRoot, dir));
  for (const file of ROOT_BUILD_FILES) newest = Math.max(newest, mtimeMs(path.join(repoRoot, file)) || 0);
  return newest;
}

/**
 * The stamp is written after a successful `nest build` and dated when that build started, so an
 * edit made during the build, or a failed build that left partial output, still counts as stale.
 * @returns {'missing' | 'stale' | 'fresh'}
 */
function buildState({ entryExists, stampMtimeMs, newestInputMtimeMs }) {
  if (!entryExists || stampMtimeMs === null) return 'missing';
  return newestInputMtimeMs > stampMtimeMs ? 'stale' : 'fresh';
}

/**
 * Builds the api-keys app when needed.
 * @param {{ entry: 'main' | 'cli', log: any, signal?: AbortSignal }} options
 * @returns {Promise<string>} absolute path of dist/apps/api-keys/src/<entry>.js
 */
async function ensureBuild(repoRoot, { entry, log, signal }) {
  const release = await acquireLock(toolLock(repoRoot, 'build'), { log });
  try {
    return await buildIfStale(repoRoot, { entry, log, signal });
  } finally {
    release();
  }
}

async function buildIfStale(repoRoot, { entry, log, signal }) {
  const entryFile = path.join(repoRoot, 'dist', 'apps', 'api-keys', 'src', `${entry}.js`);
  const stamp = path.join(repoRoot, BUILD_STAMP);
  const state = buildState({
    entryExists: fs.existsSync(entryFile),
    stampMtimeMs: mtimeMs(stamp),
    newestInputMtimeMs: newestInputMtime(repoRoot),
  });
  if (state === 'fresh') return entryFile;

  const began = new Date();
  log.info(
    `${state === 'missing' ? 'no build found' : 'sources changed since the last build'}: nest build api-keys...`,
  );
  const nest = path.join(repoRoot, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
  await runToStderr(process.execPath, [nest, 'build', 'api-keys'], { cwd: repoRoot, signal });
  if (!fs.existsSync(entryFile)) {
    throw new StackError(
      `the build did not produce ${path.relative(repoRoot, entryFile)} (is there an apps/api-keys/src/${entry}.ts?)`,
    );
  }
  fs.writeFileSync(stamp, `${began.toISOString()}\n`);
  fs.utimesSync(stamp, began, began);
  log.info(`built in ${formatDuration(Date.now() - began.getTime())}`);
  return entryFile;
}

function isSet(value) {
  return value !== undefined && value.trim() !== '';
}

/** Which local servers `npm start` has to provide: those the environment does not point at. */
function serversToStart(env) {
  const servers = [];
  if (!isSet(env.KAFKA_BROKERS)) servers.push('kafka');
  if (!isSet(env.MONGODB_URI)) servers.push('mongo');
  return servers;
}

/** KAFKA_BROKERS and MONGODB_URI from the environment, else the local stack's addresses. */
function connectionEnv(env, settings) {
  return {
    KAFKA_BROKERS: isSet(env.KAFKA_BROKERS) ? env.KAFKA_BROKERS : settings.kafkaBrokers,
    MONGODB_URI: isSet(env.MONGODB_URI) ? env.MONGODB_URI : `${settings.mongoUrl}api_keys`,
  };
}

/** The service's whole environment for `npm start`. */
function serviceEnv(env, settings) {
  return { ...env, ...connectionEnv(env, settings), PORT: isSet(env.PORT) ? env.PORT : '3000' };
}

/** For log lines: a connection string without its password. */
function redactUri(uri) {
  return uri.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

module.exports = {
  redactUri,
  dependencyState,
  ensureDependencies,
  isBuildInput,
  newestInputMtime,
  buildState,
  ensureBuild,
  serversToStart,
  connectionEnv,
  serviceEnv,
};
