'use strict';
// CPU accounting per process during a segment (Linux /proc; elsewhere it is simply left out):
// which process pays how many CPU milliseconds per request, and how busy the whole machine was
// (other engineers' work shows up as "others").
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

/** What `read` returns, or '' when it fails. @param {() => string} read */
function orEmpty(read) {
  try {
    return read();
  } catch {
    return '';
  }
}
/** @param {string} command @param {string[]} args */
const output = (command, args) =>
  orEmpty(() => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));

const MS_PER_TICK = 1000 / (Number(output('getconf', ['CLK_TCK'])) || 100);

/** CPU time (user + system) a process has used so far, in ms; null when unknown. @param {number | null} pid */
function processCpuMs(pid) {
  const stat = pid ? orEmpty(() => fs.readFileSync(`/proc/${pid}/stat`, 'utf8')) : '';
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return stat ? (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK : null;
}

/** Busy and total CPU time of the whole machine so far, in ms summed over all CPUs. */
function machineCpuMs() {
  const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3] - ticks[4]) * MS_PER_TICK, total: total * MS_PER_TICK };
}

/** The pid of the process listening on a local TCP port (via `ss`), or null. @param {number} port */
function pidListeningOn(port) {
  const match = /pid=(\d+)/.exec(output('ss', ['-Hltnp', `sport = :${port}`]));
  return match ? Number(match[1]) : null;
}

/**
 * Starts measuring the named processes; stop() returns the CPU ms each used in between, the load
 * generator's (this process), the rest of the machine's ("others") and how busy it was.
 * @param {Record<string, number | null>} pids
 */
function startCpuWindow(pids) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]));
  const machineBefore = fs.existsSync('/proc/stat') ? machineCpuMs() : null;
  const selfBefore = process.cpuUsage();
  return {
    stop() {
      /** @type {Record<string, number | null>} */
      const used = {};
      for (const [name, pid] of Object.entries(pids)) {
        const after = processCpuMs(pid);
        used[name] = before[name] !== null && after !== null ? after - before[name] : null;
      }
      const self = process.cpuUsage(selfBefore);
      used.loadgen = (self.user + self.system) / 1000;
      if (machineBefore) {
        const machine = machineCpuMs();
        const busy = machine.busy - machineBefore.busy;
        used.others = Math.max(0, busy - Object.values(used).reduce((/** @type {number} */ a, b) => a + (b || 0), 0));
        used.machineBusyPct = (100 * busy) / (machine.total - machineBefore.total);
      }
      return used;
    },
  };
}

module.exports = { pidListeningOn, startCpuWindow };
