'use strict';
// The report on stdout: the table of cells, CPU per request, round trips and hot spots (with
// --cpu-prof), the targets, and as the last line `RESULT {json}` (only for a run in which every
// request was answered correctly).
const os = require('node:os');
const path = require('node:path');
const { REPO_ROOT } = require('../../scripts/lib/run');
const { summarize, formatSummary } = require('../profile-summary');

/** @typedef {import('./load').Segment} Segment @typedef {ReturnType<typeof aggregate>} Cell */

const say = (/** @type {string} */ text) => process.stdout.write(`${text}\n`);
const LABELS = { es: 'event-sourced', crud: 'CRUD baseline' };
/** @param {number} x @param {number} digits */
const round = (x, digits) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
/** @param {number | null | undefined} x */
const fixed2 = (x) => (x === null || x === undefined ? '-' : x.toFixed(2));
/** @template T @param {T[]} items @param {(item: T) => number} of */
const sum = (items, of) => items.reduce((total, item) => total + of(item), 0);

/** Nearest-rank percentile of an ascending array. @param {number[]} sorted @param {number} p */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/** Merges the rounds of one server at one concurrency. @param {Segment[]} segments */
function aggregate(segments) {
  // Latencies of good answers only (failures are counted, never timed).
  const latencies = segments.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const ok = sum(segments, (s) => s.ok);
  const perRound = segments.map((s) => s.ok / s.elapsedS);
  /** @type {Record<string, number | null>} */
  const cpuPerRequestMs = {};
  for (const name of Object.keys(segments[0].cpu || {}).filter((n) => n !== 'machineBusyPct')) {
    const ms = segments.map((s) => s.cpu?.[name] ?? null);
    cpuPerRequestMs[name] = ms.includes(null) ? null : sum(ms, (x) => x || 0) / ok;
  }
  const busy = segments.map((s) => s.cpu?.machineBusyPct).filter((x) => typeof x === 'number');
  return {
    ok,
    failed: sum(segments, (s) => s.failures),
    rps: ok / sum(segments, (s) => s.elapsedS),
    rpsRange: `${Math.min(...perRound).toFixed(0)}-${Math.max(...perRound).toFixed(0)}`,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.length ? latencies[latencies.length - 1] : NaN,
    cpuPerRequestMs,
    machineBusyPct: busy.length ? sum(busy, Number) / busy.length : null,
  };
}

/**
 * Aligned columns, under a header and a rule if given: the first `left` columns are left-aligned
 * labels, the rest right-aligned numbers.
 * @param {Array<Array<string | number>>} rows @param {string[] | null} headers
 */
function table(rows, headers, left = 2) {
  const all = headers ? [headers, ...rows] : rows;
  const widths = all[0].map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  /** @param {Array<string | number>} cells */
  const line = (cells) =>
    cells
      .map((c, i) => (i < left ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return (headers ? [line(headers), rule, ...rows.map(line)] : rows.map(line)).join('\n');
}

/** MongoDB commands and Kafka requests per good request, from the instrumented segments. @param {Segment[]} segments */
function renderCalls(segments) {
  const ok = sum(segments, (s) => s.ok);
  /** @type {Map<string, { count: number, totalMs: number }>} */
  const merged = new Map();
  for (const [kind, c] of segments.flatMap((s) => Object.entries(s.calls || {}))) {
    const m = merged.get(kind) || { count: 0, totalMs: 0 };
    merged.set(kind, { count: m.count + c.count, totalMs: m.totalMs + c.totalMs });
  }
  const row = ([kind, c]) => [
    kind,
    (c.count / ok).toFixed(3),
    (c.totalMs / c.count).toFixed(2),
    (c.totalMs / ok).toFixed(2),
  ];
  const rows = [...merged].sort((a, b) => b[1].count - a[1].count).map(row);
  return table(rows, ['call', 'per request', 'mean ms', 'ms per request'], 1);
}

/**
 * The targets, as ratios within this one run.
 * @param {Map<string, Cell>} cells @param {number} rssMb
 * @returns {Array<[string, string, string, boolean]>} name, value, limit, passed
 */
function evaluateTargets(cells, rssMb) {
  const [es64, crud64, es1, crud1] = ['es_c64', 'crud_c64', 'es_c1', 'crud_c1'].map((name) => cells.get(name));
  const throughput = es64 && crud64 ? es64.rps / crud64.rps : NaN;
  const median = es1 && crud1 ? es1.p50 / crud1.p50 : NaN;
  const tail = es64 ? es64.p99 / es64.p50 : NaN;
  return [
    ['throughput at 64 connections: ES / CRUD', shown(throughput, 2, 'x'), '>= 0.9 x', throughput >= 0.9],
    ['median latency at 1 connection: ES / CRUD', shown(median, 2, 'x'), '<= 1.5 x', median <= 1.5],
    ['tail at 64 connections, ES: p99 / p50', shown(tail, 2, 'x'), '<= 2.5 x', tail <= 2.5],
    ['service peak RSS', shown(rssMb, 1, 'MB'), '<= 300 MB', rssMb > 0 && rssMb <= 300],
  ];
}

/** @param {number} x @param {number} digits @param {string} unit */
const shown = (x, digits, unit) => (Number.isFinite(x) ? `${x.toFixed(digits)} ${unit}` : 'n/a');

/**
 * @typedef {Awaited<ReturnType<typeof import('./store').singleWriteRate>>} StoreWrites the store's raw
 *   single-document write rate at one concurrency
 */

/**
 * The store's own single-document write rate, and each path's throughput as a fraction of it.
 * @param {Map<string, Cell>} cells @param {StoreWrites[]} store
 */
function renderStore(cells, store) {
  const rows = store.map((s) => {
    const fraction = (/** @type {string} */ kind) => {
      const cell = cells.get(`${kind}_c${s.concurrency}`);
      return cell ? `${((100 * cell.rps) / s.writesPerS).toFixed(0)}%` : '-';
    };
    const latency = [s.p50, s.p99].map((x) => (Number.isFinite(x) ? x.toFixed(2) : '-'));
    return [s.concurrency, s.writes, s.failures, s.writesPerS.toFixed(1), ...latency, fraction('es'), fraction('crud')];
  });
  const headers = ['writers', 'writes', 'failed', 'writes/s', 'p50 ms', 'p99 ms', 'ES req/s of it', 'CRUD req/s of it'];
  return table(rows, headers, 0);
}

/**
 * Prints the report and returns the exit code: 1 when requests failed (then there is no RESULT:
 * numbers from such a run must not be taken for a result), 2 under --strict when a target is missed.
 * @param {Awaited<ReturnType<typeof import('./load').measure>>} measured
 * @param {{ connections: number[], rounds: number, durationS: number, users: number, strict: boolean }} options
 * @param {{ keysPerPath: number, rssMb: number, crudRssMb: number, busyRetries: number, pids: Record<string, number | null>,
 *   runDir: string, store: StoreWrites[], keyChecks?: { shape_ns: number, hash_ns: number, judge_ns: number } }} facts
 */
function printReport({ segments, profiles, failed }, options, facts) {
  const { keysPerPath, rssMb, crudRssMb, busyRetries, pids, runDir, store, keyChecks } = facts;
  /** @type {Map<string, Cell>} */
  const cells = new Map([...segments].map(([name, segs]) => [name, aggregate(segs)]));
  for (const [name, files] of profiles) {
    const [kind, conns] = name.split('_c');
    const server = `${LABELS[kind]} at ${conns} connections`;
    say(`\n== ${server}: round trips per request ==\n${renderCalls(segments.get(name) || [])}`);
    const listed = files.map((f) => path.relative(REPO_ROOT, f)).join(', ');
    say(`\n== CPU profile: ${server} (${listed}) ==\n${formatSummary(summarize(files), 12)}`);
  }
  const cpus = os.cpus();
  const machine = `${cpus.length} x ${cpus[0]?.model.trim() || 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
  const run = `${options.rounds} x ${options.durationS} s per cell, ${keysPerPath} keys per path, ${options.users} users`;
  say(`\n== PUT /api/v1/api_keys/:id: event-sourced vs CRUD baseline (${machine}; ${run}) ==`);
  /** @type {(of: (cell: Cell) => Array<string | number>) => Array<Array<string | number>>} */
  const rows = (of) =>
    options.connections.flatMap((c) =>
      ['es', 'crud'].flatMap((kind) => {
        const cell = cells.get(`${kind}_c${c}`);
        return cell ? [[LABELS[kind], c, ...of(cell)]] : [];
      }),
    );
  const latency = (/** @type {Cell} */ r) => [r.p50.toFixed(2), r.p90.toFixed(2), r.p99.toFixed(2), r.max.toFixed(1)];
  const main = rows((r) => [r.ok, r.failed, r.rps.toFixed(1), r.rpsRange, ...latency(r)]);
  const latencies = ['p50 ms', 'p90 ms', 'p99 ms', 'max ms'];
  say(table(main, ['path', 'conns', 'good', 'failed', 'req/s', 'rounds req/s', ...latencies]));
  say(`\npeak RSS: event-sourced service ${rssMb.toFixed(1)} MB, CRUD baseline ${crudRssMb.toFixed(1)} MB`);
  const refused = 'write attempts refused by FerretDB with "database is locked" (SQLITE_BUSY) and retried';
  if (busyRetries > 0) say(`CRUD baseline: ${busyRetries} ${refused}`);
  const where = `FerretDB/MongoDB pid ${pids.mongo ?? 'not local'}, Kafka pid ${pids.kafka ?? 'not local'}`;
  say(`\nCPU ms per request (${where}; "others" = the rest of the machine):`);
  const cpu = rows(({ cpuPerRequestMs: ms, machineBusyPct: busy }) => [
    ...[ms.server, ms.mongo, ms.kafka, ms.loadgen, ms.others].map(fixed2),
    busy === null ? '-' : `${busy.toFixed(0)}%`,
  ]);
  say(table(cpu, ['path', 'conns', 'node server', 'db server', 'Kafka', 'load gen', 'others', 'machine busy']));
  if (store.length > 0) {
    say(
      `\nthe store's own ceiling: raw updateOne by _id from the bench process, same run (${options.durationS} s each):`,
    );
    say(renderStore(cells, store));
  }
  if (failed.length > 0) {
    const logs = path.relative(REPO_ROOT, runDir);
    say(`\nFAILED: requests failed during the run, so there is no RESULT:\n  ${failed.join('\n  ')}`);
    say(`see the samples above and the server logs in ${logs}/`);
    return 1;
  }
  if (keyChecks) {
    const { shape_ns, hash_ns, judge_ns } = keyChecks;
    const esP50Ns = (cells.get('es_c1')?.p50 ?? NaN) * 1e6;
    say(
      `\nthe checks of a presented key, per request (bench process, alone): shape and checksum ${shape_ns} ns, ` +
        `SHA-256 ${hash_ns} ns, judging the found key (expiry, enabled, grace) ${judge_ns} ns; the checksum and ` +
        `the judgement together ${(((shape_ns + judge_ns) / esP50Ns) * 100).toFixed(3)} % of ES's p50 at 1 connection`,
    );
  }
  const targets = evaluateTargets(cells, rssMb);
  const verdicts = targets.map(([name, value, limit, passed]) => [passed ? 'PASS' : 'FAIL', name, value, limit]);
  say(`\ntargets:\n${table(verdicts, null, 4)}`);
  /** @type {Record<string, unknown>} */
  const result = {};
  for (const [name, r] of cells)
    result[name] = { rps: round(r.rps, 1), p50_ms: round(r.p50, 2), p99_ms: round(r.p99, 2) };
  for (const w of store) {
    result[`store_c${w.concurrency}`] = {
      writes_per_s: round(w.writesPerS, 1),
      p50_ms: round(w.p50, 2),
      p99_ms: round(w.p99, 2),
    };
  }
  if (keyChecks) result.key_checks_ns = keyChecks;
  say(`RESULT ${JSON.stringify({ ...result, rss_mb: round(rssMb, 1) })}`);
  return options.strict && targets.some((t) => !t[3]) ? 2 : 0;
}

module.exports = { percentile, aggregate, evaluateTargets, printReport, table, shown };
