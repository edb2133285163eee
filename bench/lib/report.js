'use strict';
// Aggregation of the measured segments, the table, the targets and the RESULT line.
const { percentile } = require('./load');

const round = (x, digits) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

/** Merges the rounds of one server at one concurrency. */
function aggregate(segments) {
  const latencies = segments.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const ok = segments.reduce((n, s) => n + s.ok, 0);
  const failed = segments.reduce((n, s) => n + s.failures, 0);
  const seconds = segments.reduce((n, s) => n + s.elapsedS, 0);
  const perRound = segments.map((s) => s.ok / s.elapsedS);
  const cpu = {};
  for (const s of segments) {
    for (const [name, ms] of Object.entries(s.cpu || {})) {
      if (name === 'machineBusyPct') continue;
      cpu[name] = ms === null || cpu[name] === null ? null : (cpu[name] || 0) + ms;
    }
  }
  const busy = segments.map((s) => (s.cpu ? s.cpu.machineBusyPct : undefined)).filter((x) => x !== undefined);
  return {
    failed,
    cpuPerRequestMs: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms === null ? null : ms / ok])),
    machineBusyPct: busy.length ? busy.reduce((a, b) => a + b, 0) / busy.length : null,
    ok,
    seconds,
    rps: ok / seconds,
    rpsMin: Math.min(...perRound),
    rpsMax: Math.max(...perRound),
    p50: percentile(latencies, 50),
    // latencies of good answers only (failures are counted, never timed)
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.length ? latencies[latencies.length - 1] : NaN,
  };
}

/** Columns before `leftColumns` are left-aligned labels, the rest right-aligned numbers. */
function table(rows, headers, leftColumns = 2) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i < leftColumns ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * @param {Map<string, ReturnType<typeof aggregate>>} results keyed `es_c64`, `crud_c1`...
 */
function render(results, { connections, rssMb, crudRssMb }) {
  const rows = [];
  for (const c of connections) {
    for (const server of ['es', 'crud']) {
      const r = results.get(`${server}_c${c}`);
      if (!r) continue;
      rows.push([
        server === 'es' ? 'event-sourced' : 'CRUD baseline',
        c,
        r.ok,
        r.failed,
        r.rps.toFixed(1),
        `${r.rpsMin.toFixed(0)}-${r.rpsMax.toFixed(0)}`,
        r.p50.toFixed(2),
        r.p90.toFixed(2),
        r.p99.toFixed(2),
        r.max.toFixed(1),
      ]);
    }
  }
  const lines = [
    table(rows, ['path', 'conns', 'good', 'failed', 'req/s', 'rounds req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms']),
  ];
  lines.push('', `peak RSS: event-sourced service ${rssMb.toFixed(1)} MB, CRUD baseline ${crudRssMb.toFixed(1)} MB`);
  return lines.join('\n');
}

function renderCpu(results, connections) {
  const rows = [];
  const f = (x) => (x === null || x === undefined ? '-' : x.toFixed(2));
  for (const c of connections) {
    for (const server of ['es', 'crud']) {
      const r = results.get(`${server}_c${c}`);
      if (!r) continue;
      const cpu = r.cpuPerRequestMs;
      rows.push([
        server === 'es' ? 'event-sourced' : 'CRUD baseline',
        c,
        f(cpu.server),
        f(cpu.mongo),
        f(cpu.kafka),
        f(cpu.loadgen),
        f(cpu.others),
        r.machineBusyPct === null ? '-' : `${r.machineBusyPct.toFixed(0)}%`,
      ]);
    }
  }
  return table(rows, ['path', 'conns', 'node server', 'db server', 'Kafka', 'load gen', 'others', 'machine busy']);
}

/** MongoDB commands and Kafka requests per good request, from the instrumented segments. */
function renderCalls(segments) {
  const ok = segments.reduce((n, s) => n + s.ok, 0);
  const merged = new Map();
  for (const s of segments) {
    for (const [kind, c] of Object.entries(s.calls || {})) {
      const m = merged.get(kind) || { count: 0, totalMs: 0 };
      m.count += c.count;
      m.totalMs += c.totalMs;
      merged.set(kind, m);
    }
  }
  const rows = [...merged]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([kind, c]) => [
      kind,
      (c.count / ok).toFixed(3),
      (c.totalMs / c.count).toFixed(2),
      (c.totalMs / ok).toFixed(2),
    ]);
  return table(rows, ['call', 'per request', 'mean ms', 'ms per request'], 1);
}

/** The targets, as ratios within this one run. */
function evaluateTargets(results, rssMb) {
  const es64 = results.get('es_c64');
  const crud64 = results.get('crud_c64');
  const es1 = results.get('es_c1');
  const crud1 = results.get('crud_c1');
  const targets = [];
  const add = (name, available, value, limit, passed) =>
    targets.push({ name, available, value, limit, passed: available && passed });
  add(
    'throughput at 64 connections: ES >= 0.75 x CRUD',
    Boolean(es64 && crud64),
    es64 && crud64 ? `${(es64.rps / crud64.rps).toFixed(2)} x` : 'n/a',
    '>= 0.75 x',
    es64 && crud64 && es64.rps >= 0.75 * crud64.rps,
  );
  add(
    'median latency at 1 connection: ES <= 2.0 x CRUD',
    Boolean(es1 && crud1),
    es1 && crud1 ? `${(es1.p50 / crud1.p50).toFixed(2)} x` : 'n/a',
    '<= 2.0 x',
    es1 && crud1 && es1.p50 <= 2.0 * crud1.p50,
  );
  add(
    'p99 at 64 connections, ES',
    Boolean(es64),
    es64 ? `${es64.p99.toFixed(1)} ms` : 'n/a',
    '<= 100 ms',
    es64 && es64.p99 <= 100,
  );
  add('service peak RSS', Number.isFinite(rssMb) && rssMb > 0, `${rssMb.toFixed(1)} MB`, '<= 250 MB', rssMb <= 250);
  return targets;
}

function renderTargets(targets) {
  const rows = targets.map((t) => [t.passed ? 'PASS' : 'FAIL', t.name, t.value, t.limit]);
  const widths = [4, ...[1, 2, 3].map((i) => Math.max(...rows.map((r) => String(r[i]).length)))];
  return rows
    .map((r) =>
      r
        .map((c, i) => String(c).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function resultLine(results, rssMb) {
  const out = {};
  for (const [name, r] of results)
    out[name] = { rps: round(r.rps, 1), p50_ms: round(r.p50, 2), p99_ms: round(r.p99, 2) };
  out.rss_mb = round(rssMb, 1);
  return `RESULT ${JSON.stringify(out)}`;
}

module.exports = { aggregate, render, renderCpu, renderCalls, evaluateTargets, renderTargets, resultLine };
