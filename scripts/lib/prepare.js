'use strict';
// Shared by npm start, npm test, npm run cli and the bench: npm ci and nest build only when
// stale, and the addresses the service gets by default. npm ci and nest build (which empties
// dist/ first) each run under a lock, since two of these commands may run side by side.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { REPO_ROOT, StackError, formatDuration, exitOf } = require('./run');
const { withLock } = require('../stack/proc');
const { applyPatches } = require('../patch-dependencies');

/** @typedef {{ log: import('./run').Log, signal?: AbortSignal }} Options */

/** @param {string} file */
const mtimeMs = (file) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? null;

/**
 * 'missing' without the output, 'stale' when it has no stamp or an input is newer than the stamp, else 'fresh'.
 * @param {boolean} outputExists @param {number | null} stampMs @param {number} newestInputMs
 */
const staleness = (outputExists, stampMs, newestInputMs) =>
  !outputExists ? 'missing' : stampMs === null || newestInputMs > stampMs ? 'stale' : 'fresh';

/** Runs a program to completion, its output on our stderr (stdout belongs to the service). @param {string[]} args */
async function runToStderr(/** @type {string} */ command, args, /** @type {AbortSignal | undefined} */ signal) {
  const code = await exitOf(spawn(command, args, { cwd: REPO_ROOT, signal, stdio: ['ignore', 2, 2] }));
  if (code !== 0) throw new StackError(`${path.basename(command)} ${args.join(' ')} failed (exit ${code})`);
}

/**
 * npm ci when node_modules is absent, or package-lock.json changed after the last install (npm
 * writes node_modules/.package-lock.json at the end of every install); else the dependency patches
 * (scripts/patch-dependencies.js), which npm ci applies itself.
 * @param {Options} options
 */
function ensureDependencies({ log, signal }) {
  return withLock(path.join(REPO_ROOT, '.stack', 'npm-ci.lock'), log, async () => {
    const installed = mtimeMs(path.join(REPO_ROOT, 'node_modules', '.package-lock.json'));
    const lockfile = mtimeMs(path.join(REPO_ROOT, 'package-lock.json')) ?? 0;
    const state = staleness(fs.existsSync(path.join(REPO_ROOT, 'node_modules')), installed, lockfile);
    if (state === 'fresh') {
      // npm ci patches as its postinstall; a node_modules from before a new patch gets it here.
      applyPatches(path.join(REPO_ROOT, 'node_modules')).forEach((line) => log.info(`patched ${line}`));
      return;
    }
    const began = Date.now();
    log.info(`${state === 'missing' ? 'node_modules is missing' : 'package-lock.json changed'}: running npm ci...`);
    await runToStderr('npm', ['ci', '--no-audit', '--no-fund'], signal);
    log.info(`npm ci done in ${formatDuration(Date.now() - began)}`);
  });
}

/** Non-test TypeScript and the tsconfig/nest config can change the build output. @param {string} file */
function isBuildInput(file) {
  const name = path.basename(file);
  if (/^tsconfig.*\.json$/.test(name) || name === 'nest-cli.json') return true;
  return name.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(name);
}

/**
 * Newest modification among the build inputs under apps/ and libs/ and the root configs.
 * Directory times count too: deleting or renaming a source changes its directory.
 * @param {string} root
 */
function newestInputMtime(root) {
  let newest = Math.max(0, ...['tsconfig.json', 'nest-cli.json'].map((file) => mtimeMs(path.join(root, file)) ?? 0));
  /** @param {string} dir */
  const visit = (dir) => {
    if (!fs.existsSync(dir)) return;
    newest = Math.max(newest, fs.statSync(dir).mtimeMs);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (!entry.isDirectory()) newest = isBuildInput(full) ? Math.max(newest, fs.statSync(full).mtimeMs) : newest;
      else if (entry.name !== 'node_modules') visit(full);
    }
  };
  ['apps', 'libs'].forEach((dir) => visit(path.join(root, dir)));
  return newest;
}

/** The verifier's entry point, built with the service by ensureBuild. */
const VERIFIER_ENTRY = path.join(REPO_ROOT, 'dist', 'apps', 'verifier', 'src', 'main.js');

/**
 * Builds the api-keys app (and the verifier) when needed. The stamp is written after a successful `nest build` and
 * dated when that build started, so an edit made during the build, or a failed build that left
 * partial output, still counts as stale.
 * @param {Options & { entry: 'main' | 'cli' }} options
 * @returns {Promise<string>} absolute path of dist/apps/api-keys/src/<entry>.js
 */
function ensureBuild({ entry, log, signal }) {
  return withLock(path.join(REPO_ROOT, '.stack', 'build.lock'), log, async () => {
    const entryFile = path.join(REPO_ROOT, 'dist', 'apps', 'api-keys', 'src', `${entry}.js`);
    const stamp = path.join(REPO_ROOT, 'dist', '.api-keys-build-stamp');
    const built = fs.existsSync(entryFile) && fs.existsSync(VERIFIER_ENTRY) && fs.existsSync(stamp);
    const state = staleness(built, mtimeMs(stamp), newestInputMtime(REPO_ROOT));
    if (state === 'fresh') return entryFile;
    const began = new Date();
    const why = state === 'missing' ? 'no build found' : 'sources changed since the last build';
    log.info(`${why}: nest build api-keys, then verifier...`);
    // The api-keys build empties dist/ first; the verifier's adds to it (nest-cli.json).
    for (const app of ['api-keys', 'verifier']) {
      await runToStderr(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build', app],
        signal,
      );
    }
    for (const file of [entryFile, VERIFIER_ENTRY]) {
      if (!fs.existsSync(file)) throw new StackError(`the build did not produce ${path.relative(REPO_ROOT, file)}`);
    }
    fs.writeFileSync(stamp, `${began.toISOString()}\n`);
    fs.utimesSync(stamp, began, began);
    log.info(`built in ${formatDuration(Date.now() - began.getTime())}`);
    return entryFile;
  });
}

/** @param {string | undefined} value */
const isSet = (value) => value !== undefined && value.trim() !== '';

/**
 * Which local servers npm start (and the bench) must provide: those the environment does not point at.
 * @param {NodeJS.ProcessEnv} env @returns {import('../stack/lifecycle').ServerId[]}
 */
function serversToStart(env) {
  /** @type {import('../stack/lifecycle').ServerId[]} */
  const servers = isSet(env.KAFKA_BROKERS) ? [] : ['kafka'];
  return isSet(env.MONGODB_URI) ? servers : [...servers, 'mongo'];
}

/**
 * KAFKA_BROKERS and MONGODB_URI from the environment, else the local stack's addresses.
 * @param {NodeJS.ProcessEnv} env @param {{ kafkaBrokers: string, mongoUrl: string }} settings
 */
const connectionEnv = (env, settings) => ({
  KAFKA_BROKERS: isSet(env.KAFKA_BROKERS) ? String(env.KAFKA_BROKERS) : settings.kafkaBrokers,
  MONGODB_URI: isSet(env.MONGODB_URI) ? String(env.MONGODB_URI) : `${settings.mongoUrl}api_keys`,
});

/**
 * The V8 limits the service runs with unless NODE_OPTIONS says otherwise (the Dockerfile sets the
 * same; scripts/docker-compose.spec.ts holds them equal). Without them V8 on a large machine lets
 * the heap grow far past what the service keeps alive (55-90 MB at 100,000 keys) before collecting,
 * and a backlog or a burst of requests took the service's RSS to 420-520 MB; with them, 197 MB at
 * 100,000 keys, at no measured cost in throughput (docs/benchmarks.md, `npm run bench -- --scale`).
 */
const SERVICE_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=4';

/** The service's NODE_OPTIONS: the operator's when set, else ours. @param {NodeJS.ProcessEnv} env */
const serviceNodeOptions = (env) => (isSet(env.NODE_OPTIONS) ? String(env.NODE_OPTIONS) : SERVICE_NODE_OPTIONS);

/**
 * The service's environment for npm start: that connection, PORT 3000 unless given, its V8
 * limits, the rest as is.
 * @param {NodeJS.ProcessEnv} env @param {{ kafkaBrokers: string, mongoUrl: string }} settings
 */
const serviceEnv = (env, settings) => ({
  ...env,
  ...connectionEnv(env, settings),
  PORT: env.PORT?.trim() || '3000',
  NODE_OPTIONS: serviceNodeOptions(env),
});

/**
 * The verifier's own runtime settings, for npm start, npm run start:verifier, the verify bench and
 * docker-compose (scripts/docker-compose.spec.ts holds them equal). The verifier holds every key in
 * memory and allocates little per request, so it runs with smaller semi-spaces than the service
 * (1 MB: V8 keeps fewer MB of young generation around), and glibc's allocator is told to hand
 * freed memory back: the state topic is read in fetches whose buffers, freed once applied, stayed
 * in the process otherwise. Together about 20 MB of RSS at 100,000 keys (docs/benchmarks.md,
 * `npm run bench -- --verify`; the README's sizing notes). The old-space limit is the service's:
 * raise it past ~250,000 keys (README). An operator's NODE_OPTIONS or MALLOC_* replace these.
 */
const VERIFIER_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=1';
const VERIFIER_MALLOC_ENV = Object.freeze({
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
});

/**
 * NODE_OPTIONS and the glibc allocator's settings for a verifier: the operator's when set, else ours.
 * @param {NodeJS.ProcessEnv} env @returns {Record<string, string>}
 */
const verifierRuntimeEnv = (env) => ({
  ...Object.fromEntries(
    Object.entries(VERIFIER_MALLOC_ENV).map(([name, value]) => [name, isSet(env[name]) ? String(env[name]) : value]),
  ),
  NODE_OPTIONS: isSet(env.NODE_OPTIONS) ? String(env.NODE_OPTIONS) : VERIFIER_NODE_OPTIONS,
});

/**
 * The verifier's token for a local run: VERIFIER_TOKEN when set; else the one this STACK_DIR
 * keeps in `verifier-token` (so callers set up earlier keep working), made on first use: 256
 * random bits, base64url, readable by this user only.
 * @param {NodeJS.ProcessEnv} env @param {{ paths: { verifierTokenFile: string } }} settings
 * @returns {{ token: string, file: string | null }} file: where it is kept (null: from the environment)
 */
function verifierToken(env, settings) {
  if (isSet(env.VERIFIER_TOKEN)) return { token: String(env.VERIFIER_TOKEN).trim(), file: null };
  const file = settings.paths.verifierTokenFile;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { token: fs.readFileSync(file, 'utf8').trim(), file };
}

/**
 * The verifier's environment for npm start and npm run start:verifier: the service's (the same
 * Kafka and topics), its own runtime settings (verifierRuntimeEnv), its port (3100 unless
 * VERIFIER_PORT says), its token.
 * @param {NodeJS.ProcessEnv} env @param {{ kafkaBrokers: string, mongoUrl: string }} settings @param {string} token
 */
const verifierEnv = (env, settings, token) => ({
  ...serviceEnv(env, settings),
  ...verifierRuntimeEnv(env),
  VERIFIER_PORT: env.VERIFIER_PORT?.trim() || '3100',
  VERIFIER_TOKEN: token,
});

/** For log lines: a connection string without its password. @param {string} uri */
const redactUri = (uri) => uri.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');

module.exports = {
  staleness,
  ensureDependencies,
  isBuildInput,
  newestInputMtime,
  ensureBuild,
  serversToStart,
  connectionEnv,
  SERVICE_NODE_OPTIONS,
  serviceNodeOptions,
  serviceEnv,
  VERIFIER_ENTRY,
  VERIFIER_NODE_OPTIONS,
  VERIFIER_MALLOC_ENV,
  verifierRuntimeEnv,
  verifierToken,
  verifierEnv,
  redactUri,
};
