'use strict';
// Test data through the normal paths only: users and their first key from the operator's
// bootstrap command, every further key through POST /api/v1/api_keys.
const { spawn } = require('node:child_process');

function runCli(cliEntry, args, { env, cwd, signal }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { env, cwd, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`cli ${args.join(' ')} failed (${sig ? `signal ${sig}` : `exit ${code}`}):\n${stderr.trim()}`),
        );
    });
  });
}

/** `cli bootstrap --email` prints the create endpoint's body as one JSON line. */
async function bootstrapUser(cliEntry, email, options) {
  const out = await runCli(cliEntry, ['bootstrap', '--email', email], options);
  const line = out.trim().split('\n').pop();
  let body;
  try {
    body = JSON.parse(line);
  } catch {
    throw new Error(`bootstrap printed no JSON line: ${JSON.stringify(out.slice(0, 500))}`);
  }
  // 202: the key is in the log but not yet projected (a slow moment); it becomes usable shortly.
  if (!body.status || ![201, 202].includes(body.status.code) || !body.data || !body.data.key_value) {
    throw new Error(`bootstrap for ${email} did not answer 201 or 202 with a key: ${line.slice(0, 500)}`);
  }
  return { email, userId: body.data.user_id, authKey: body.data.key_value };
}

/** The user's live keys as the service lists them (401 while their own key is not projected yet). */
async function listKeys(baseUrl, user) {
  const res = await fetch(`${baseUrl}/api/v1/api_keys`, { headers: { 'x-api-key': user.authKey } });
  const text = await res.text();
  if (res.status === 401) return null;
  if (res.status !== 200) throw new Error(`GET /api/v1/api_keys answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text).data;
}

/** Waits until every user sees `perUser` keys besides their bootstrap key. */
async function waitUntilProjected(baseUrl, owners, perUser, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(owners.map((user) => listKeys(baseUrl, user)));
    if (counts.every((keys) => keys !== null && keys.length >= perUser + 1)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the seeded keys did not all become visible within ${timeoutMs} ms (listed: ${counts.map((k) => (k === null ? 'unauthenticated' : k.length)).join(', ')})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function createKey(baseUrl, user, name) {
  let res;
  let text;
  // A user's bootstrap key may still be on its way into the read model (bootstrap answered 202).
  for (let attempt = 0; ; attempt++) {
    res = await fetch(`${baseUrl}/api/v1/api_keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': user.authKey },
      body: JSON.stringify({ api_key: { name, key_type: 'private' } }),
    });
    text = await res.text();
    if (res.status !== 401 || attempt >= 40) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (res.status !== 201 && res.status !== 202)
    throw new Error(`POST /api/v1/api_keys answered ${res.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text);
  return { id: body.data.id, userId: user.userId, authKey: user.authKey };
}

/** Runs `work` over `items` with at most `limit` at a time; the first failure rejects. */
async function inParallel(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * @returns {Promise<Array<{ id: number, userId: number, authKey: string }>>} the keys the PUTs
 *   will target, each with its owner's bootstrap key for authentication
 */
async function seed({ cliEntry, cliEnv, cwd, baseUrl, runId, users, keysPerUser, signal, log }) {
  const began = Date.now();
  // Each bootstrap boots a Nest application context; two at a time is plenty on two cores.
  const owners = await inParallel(
    Array.from({ length: users }, (_, i) => `bench-user-${i + 1}-${runId}@bench.example.com`),
    2,
    (email) => bootstrapUser(cliEntry, email, { env: cliEnv, cwd, signal }),
  );
  log(`bootstrapped ${owners.length} users in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  const began2 = Date.now();
  const wanted = owners.flatMap((user) =>
    Array.from({ length: keysPerUser }, (_, k) => ({ user, name: `bench key ${k + 1} of ${user.email}` })),
  );
  const keys = await inParallel(wanted, 16, ({ user, name }) => {
    if (signal && signal.aborted) throw new Error('interrupted');
    return createKey(baseUrl, user, name);
  });
  await waitUntilProjected(baseUrl, owners, keysPerUser, 60000);
  log(`created ${keys.length} keys through POST in ${((Date.now() - began2) / 1000).toFixed(1)} s`);
  return keys;
}

module.exports = { seed };
