'use strict';
// Detached server processes, their pid files, stopping them again; locks and free ports.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StackError, waitUntil } = require('../lib/run');

/**
 * @typedef {{ pid?: number, logOffset: number, exited: boolean, exitCode?: number | null,
 *   exitSignal?: NodeJS.Signals | null, spawnError?: Error, child: import('node:child_process').ChildProcess }} DetachedChild
 * @typedef {{ pid: number, marker?: string, port?: number }} PidRecord
 */

// Children spawned by this very process, so stopping one can wait until Node has reaped it
// (otherwise a quick exit of ours leaves a <defunct> entry for init to collect).
/** @type {Map<number, DetachedChild>} */
const ownChildren = new Map();

/**
 * Starts a server in its own session and process group (so a Ctrl-C in the terminal does not
 * reach it), its output appended to logFile; logOffset is where this run's output starts. ipc: a
 * channel to it (the bench's profiler).
 * @param {{ command: string, args: string[], cwd: string, logFile: string, env?: NodeJS.ProcessEnv, ipc?: boolean }} spec
 * @returns {DetachedChild}
 */
function spawnDetached({ command, args, cwd, logFile, env, ipc = false }) {
  fs.appendFileSync(logFile, `\n===== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  const fd = fs.openSync(logFile, 'a');
  const logOffset = fs.fstatSync(fd).size;
  /** @type {import('node:child_process').StdioOptions} */
  const stdio = ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd];
  const child = spawn(command, args, { cwd, env, detached: true, stdio });
  fs.closeSync(fd);
  /** @type {DetachedChild} */
  const state = { pid: child.pid, logOffset, exited: false, child };
  child.on('error', (spawnError) => Object.assign(state, { exited: true, spawnError }));
  child.on('exit', (exitCode, exitSignal) => Object.assign(state, { exited: true, exitCode, exitSignal }));
  child.unref();
  if (child.pid !== undefined) ownChildren.set(child.pid, state);
  return state;
}

/** @param {string} file @param {PidRecord & Record<string, unknown>} record */
const writePidFile = (file, record) => fs.writeFileSync(file, `${JSON.stringify(record)}\n`);

/** A file's text, or '' when it cannot be read (it is gone, say). @param {string} file */
function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A JSON record or a bare pid; anything else reads as no record. @param {string} file @returns {PidRecord | null} */
function readPidFile(file) {
  const text = readText(file).trim();
  try {
    const record = /^\d+$/.test(text) ? { pid: Number(text) } : JSON.parse(text);
    return Number.isInteger(record.pid) && record.pid > 0 ? record : null;
  } catch {
    return null;
  }
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  // A zombie still answers kill(0); on Linux its state letter follows the command name.
  const stat = readText(`/proc/${pid}/stat`);
  return !stat || !'ZX'.includes(stat[stat.lastIndexOf(')') + 2]);
}

/**
 * When a process started (clock ticks since boot, /proc/<pid>/stat field 22): with its pid, it
 * tells the process from a later one that got the same pid. Null where /proc is not available
 * (macOS), or for a process that is gone.
 * @param {number} pid @returns {string | null}
 */
function startTimeOf(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  // The fields after the command name (which may hold spaces) start with field 3.
  return stat ? (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3] ?? null) : null;
}

/**
 * The run a server or the service belongs to: it stops them when it ends, unless it is killed.
 * @typedef {{ pid: number, startTime: string | null, command: string }} Owner
 */

/** This process as an owner. @param {string} command what it is, for messages ("npm start") @returns {Owner} */
const thisProcessAsOwner = (command) => ({ pid: process.pid, startTime: startTimeOf(process.pid), command });

/** A recorded owner, or null when there is none (or the file is unreadable). @param {string} file @returns {Owner | null} */
function readOwner(file) {
  try {
    const owner = JSON.parse(readText(file));
    return Number.isInteger(owner?.pid) ? owner : null;
  } catch {
    return null;
  }
}

/** @param {string} file @param {Owner} owner */
const writeOwner = (file, owner) => fs.writeFileSync(file, `${JSON.stringify(owner)}\n`);

/** Whether the owner still runs: the same process, not a later one that reuses its pid. @param {Owner} owner */
function ownerAlive(owner) {
  return isAlive(owner.pid) && (owner.startTime === null || startTimeOf(owner.pid) === owner.startTime);
}

/**
 * Guards against pid reuse: the process must still be the one we started. Where /proc is not
 * available (macOS) the pid alone has to do.
 * @param {number} pid @param {string} marker
 */
function commandMatches(pid, marker) {
  if (!fs.existsSync('/proc/self')) return true;
  return readText(`/proc/${pid}/cmdline`)
    .split('\0')
    .some((part) => part.includes(marker));
}

/** @param {number} pid @param {NodeJS.Signals} signal */
function signalGroup(pid, signal) {
  for (const target of [-pid, pid]) {
    try {
      return process.kill(target, signal);
    } catch (error) {
      if (error.code !== 'ESRCH') throw error;
    }
  }
  return false;
}

/** @param {number} pid @param {number} timeoutMs */
async function waitForExit(pid, timeoutMs) {
  /** @param {() => boolean} check @param {number} ms */
  const within = (check, ms) =>
    waitUntil(check, { what: `pid ${pid}`, timeoutMs: ms, intervalMs: 50 }).catch(() => false);
  if (!(await within(() => !isAlive(pid), timeoutMs))) return false;
  // Dead but not yet reaped: give the parent (us, or init for an orphan) a moment, so that
  // "down" really leaves no process entry behind.
  const own = ownChildren.get(pid);
  await within(() => (own ? own.exited : !readText(`/proc/${pid}/stat`)), 3000);
  ownChildren.delete(pid);
  return true;
}

/**
 * SIGTERM to the whole group, then SIGKILL after graceMs.
 * @param {number} pid @param {number} graceMs
 * @returns {Promise<'not-running' | 'terminated' | 'killed' | 'still-running'>}
 */
async function stopProcessGroup(pid, graceMs) {
  if (!isAlive(pid)) return 'not-running';
  signalGroup(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'terminated';
  signalGroup(pid, 'SIGKILL');
  return (await waitForExit(pid, 5000)) ? 'killed' : 'still-running';
}

/** The last non-empty lines written to file since byte fromOffset. @param {string} file */
function tailFile(file, fromOffset = 0, lines = 40) {
  const text = fs.existsSync(file) ? fs.readFileSync(file).subarray(fromOffset).toString('utf8') : '';
  return text
    .split('\n')
    .filter((line) => line.trim())
    .slice(-lines)
    .join('\n');
}

/**
 * Runs `work` holding a lock directory: one command at a time per STACK_DIR (an e2e test's
 * stop-kafka must not race a slow `up`), and around npm ci and nest build. mkdir is atomic; a
 * lock whose owner died is taken over.
 * @template T @param {string} lockDir @param {import('../lib/run').Log | undefined} log @param {() => Promise<T>} work
 */
async function withLock(lockDir, log, work, timeoutMs = 10 * 60_000) {
  const ownerFile = path.join(lockDir, 'owner');
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  let owner = 0;
  const take = () => {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(ownerFile, String(process.pid));
      return true;
    } catch (error) {
      if (error.code !== 'EEXIST') throw new StackError(`cannot take the lock ${lockDir}: ${error.message}`);
    }
    // The owner may be between mkdir and writing its pid: then it reads as 0 for a moment.
    const previous = owner;
    owner = Number(readText(ownerFile)) || 0;
    if (owner > 0 && !isAlive(owner)) fs.rmSync(lockDir, { recursive: true, force: true });
    else if (owner > 0 && owner !== previous)
      log?.info(`waiting for another command (pid ${owner}) that holds ${lockDir}...`);
    return false;
  };
  await waitUntil(take, { what: lockDir, timeoutMs, intervalMs: 200 }).catch((error) => {
    if (!error.message.startsWith('timed out')) throw error;
    throw new StackError(`another command (pid ${owner || 'unknown'}) still holds ${lockDir}; gave up waiting`);
  });
  const release = () => fs.rmSync(lockDir, { recursive: true, force: true });
  process.once('exit', release);
  return work().finally(() => {
    process.removeListener('exit', release);
    release();
  });
}

/** True when nothing is bound to host:port. @param {number} port @param {string} host @returns {Promise<boolean>} */
function canListen(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer().unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port that is free right now on 127.0.0.1 (for a server that must be told its port up front). @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().unref().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

module.exports = {
  startTimeOf,
  thisProcessAsOwner,
  readOwner,
  writeOwner,
  ownerAlive,
  spawnDetached,
  writePidFile,
  readPidFile,
  isAlive,
  commandMatches,
  stopProcessGroup,
  tailFile,
  withLock,
  canListen,
  freePort,
};
