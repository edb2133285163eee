#!/usr/bin/env node
'use strict';
// Where the CPU time of a server went, from one or more .cpuprofile files (V8's format, as
// written by `node --cpu-prof` or by the bench's --cpu-prof):
//   node bench/profile-summary.js <file.cpuprofile>... [--top N]
// Prints self time by package/area, the hottest functions by self time, and the project's own
// functions by inclusive time (what each step of a request costs including what it calls).
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..');

function fileOf(url) {
  if (!url) return '';
  return url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
}

/** The package or area a frame belongs to. */
function areaOf(frame) {
  const file = fileOf(frame.url);
  if (!file) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith('node:')) return 'node core';
  const rel = path.relative(REPO_ROOT, file);
  if (!rel.startsWith('..')) {
    const m = /^(?:dist|dist-bench)\/(apps\/[^/]+|libs\/[^/]+|bench)\//.exec(rel);
    return m ? m[1] : rel;
  }
  return file;
}

function frameName(frame) {
  const file = fileOf(frame.url);
  const where = file
    ? `${file.includes('/node_modules/') ? file.slice(file.lastIndexOf('/node_modules/') + 14) : path.relative(REPO_ROOT, file) || file}:${frame.lineNumber + 1}`
    : '';
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

function isOwn(frame) {
  const area = areaOf(frame);
  return area.startsWith('apps/') || area.startsWith('libs/') || area === 'bench';
}

/** Self and inclusive microseconds per function, and self per area, summed over the profiles. */
function summarize(files) {
  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
    const selfUs = new Map();
    const { samples, timeDeltas } = profile;
    for (let i = 0; i < samples.length; i++) {
      // A sample stands for the time until the next one.
      const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
      selfUs.set(samples[i], (selfUs.get(samples[i]) || 0) + Math.max(0, dt));
    }
    for (const [id, us] of selfUs) {
      const node = byId.get(id);
      const frame = node.callFrame;
      totalUs += us;
      if (frame.functionName === '(idle)') {
        idleUs += us;
        continue;
      }
      const name = frameName(frame);
      self.set(name, (self.get(name) || 0) + us);
      const area = areaOf(frame);
      areas.set(area, (areas.get(area) || 0) + us);
      // Inclusive: charge every distinct function on the stack once.
      const seen = new Set();
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const f = byId.get(cur).callFrame;
        if (!isOwn(f)) continue;
        const key = frameName(f);
        if (seen.has(key)) continue;
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) || 0) + us);
      }
    }
  }
  return { totalUs, idleUs, busyUs: totalUs - idleUs, self, inclusive, areas };
}

function formatSummary(summary, top = 20) {
  const { totalUs, busyUs } = summary;
  const pct = (us) => `${((100 * us) / busyUs).toFixed(1).padStart(5)}%`;
  const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = [];
  lines.push(
    `profiled ${(totalUs / 1e6).toFixed(1)} s, busy (not idle) ${(busyUs / 1e6).toFixed(1)} s = ${((100 * busyUs) / totalUs).toFixed(0)}% of one core; percentages below are of busy time`,
  );
  lines.push('', 'self time by package / area:');
  for (const [name, us] of sorted(summary.areas)) lines.push(`  ${pct(us)} ${ms(us)}  ${name}`);
  lines.push('', 'hottest functions (self time):');
  for (const [name, us] of sorted(summary.self)) lines.push(`  ${pct(us)} ${ms(us)}  ${name}`);
  lines.push('', "the project's own functions (inclusive time: with everything they call synchronously):");
  for (const [name, us] of sorted(summary.inclusive)) lines.push(`  ${pct(us)} ${ms(us)}  ${name}`);
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  let top = 20;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else files.push(args[i]);
  }
  if (files.length === 0 || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: node bench/profile-summary.js <file.cpuprofile>... [--top N]\n');
    process.exit(64);
  }
  process.stdout.write(`${formatSummary(summarize(files), top)}\n`);
}

module.exports = { summarize, formatSummary };
