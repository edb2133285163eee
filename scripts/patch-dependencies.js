#!/usr/bin/env node
'use strict';
// Small fixes to installed dependencies, applied after every install: npm runs this as the
// project's own postinstall (npm ci in a clone, in the Dockerfile, in npm start / npm test), and
// ensureDependencies re-applies it to an existing node_modules. Each patch names the exact version
// it was written for and fails loudly when that version is not the one installed, so an upgrade
// makes someone look again (and drop the patch once upstream has the fix). Idempotent.
// Node builtins only.
const fs = require('node:fs');
const path = require('node:path');

/**
 * @typedef {{ name: string, version: string, file: string, before: string, after: string, why: string }} Patch
 * @type {Patch[]}
 */
const PATCHES = [
  {
    // kafkajs is unmaintained (tulios/kafkajs#1751): the request queue arms its throttle check with
    // `throttledUntil - Date.now()`, and throttledUntil starts at -1, so every connection sets a
    // timer of about minus the Unix time in ms. Node 24+ warns (TimeoutNegativeWarning) and uses 1 ms,
    // as older Node did silently; clamping at 0 keeps that behaviour without the warning.
    name: 'kafkajs',
    version: '2.2.4',
    file: 'src/network/requestQueue/index.js',
    before: '      }, scheduleAt)\n',
    after: '      }, Math.max(0, scheduleAt))\n',
    why: 'no negative timeout in the request queue (TimeoutNegativeWarning on Node 24+)',
  },
];

/**
 * Applies each patch under `nodeModules` that is not applied yet; returns what it changed.
 * A package that is absent is skipped (npm prune --omit=dev may have removed a dev dependency).
 * @param {string} nodeModules @param {Patch[]} [patches]
 */
function applyPatches(nodeModules, patches = PATCHES) {
  /** @type {string[]} */
  const applied = [];
  for (const patch of patches) {
    const dir = path.join(nodeModules, patch.name);
    if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const where = `${patch.name}@${version} ${patch.file}`;
    if (version !== patch.version)
      throw new Error(`${where}: the patch "${patch.why}" is for ${patch.version}; check it still applies`);
    const file = path.join(dir, patch.file);
    const text = fs.readFileSync(file, 'utf8');
    if (text.includes(patch.after)) continue;
    if (text.split(patch.before).length !== 2) throw new Error(`${where}: the patched line is not there once`);
    fs.writeFileSync(file, text.replace(patch.before, patch.after));
    applied.push(`${where}: ${patch.why}`);
  }
  return applied;
}

if (require.main === module) {
  try {
    const applied = applyPatches(path.resolve(__dirname, '..', 'node_modules'));
    applied.forEach((line) => process.stderr.write(`patched ${line}\n`));
  } catch (error) {
    process.stderr.write(`patch-dependencies: ${error.message}\n`);
    process.exit(1);
  }
}

module.exports = { PATCHES, applyPatches };
