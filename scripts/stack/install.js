'use strict';
// Fetches/builds the two servers into the per-user cache, once per version.
// Every install goes to a private temp path first and is renamed into place, so two stacks
// installing at the same time (dev and test, two clones) never see a half-written tree.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { StackError } = require('./errors');
const { renderPom } = require('./kafka-files');
const { formatDuration } = require('./log');
const versions = require('./versions');

const TOOL_HINTS = {
  java: `a Java ${versions.MIN_JAVA_MAJOR}+ runtime runs the Kafka broker (Debian: apt-get install openjdk-17-jre-headless)`,
  mvn: 'Maven fetches the Kafka broker jars on first use (Debian: apt-get install maven)',
  go: 'Go builds FerretDB on first use (Go 1.24 or newer)',
};

function missingTool(tool) {
  return new StackError(`"${tool}" was not found on PATH: ${TOOL_HINTS[tool]}`);
}

/** Parses the major version out of `java -version` output ("17.0.15", "1.8.0_392" -> 8, "21"). */
function parseJavaMajor(versionOutput) {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match) return null;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

function requireJava() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) {
    if (result.error.code === 'ENOENT') throw missingTool('java');
    throw result.error;
  }
  const major = parseJavaMajor(`${result.stderr}${result.stdout}`);
  if (major !== null && major < versions.MIN_JAVA_MAJOR) {
    throw new StackError(
      `Kafka ${versions.KAFKA_VERSION} needs Java ${versions.MIN_JAVA_MAJOR}+, but "java" on PATH is Java ${major}`,
    );
  }
}

const VERSION_ARGS = { mvn: ['-v'], go: ['version'] };

function requireTool(tool) {
  const result = spawnSync(tool, VERSION_ARGS[tool], { encoding: 'utf8' });
  if (result.error && result.error.code === 'ENOENT') throw missingTool(tool);
  if (result.error) throw result.error;
}

/** Runs a command to completion, capturing its output; rejects with the output on failure. */
function run(command, args, { cwd, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(error.code === 'ENOENT' ? missingTool(command) : error));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(output);
      else {
        const tail = output.trim().split('\n').slice(-30).join('\n');
        reject(new StackError(`${command} ${args.join(' ')} failed (${signal || `exit ${code}`}):\n${tail}`));
      }
    });
  });
}

function tempSibling(target) {
  return `${target}.tmp-${process.pid}-${Date.now()}`;
}

/** Renames tmp onto target; if another process won the race, keeps theirs. */
function publish(tmp, target) {
  try {
    fs.renameSync(tmp, target);
  } catch (error) {
    if (!['ENOTEMPTY', 'EEXIST', 'EISDIR'].includes(error.code) || !fs.existsSync(target)) throw error;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function kafkaHome(cacheDir) {
  return path.join(cacheDir, `kafka-${versions.KAFKA_VERSION}`);
}

function kafkaLibDir(cacheDir) {
  return path.join(kafkaHome(cacheDir), 'lib');
}

function isKafkaInstalled(cacheDir) {
  const jar = `kafka_${versions.KAFKA_SCALA}-${versions.KAFKA_VERSION}.jar`;
  return fs.existsSync(path.join(kafkaLibDir(cacheDir), jar));
}

/** @returns {Promise<string>} the lib directory to put on the classpath */
async function ensureKafkaInstalled(cacheDir, log) {
  const libDir = kafkaLibDir(cacheDir);
  if (isKafkaInstalled(cacheDir)) return libDir;

  requireTool('mvn');
  const home = kafkaHome(cacheDir);
  fs.mkdirSync(home, { recursive: true });
  const pom = path.join(home, `pom-${process.pid}.xml`);
  fs.writeFileSync(
    pom,
    renderPom({
      kafkaVersion: versions.KAFKA_VERSION,
      scalaVersion: versions.KAFKA_SCALA,
      log4jVersion: versions.LOG4J_VERSION,
      dependencyPluginVersion: versions.MAVEN_DEPENDENCY_PLUGIN_VERSION,
    }),
  );
  const tmp = tempSibling(libDir);
  const started = Date.now();
  log.info(`downloading Kafka ${versions.KAFKA_VERSION} broker jars with Maven into ${libDir} (first run only)...`);
  try {
    await run(
      'mvn',
      ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'],
      { cwd: home },
    );
    const jars = fs.readdirSync(tmp).filter((name) => name.endsWith('.jar'));
    publish(tmp, libDir);
    log.info(`downloaded ${jars.length} jars in ${formatDuration(Date.now() - started)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(pom, { force: true });
  }
  if (!isKafkaInstalled(cacheDir)) throw new StackError(`Maven finished but ${libDir} has no Kafka broker jar`);
  return libDir;
}

function ferretdbBinary(cacheDir) {
  return path.join(cacheDir, `ferretdb-${versions.FERRETDB_VERSION}`, 'ferretdb');
}

// The module cache is read-only; the copy we patch and build must be writable.
function makeWritable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else if (entry.isFile()) fs.chmodSync(full, 0o644);
  }
}

function isFerretdbInstalled(cacheDir) {
  return fs.existsSync(ferretdbBinary(cacheDir));
}

/** @returns {Promise<string>} path of the ferretdb binary */
async function ensureFerretdbInstalled(cacheDir, log) {
  const binary = ferretdbBinary(cacheDir);
  if (isFerretdbInstalled(cacheDir)) return binary;

  requireTool('go');
  const home = path.dirname(binary);
  fs.mkdirSync(home, { recursive: true });
  const started = Date.now();
  const moduleRef = `${versions.FERRETDB_MODULE}@${versions.FERRETDB_VERSION}`;
  log.info(
    `building FerretDB ${versions.FERRETDB_VERSION} from the Go module ${moduleRef} into ${binary} (first run only, 1-2 minutes)...`,
  );

  const info = JSON.parse(await run('go', ['mod', 'download', '-json', moduleRef], { cwd: home }));
  if (!info.Dir)
    throw new StackError(`go mod download gave no source directory for ${moduleRef}: ${info.Error || 'unknown error'}`);

  const src = tempSibling(path.join(home, 'src'));
  const tmpBinary = tempSibling(binary);
  try {
    fs.cpSync(info.Dir, src, { recursive: true });
    makeWritable(src);
    // The module zip lacks the generated version file; without it the binary panics at start.
    fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${versions.FERRETDB_VERSION}\n`);
    await run('go', ['build', '-trimpath', '-o', tmpBinary, './cmd/ferretdb'], {
      cwd: src,
      env: { ...process.env, GOFLAGS: '-buildvcs=false' },
    });
    publish(tmpBinary, binary);
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(tmpBinary, { force: true });
  }
  log.info(`built FerretDB in ${formatDuration(Date.now() - started)}`);
  return binary;
}

module.exports = {
  run,
  parseJavaMajor,
  requireJava,
  requireTool,
  isKafkaInstalled,
  isFerretdbInstalled,
  ensureKafkaInstalled,
  ensureFerretdbInstalled,
  kafkaLibDir,
  ferretdbBinary,
};
