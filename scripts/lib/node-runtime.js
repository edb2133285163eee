'use strict';
// The one Node.js version the project runs on is written in .node-version (the Dockerfile and
// package.json's engines are held to it by scripts/docker-compose.spec.ts). npm start, npm test,
// the CLI and the bench run on exactly that version: on a machine whose own Node is another one,
// they install the pinned Node once from the npm registry (the `node-<os>-<cpu>` package ships
// the official binary) into the user's cache and re-run themselves on it. Children they spawn with
// process.execPath, or `node`/`npm` from PATH, follow. Node builtins only: this runs first.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { REPO_ROOT, StackError, createLogger, describeError, exitOf, formatDuration } = require('./run');
const { installOnce } = require('../stack/install');
const { readStackSettings } = require('../stack/settings');

const NODE_VERSION_FILE = path.join(REPO_ROOT, '.node-version');
// Set in the re-run's environment: if that process is still on another version, something is
// wrong with the install, and re-running again would loop.
const REEXEC_MARKER = 'API_KEYS_PINNED_NODE';
/** @type {NodeJS.Signals[]} */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The exact version in .node-version ("24.1.0", no "v"). @param {string} [file] */
function pinnedNodeVersion(file = NODE_VERSION_FILE) {
  const version = fs.readFileSync(file, 'utf8').trim().replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new StackError(`${file} must hold an exact version, got "${version}"`);
  return version;
}

/**
 * The npm package that ships Node's official binary for this machine.
 * @param {NodeJS.Platform} platform @param {string} arch
 */
function nodePackageName(platform = process.platform, arch = process.arch) {
  if (!['linux', 'darwin'].includes(platform) || !['x64', 'arm64'].includes(arch))
    throw new StackError(`no pinned Node for ${platform}-${arch}: install Node ${pinnedNodeVersion()} yourself`);
  return `node-${platform}-${arch}`;
}

/** Where the pinned Node lives in the cache, keyed by version and machine. @param {string} cacheDir @param {string} version */
const nodeInstallDir = (cacheDir, version) =>
  path.join(cacheDir, 'node', `${version}-${process.platform}-${process.arch}`);

/** Runs a command, its errors on our stderr; fails on a non-zero exit. @param {string} command @param {string[]} args @param {string} cwd */
async function run(command, args, cwd) {
  const code = await exitOf(spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 2] }));
  if (code !== 0) throw new StackError(`${command} ${args.join(' ')} failed (exit ${code})`);
}

/**
 * The pinned Node's binary, installed into the cache first if it is not there yet.
 * @param {{ version: string, cacheDir: string, log: import('./run').Log }} options @returns {Promise<string>}
 */
async function ensureNode({ version, cacheDir, log }) {
  const dir = nodeInstallDir(cacheDir, version);
  const binary = path.join(dir, 'bin', 'node');
  if (fs.existsSync(binary)) return binary;
  const spec = `${nodePackageName()}@${version}`;
  log.info(`installing Node ${version} (npm package ${spec}) into ${dir}...`);
  const began = Date.now();
  await installOnce(dir, async (tmp) => {
    fs.mkdirSync(tmp, { recursive: true });
    // npm pack checks the tarball against the registry's integrity hash; tar unpacks it.
    await run('npm', ['pack', spec, '--silent', '--pack-destination', tmp], tmp);
    const tarball = fs.readdirSync(tmp).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new StackError(`npm pack ${spec} produced no tarball`);
    await run('tar', ['-xzf', tarball, '--strip-components=1'], tmp);
    fs.rmSync(path.join(tmp, tarball));
  });
  if (!fs.existsSync(binary)) throw new StackError(`${spec} did not contain bin/node`);
  log.info(`installed Node ${version} in ${formatDuration(Date.now() - began)}`);
  return binary;
}

/**
 * Runs `start` when this process is on the pinned Node. Otherwise installs that Node if needed and
 * runs this same script with the same arguments on it, in its own session: every signal we get
 * is passed on as it came (the script decides what a second Ctrl-C means), and we exit as it did.
 * @param {string} name the entry point's log prefix @param {() => void} start
 */
function onPinnedNode(name, start) {
  const version = pinnedNodeVersion();
  if (process.version === `v${version}`) return start();
  const log = createLogger(name);
  if (process.env[REEXEC_MARKER]) {
    log.info(`error: re-ran on the pinned Node ${version}, but this is ${process.version} (${process.execPath})`);
    return process.exit(1);
  }
  const { cacheDir } = readStackSettings(process.env);
  ensureNode({ version, cacheDir, log }).then(
    async (node) => {
      log.info(`this is Node ${process.version}; the project runs on ${version}: re-running on ${node}`);
      const env = {
        ...process.env,
        [REEXEC_MARKER]: version,
        PATH: [path.dirname(node), process.env.PATH].filter(Boolean).join(path.delimiter),
      };
      const child = spawn(node, process.argv.slice(1), { stdio: 'inherit', env, detached: true });
      /** @param {NodeJS.Signals} signal */
      const relay = (signal) => child.exitCode === null && child.signalCode === null && child.kill(signal);
      SIGNALS.forEach((signal) => process.on(signal, relay));
      process.exit(await exitOf(child));
    },
    (error) => {
      log.info(error instanceof StackError ? `error: ${error.message}` : describeError(error));
      process.exit(1);
    },
  );
}

module.exports = { NODE_VERSION_FILE, pinnedNodeVersion, nodePackageName, nodeInstallDir, ensureNode, onPinnedNode };
