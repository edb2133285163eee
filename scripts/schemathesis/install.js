#!/usr/bin/env node
'use strict';
// The pinned schemathesis (requirements.txt beside this file) in a Python venv of its own under
// the project's cache dir, installed on first use and reused after: one venv per content of
// requirements.txt, so a change of pins installs anew and never edits a venv in use.
// `node scripts/schemathesis/install.js` prints the venv's python on stdout.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { StackError, createLogger, formatDuration } = require('../lib/run');
const { installOnce, runCaptured } = require('../stack/install');
const { readStackSettings } = require('../stack/settings');

const REQUIREMENTS = path.join(__dirname, 'requirements.txt');
const MIN_PYTHON = [3, 10];

/**
 * Where the venv for these requirements lives.
 * @param {string} cacheDir @param {string} requirements the file's text
 */
function venvDir(cacheDir, requirements) {
  const version = /^schemathesis==(\S+)$/m.exec(requirements)?.[1];
  if (!version) throw new StackError(`${REQUIREMENTS} pins no schemathesis==<version>`);
  const hash = crypto.createHash('sha256').update(requirements).digest('hex').slice(0, 12);
  return path.join(cacheDir, 'schemathesis', `${version}-${hash}`);
}

/** Fails unless python3 on PATH is new enough for the pinned packages. */
async function requirePython() {
  const output = await runCaptured('python3', ['-c', 'import sys; print(*sys.version_info[:2])'], {
    cwd: __dirname,
  }).catch((error) => {
    throw new StackError(`schemathesis needs python3 (${MIN_PYTHON.join('.')}+, with venv): ${error.message}`);
  });
  const [major, minor] = output.trim().split(' ').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]))
    throw new StackError(`schemathesis needs Python ${MIN_PYTHON.join('.')}+, but python3 is ${major}.${minor}`);
}

/**
 * The venv's python, after installing the venv if it is missing. Run schemathesis with
 * `<python> -m schemathesis.cli`: the venv's own scripts name the temporary path it was built at.
 * @param {{ env?: NodeJS.ProcessEnv, log: import('../lib/run').Log }} options
 */
async function ensureSchemathesis({ env = process.env, log }) {
  const requirements = fs.readFileSync(REQUIREMENTS, 'utf8');
  const target = venvDir(readStackSettings(env).cacheDir, requirements);
  const python = path.join(target, 'bin', 'python');
  if (fs.existsSync(python)) return python;
  await requirePython();
  const began = Date.now();
  log.info(`installing schemathesis into ${target}...`);
  await installOnce(target, async (tmp) => {
    await runCaptured('python3', ['-m', 'venv', tmp], { cwd: __dirname });
    const pip = [path.join(tmp, 'bin', 'python'), '-m', 'pip', '--disable-pip-version-check', '--no-input'];
    await runCaptured(pip[0], [...pip.slice(1), 'install', '--quiet', '-r', REQUIREMENTS], { cwd: __dirname });
  });
  log.info(`schemathesis installed in ${formatDuration(Date.now() - began)}`);
  return python;
}

if (require.main === module) {
  ensureSchemathesis({ log: createLogger('schemathesis') }).then(
    (python) => process.stdout.write(`${python}\n`),
    (error) => {
      process.stderr.write(`${error instanceof StackError ? error.message : error.stack}\n`);
      process.exit(1);
    },
  );
}

module.exports = { ensureSchemathesis, venvDir };
