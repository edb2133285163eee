import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { PATCHES, applyPatches } from './patch-dependencies';

const nodeModules = join(__dirname, '..', 'node_modules');

describe('patches to installed dependencies', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'patches-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of the patched file's package as npm would install it (the original, unpatched text). */
  const unpatchedCopy = (patch: (typeof PATCHES)[number], version = patch.version) => {
    const pkg = join(dir, patch.name);
    mkdirSync(dirname(join(pkg, patch.file)), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: patch.name, version }));
    const installed = readFileSync(join(nodeModules, patch.name, patch.file), 'utf8');
    writeFileSync(join(pkg, patch.file), installed.replace(patch.after, patch.before));
    return join(pkg, patch.file);
  };

  it.each(PATCHES.map((patch) => [patch.name, patch]))('are applied to the installed %s', (_name, patch) => {
    expect(readFileSync(join(nodeModules, patch.name, patch.file), 'utf8')).toContain(patch.after);
  });

  it('apply once: a second run changes nothing', () => {
    const file = unpatchedCopy(PATCHES[0]);

    expect(applyPatches(dir)).toHaveLength(1);
    const patched = readFileSync(file, 'utf8');
    expect(patched).toContain(PATCHES[0].after);
    expect(applyPatches(dir)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(patched);
  });

  it('refuse another version of the package than the one they were written for', () => {
    unpatchedCopy(PATCHES[0], '9.9.9');
    expect(() => applyPatches(dir)).toThrow(/check it still applies/);
  });

  it('skip a package that is not installed', () => {
    expect(applyPatches(dir)).toEqual([]);
  });
});
