'use strict';
// CPU accounting per process during a segment (Linux /proc; elsewhere it is simply left out):
// which process pays how many CPU milliseconds per request, and how busy the whole machine was
// (other engineers' work shows up as "others").
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

let ticksPerSecond = null;
function clockTicks() {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time (user + system) a process has used so far, in ms; null when unknown. */
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine so far, in ms summed over all CPUs. */
function machineCpuMs() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = v[3] + (v[4] || 0);
    const k = 1000 / clockTicks();
    return { busy: (total - idle) * k, total: total * k };
  } catch {
    return null;
  }
}

/** The pid of the process listening on a local TCP port (via `ss`), or null. */
function pidListeningOn(port) {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Starts measuring the named processes; `stop()` returns CPU ms used by each in between. */
function startCpuWindow(pids) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid ? processCpuMs(pid) : null]));
  const machineBefore = machineCpuMs();
  const selfBefore = process.cpuUsage();
  return {
    stop() {
      const used = {};
      for (const [name, pid] of Object.entries(pids)) {
        const after = pid ? processCpuMs(pid) : null;
        used[name] = before[name] !== null && after !== null ? after - before[name] : null;
      }
      const self = process.cpuUsage(selfBefore);
      used.loadgen = (self.user + self.system) / 1000;
      const machineAfter = machineCpuMs();
      if (machineBefore && machineAfter) {
        const busy = machineAfter.busy - machineBefore.busy;
        const known = Object.values(used).reduce((a, b) => a + (b || 0), 0);
        used.others = Math.max(0, busy - known);
        used.machineBusyPct = (100 * busy) / (machineAfter.total - machineBefore.total);
      }
      return used;
    },
  };
}

module.exports = { pidListeningOn, startCpuWindow };
