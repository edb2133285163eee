'use strict';
// The local MongoDB-protocol server: FerretDB with SQLite storage, built from its Go module
// source into the per-user cache once per version.
const fs = require('node:fs');
const path = require('node:path');
const { StackError, formatDuration, withTimeout } = require('../lib/run');
const { requireTool, runCaptured, installOnce, loadDependency } = require('./install');

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_VERSION = 'v1.24.2';

/** @param {string} cacheDir */
const binaryOf = (cacheDir) => path.join(cacheDir, `ferretdb-${FERRETDB_VERSION}`, 'ferretdb');

/**
 * A plain `go install ...@version` builds a binary that panics at start: the module zip lacks the
 * generated build/version/version.txt. So: download the module, copy it, fill that file in, build.
 * @param {string} cacheDir @param {import('../lib/run').Log} log
 */
async function ensureInstalled(cacheDir, log) {
  const binary = binaryOf(cacheDir);
  if (fs.existsSync(binary)) return binary;
  requireTool('go');
  const began = Date.now();
  const moduleRef = `${FERRETDB_MODULE}@${FERRETDB_VERSION}`;
  log.info(`building FerretDB from the Go module ${moduleRef} into ${binary} (first run only, 1-2 minutes)...`);
  await installOnce(binary, async (tmp) => {
    const info = JSON.parse(
      await runCaptured('go', ['mod', 'download', '-json', moduleRef], { cwd: path.dirname(tmp) }),
    );
    if (!info.Dir) throw new StackError(`go mod download gave no source directory for ${moduleRef}: ${info.Error}`);
    const src = `${tmp}-src`;
    try {
      fs.cpSync(info.Dir, src, { recursive: true });
      await runCaptured('chmod', ['-R', 'u+w', src], { cwd: src }); // the module cache is read-only
      fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
      const env = { ...process.env, GOFLAGS: '-buildvcs=false' };
      await runCaptured('go', ['build', '-trimpath', '-o', tmp, './cmd/ferretdb'], { cwd: src, env });
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });
  log.info(`built FerretDB in ${formatDuration(Date.now() - began)}`);
  return binary;
}

/**
 * FerretDB on loopback: SQLite storage (a file: URI naming a directory, with its trailing slash),
 * no telemetry, no debug listener, its state.json in stateDir rather than the working directory.
 * @param {{ host: string, port: number, dataDir: string, stateDir: string }} options
 */
function ferretdbArgs({ host, port, dataDir, stateDir }) {
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${encodeURI(dataDir.endsWith('/') ? dataDir : `${dataDir}/`)}`,
    `--listen-addr=${host}:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
    `--state-dir=${stateDir}`,
  ];
}

/**
 * Healthy when a ping on the MongoDB wire protocol answers; throws otherwise.
 * @param {string} url @param {number} timeoutMs
 */
async function probeMongo(url, timeoutMs) {
  const { MongoClient } = loadDependency('mongoose').mongo;
  const options = { directConnection: true, serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs };
  const client = new MongoClient(url, options);
  try {
    await withTimeout(client.connect(), timeoutMs + 1000, 'MongoDB connect');
    await withTimeout(client.db('admin').command({ ping: 1 }), timeoutMs, 'MongoDB ping');
    return true;
  } finally {
    await client.close(true).catch(() => {});
  }
}

/** @param {import('./settings').StackSettings} settings */
function ferretdbServer(settings) {
  const files = settings.paths.mongo;
  return {
    id: 'mongo',
    label: `FerretDB ${FERRETDB_VERSION}`,
    kind: 'MongoDB-protocol server',
    port: settings.mongoPort,
    portVariable: 'MONGO_PORT',
    address: settings.mongoUrl,
    files,
    marker: 'ferretdb',
    graceMs: 10_000,
    probe: (/** @type {number} */ timeoutMs) => probeMongo(settings.mongoUrl, timeoutMs),
    async preflight() {
      if (!fs.existsSync(binaryOf(settings.cacheDir))) requireTool('go');
    },
    /** @param {import('../lib/run').Log} log */
    async prepare(log) {
      const binary = await ensureInstalled(settings.cacheDir, log);
      const stateDir = path.join(files.dir, 'state');
      for (const dir of [files.dataDir, stateDir]) fs.mkdirSync(dir, { recursive: true });
      const { host, mongoPort: port } = settings;
      return { command: binary, args: ferretdbArgs({ host, port, dataDir: files.dataDir, stateDir }), cwd: files.dir };
    },
  };
}

module.exports = { ferretdbArgs, ferretdbServer };
