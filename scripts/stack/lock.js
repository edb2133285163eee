'use strict';
// One command at a time per lock: per STACK_DIR (e.g. an e2e test's stop-kafka while a slow `up`
// is still waiting), and around npm ci and nest build. mkdir is atomic; a lock whose owner
// died is taken over.
const fs = require('node:fs');
const path = require('node:path');
const { StackError } = require('./errors');
const { isAlive, sleep } = require('./proc');

async function acquireLock(lockDir, { timeoutMs = 10 * 60_000, log } = {}) {
  const ownerFile = path.join(lockDir, 'owner');
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(ownerFile, String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(ownerFile, 'utf8'));
    } catch {
      // The owner may be between mkdir and writing its pid; give it a moment.
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new StackError(`another command (pid ${owner || 'unknown'}) still holds ${lockDir}; gave up waiting`);
    }
    if (!announced && log) {
      log.info(`waiting for another command (pid ${owner || 'unknown'}) that holds ${lockDir}...`);
      announced = true;
    }
    await sleep(200);
  }
  const release = () => fs.rmSync(lockDir, { recursive: true, force: true });
  process.once('exit', release);
  return () => {
    process.removeListener('exit', release);
    release();
  };
}

module.exports = { acquireLock };
