'use strict';
// What installing and probing the servers needs: tools on PATH, commands with captured output,
// installs that appear atomically, and npm dependencies that exist only after `npm ci`.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { StackError } = require('../lib/run');

const MIN_JAVA_MAJOR = 17;
/** @type {Record<string, string>} */
const TOOL_HINTS = {
  java: `a Java ${MIN_JAVA_MAJOR}+ runtime runs the Kafka broker (Debian: apt-get install openjdk-17-jre-headless)`,
  mvn: 'Maven fetches the Kafka broker jars on first use (Debian: apt-get install maven)',
  go: 'Go builds FerretDB on first use (Go 1.24 or newer)',
};

/** @param {string} tool */
const missingTool = (tool) => new StackError(`"${tool}" was not found on PATH: ${TOOL_HINTS[tool]}`);

/**
 * The major version in `java -version` output ("17.0.15" -> 17, "1.8.0_392" -> 8), or null.
 * @param {string} output
 */
function parseJavaMajor(output) {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!match) return null;
  return match[1] === '1' && match[2] !== undefined ? Number(match[2]) : Number(match[1]);
}

/**
 * Fails unless `tool` runs (and, for java, is new enough for Kafka).
 * @param {'java' | 'mvn' | 'go'} tool
 */
function requireTool(tool) {
  const result = spawnSync(tool, [tool === 'go' ? 'version' : '-version'], { encoding: 'utf8' });
  const error = /** @type {NodeJS.ErrnoException | undefined} */ (result.error);
  if (error) throw error.code === 'ENOENT' ? missingTool(tool) : error;
  const major = tool === 'java' ? parseJavaMajor(`${result.stderr}${result.stdout}`) : null;
  if (major !== null && major < MIN_JAVA_MAJOR) {
    throw new StackError(`Kafka needs Java ${MIN_JAVA_MAJOR}+, but "java" on PATH is Java ${major}`);
  }
}

/**
 * Runs a command to completion and resolves with its output; rejects with the output's end.
 * @param {string} command @param {string[]} args @param {{ cwd: string, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<string>}
 */
function runCaptured(command, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (/** @type {NodeJS.ErrnoException} */ error) =>
      reject(error.code === 'ENOENT' ? missingTool(command) : error),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(output);
      const tail = output.trim().split('\n').slice(-30).join('\n');
      reject(new StackError(`${command} ${args.join(' ')} failed (${signal || `exit ${code}`}):\n${tail}`));
    });
  });
}

/**
 * Creates `target` with `build(tmp)` at a private temp path, then renames it into place, so two
 * stacks (or clones) installing at the same moment never see a half-written tree. If another
 * process won the race, theirs is kept.
 * @param {string} target @param {(tmp: string) => Promise<void>} build
 */
async function installOnce(target, build) {
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  try {
    await build(tmp);
    fs.renameSync(tmp, target);
  } catch (error) {
    if (!['ENOTEMPTY', 'EEXIST', 'EISDIR'].includes(error.code) || !fs.existsSync(target)) throw error;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * An npm dependency of the project (kafkajs, mongoose): they exist only after `npm ci`.
 * @param {string} name
 */
function loadDependency(name) {
  try {
    return require(name);
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error;
    throw new StackError(`${name} is not installed: run "npm ci" first (npm start and npm test do it for you)`);
  }
}

module.exports = { parseJavaMajor, requireTool, runCaptured, installOnce, loadDependency };
