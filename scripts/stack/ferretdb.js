'use strict';
// The local MongoDB-protocol server: FerretDB with SQLite storage, built from its Go module
// source into the per-user cache once per version.
const fs = require('node:fs');
const path = require('node:path');
const { StackError, formatDuration, withTimeout } = require('../lib/run');
const { requireTool, runCaptured, installOnce, loadDependency } = require('./install');
const { readPidFile, isAlive } = require('./proc');

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
 *
 * update-reads-first: an `update` command kept each statement's query open (its SQLite read
 * transaction and pooled connection) until the whole command ended, and wrote each match while its
 * own query was still open. So every automatic WAL checkpoint, which runs after a commit, found a
 * reader older than that commit and stopped short: the WAL was never reset and grew without bound
 * under updates (62 MB in ten seconds for a 28 MB database), and a command updating 100 existing
 * documents waited forever for one of the 100 pooled connections. Now each statement reads its
 * matches, closes that query, then writes them (the WAL stays near its 4 MB checkpoint size; 250
 * updates in one command take 0.3 s).
 */
const PATCHES = [
  {
    name: 'id-index',
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + "->'_id'"`,
  },
  {
    name: 'update-reads-first',
    file: 'internal/handler/msg_update.go',
    from: '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n',
    to: [
      '\t\tdocs, err := iterator.ConsumeValues(iterator.Interface[struct{}, *types.Document](iter))',
      '\t\tif err != nil {',
      '\t\t\treturn 0, 0, nil, lazyerrors.Error(err)',
      '\t\t}',
      '',
      '\t\tfound := iterator.Values(iterator.ForSlice(docs))',
      '\t\tcloser.Add(found)',
      '',
      '\t\tresult, err := common.UpdateDocument(ctx, c, "update", found, &u)',
      '',
    ].join('\n'),
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
 * SQLite settings for every connection, passed as `_pragma` parameters of the SQLite URL: FerretDB
 * keeps them and adds its own (busy_timeout, journal_mode=wal, auto_vacuum) only where the URL sets
 * none, and the driver runs each as `PRAGMA <value>` on every new connection.
 * - wal_autocheckpoint: copy the WAL into the database after any commit that leaves it over 1,000
 *   pages (4 MB; SQLite's default, stated so that it is not lost by accident);
 * - journal_size_limit: when a checkpoint has reset the WAL, cut the file back to 16 MB. Without
 *   it the file keeps the largest size it ever reached, however small the database.
 */
const SQLITE_PRAGMAS = ['wal_autocheckpoint(1000)', `journal_size_limit(${16 * 1024 * 1024})`];

/**
 * FerretDB on loopback: SQLite storage (a file: URI naming a directory, with its trailing slash,
 * and SQLITE_PRAGMAS), no telemetry, no debug listener, its state.json in stateDir rather than the
 * working directory.
 * @param {{ host: string, port: number, dataDir: string, stateDir: string }} options
 */
function ferretdbArgs({ host, port, dataDir, stateDir }) {
  const pragmas = SQLITE_PRAGMAS.map((pragma) => `_pragma=${encodeURIComponent(pragma)}`).join('&');
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${encodeURI(dataDir.endsWith('/') ? dataDir : `${dataDir}/`)}?${pragmas}`,
    `--listen-addr=${host}:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
    `--state-dir=${stateDir}`,
  ];
}

/**
 * Removes the `<db>.sqlite-wal` / `-shm` files whose `<db>.sqlite` is gone: FerretDB drops a
 * database by deleting its main file only, and leaves those behind when a connection outlives the
 * drop (hundreds of MB after a few bench runs). SQLite creates the main file before them, so a
 * WAL without one belongs to a dropped database, also while FerretDB runs.
 * @param {string} dataDir @returns {{ files: string[], bytes: number }} what was removed
 */
function removeOrphanedFiles(dataDir) {
  const removed = { files: /** @type {string[]} */ ([]), bytes: 0 };
  if (!fs.existsSync(dataDir)) return removed;
  const names = fs.readdirSync(dataDir).sort();
  const present = new Set(names);
  for (const name of names) {
    const match = /^(.+\.sqlite)-(wal|shm)$/.exec(name);
    if (!match || present.has(match[1])) continue;
    const file = path.join(dataDir, name);
    try {
      removed.bytes += fs.statSync(file).size;
      fs.rmSync(file, { force: true });
      removed.files.push(name);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
  return removed;
}

/**
 * The data directory of this STACK_DIR's FerretDB when it is the one running on the configured
 * port (started by this stack, now or earlier); null otherwise (someone else's server).
 * @param {import('./settings').StackSettings} settings
 */
function ownDataDir(settings) {
  const record = readPidFile(settings.paths.mongo.pidFile);
  const ours = record !== null && record.port === settings.mongoPort && isAlive(record.pid);
  return ours ? settings.paths.mongo.dataDir : null;
}

/** Total size of the files in a directory, in bytes (0 when it does not exist). @param {string} dir */
function directoryBytes(dir) {
  if (!fs.existsSync(dir)) return 0;
  let bytes = 0;
  for (const name of fs.readdirSync(dir))
    bytes += fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
  return bytes;
}

/**
 * Runs `work` with a driver client of the server at `url`.
 * @template T @param {string} url @param {(client: any) => Promise<T>} work
 */
async function withClient(url, work) {
  const { MongoClient } = loadDependency('mongoose').mongo;
  const client = new MongoClient(url, { directConnection: true, serverSelectionTimeoutMS: 5000 });
  try {
    await withTimeout(client.connect(), 6000, 'MongoDB connect');
    return await work(client);
  } finally {
    await client.close(true).catch(() => {});
  }
}

/** The names of the server's databases. @param {string} url @returns {Promise<string[]>} */
function databaseNames(url) {
  return withClient(url, async (client) => {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    return databases.map((/** @type {{ name: string }} */ d) => d.name);
  });
}

/** Drops the named databases. @param {string} url @param {string[]} names */
function dropDatabases(url, names) {
  return withClient(url, async (client) => {
    for (const name of names) await withTimeout(client.db(name).dropDatabase(), 10_000, `dropping ${name}`);
  });
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
      const orphans = removeOrphanedFiles(files.dataDir);
      if (orphans.files.length > 0) {
        const mb = (orphans.bytes / 1e6).toFixed(1);
        log.info(`removed ${orphans.files.length} files of dropped FerretDB databases (${mb} MB)`);
      }
      const { host, mongoPort: port } = settings;
      return { command: binary, args: ferretdbArgs({ host, port, dataDir: files.dataDir, stateDir }), cwd: files.dir };
    },
  };
}

module.exports = {
  ferretdbArgs,
  ferretdbServer,
  patchSource,
  removeOrphanedFiles,
  ownDataDir,
  directoryBytes,
  databaseNames,
  dropDatabases,
};
