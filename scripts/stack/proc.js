'use strict';
// Detached server processes, their pid files, and stopping them again.
const fs = require('node:fs');
const { spawn } = require('node:child_process');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Children spawned by this very process, so stopping one can wait until Node has reaped it
// (otherwise a quick exit of ours leaves a <defunct> entry for init to collect).
const ownChildren = new Map();

/**
 * Starts a server in its own session/process group (so a Ctrl-C in the terminal does not
 * reach it) with stdout+stderr appended to logFile. Returns the pid, where this run's
 * output starts in the log, and a flag that turns true once the process has exited.
 */
function spawnDetached({ command, args, cwd, env, logFile }) {
  fs.writeFileSync(logFile, `\n===== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`, { flag: 'a' });
  const logOffset = fs.statSync(logFile).size;
  const fd = fs.openSync(logFile, 'a');
  let child;
  try {
    child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  const state = { pid: child.pid, logOffset, exited: false, exitCode: null, exitSignal: null, spawnError: null };
  child.on('error', (error) => {
    state.exited = true;
    state.spawnError = error;
  });
  child.on('exit', (code, signal) => {
    state.exited = true;
    state.exitCode = code;
    state.exitSignal = signal;
  });
  child.unref();
  ownChildren.set(child.pid, state);
  return state;
}

function writePidFile(file, record) {
  fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
}

/** @returns {{ pid: number, marker?: string } | null} */
function readPidFile(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
  return parsePidRecord(text);
}

function parsePidRecord(text) {
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const record = JSON.parse(text);
    return Number.isInteger(record.pid) && record.pid > 0 ? record : null;
  } catch {
    return null;
  }
}

function removeFile(file) {
  fs.rmSync(file, { force: true });
}

function procStat(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  // A zombie still answers kill(0); on Linux its state letter follows the command name.
  const stat = procStat(pid);
  if (stat) {
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  }
  return true;
}

/**
 * Guards against pid reuse: the process must still be the one we started. Where /proc is not
 * available (macOS) the pid alone has to do.
 */
function commandMatches(pid, marker) {
  if (!marker) return true;
  let cmdline;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return !fs.existsSync('/proc/self');
  }
  return cmdline.split('\0').some((part) => part.includes(marker));
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if (error.code === 'ESRCH') return false;
    throw error;
  }
}

async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  // Dead but not yet reaped: give the parent (us, or init for an orphan) a moment, so that
  // "down" really leaves no process entry behind.
  const own = ownChildren.get(pid);
  const reapDeadline = Date.now() + 3000;
  while (own ? !own.exited : procStat(pid) !== null) {
    if (Date.now() >= reapDeadline) break;
    await sleep(50);
  }
  ownChildren.delete(pid);
  return true;
}

/** SIGTERM to the whole group, then SIGKILL after graceMs. Resolves to how it ended. */
async function stopProcessGroup(pid, { graceMs }) {
  if (!isAlive(pid)) return 'not-running';
  signalGroup(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'terminated';
  signalGroup(pid, 'SIGKILL');
  if (await waitForExit(pid, 5000)) return 'killed';
  return 'still-running';
}

/** The last `lines` lines written to file since byte `fromOffset`. */
function tailFile(file, fromOffset = 0, lines = 40) {
  let text;
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(fromOffset, size - 64 * 1024);
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      fs.readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .join('\n');
}

module.exports = {
  sleep,
  spawnDetached,
  writePidFile,
  readPidFile,
  parsePidRecord,
  removeFile,
  isAlive,
  commandMatches,
  stopProcessGroup,
  tailFile,
};
