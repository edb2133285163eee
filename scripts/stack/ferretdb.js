'use strict';
// The local MongoDB-protocol server: FerretDB with SQLite storage, built from its Go module
// source into the per-user cache once per version.
const fs = require('node:fs');
const path = require('node:path');
const { StackError, formatDuration, withTimeout } = require('../lib/run');
const { requireTool, runCaptured, installOnce, loadDependency } = require('./install');

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_VERSION = 'v1.24.2';

/**
 * Our changes to FerretDB's source, applied before building; the install is named after them, so a
 * changed list builds anew. Each must find its text exactly once, or the build fails.
 *
 * id-index: the SQLite backend filters `_id` with `_ferretdb_sjson->'$._id'`, but the unique index
 * every collection gets is on `_ferretdb_sjson->"_id"`. Both give the same value, yet SQLite uses an
 * index only for the very expression it was built on, so every find, update and delete by `_id`
 * scanned the whole table (SQLite's plan: `SCAN`, 134 ms for a missing `_id` among 20,000
 * documents). `->'_id'` is the same lookup in the index's own spelling (plan: `SEARCH ... USING
 * INDEX`). Nothing stored changes: the index already exists in every collection.
 */
const PATCHES = [
  {
    name: 'id-index',
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + "->'_id'"`,
  },
];
const BUILD = [FERRETDB_VERSION, ...PATCHES.map((patch) => patch.name)].join('-');

/** @param {string} cacheDir */
const binaryOf = (cacheDir) => path.join(cacheDir, `ferretdb-${BUILD}`, 'ferretdb');

/**
 * Applies the patches to a writable copy of the source.
 * @param {string} src @param {Array<{ name: string, file: string, from: string, to: string }>} patches
 */
function patchSource(src, patches = PATCHES) {
  for (const { name, file, from, to } of patches) {
    const target = path.join(src, file);
    const text = fs.readFileSync(target, 'utf8');
    const found = text.split(from).length - 1;
    if (found !== 1) throw new StackError(`FerretDB patch ${name}: expected "${from}" once in ${file}, found ${found}`);
    fs.writeFileSync(target, text.replace(from, to));
  }
}

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
  log.info(
    `building FerretDB from the Go module ${moduleRef} (${BUILD}) into ${binary} (first run only, 1-2 minutes)...`,
  );
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
      patchSource(src);
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

module.exports = { ferretdbArgs, ferretdbServer, patchSource };
