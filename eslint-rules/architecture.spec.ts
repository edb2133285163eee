import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';

// `npm run lint` keeps apps/api-keys/src layered and free of import cycles with our two rules;
// this shows each rule fires, on small trees written to a temporary folder, so a change to the
// plugin cannot switch one off unnoticed. The plugin is plain JavaScript (eslint.config.js loads
// it without a compiler), so it is loaded untyped and given ESLint's plugin type.
const architecture = jest.requireActual<ESLint.Plugin>('./architecture');

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Writes `files` under <tmp>/src, lints each non-spec file as `npm run lint` would, and lists
 * every problem as "file:line rule: message". */
function lintTree(order: string[][], files: Record<string, string>): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'architecture-'));
  made.push(dir);
  for (const [name, code] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'src', name)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src', name), code);
  }
  const config: Linter.Config[] = [
    {
      files: ['src/**/*.ts'],
      ignores: ['**/*.spec.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { architecture },
      rules: {
        'architecture/layers': ['error', { root: 'src', order }],
        'architecture/no-cycles': ['error', { root: 'src' }],
      },
    },
  ];
  const linter = new Linter({ cwd: dir });
  return Object.keys(files)
    .filter((name) => !name.endsWith('.spec.ts'))
    .sort()
    .flatMap((name) => {
      const file = path.join(dir, 'src', name);
      return linter
        .verify(fs.readFileSync(file, 'utf8'), config, file)
        .map((m) => `${name}:${m.line} ${m.ruleId}: ${m.message}`);
    });
}

const ORDER = [['main.ts'], ['api'], ['store', 'clock'], ['errors.ts']];

describe('the layer order of a service folder', () => {
  it('accepts imports down the order, to a peer, within a folder, and of packages', () => {
    const problems = lintTree(ORDER, {
      'main.ts': "import { handle } from './api/handle';\nexport const run = handle;\n",
      'api/handle.ts': [
        "import { Injectable } from '@nestjs/common';",
        "import { save } from '../store';",
        "import type { Clock } from '../clock/clock';",
        "import { fail } from '../errors';",
        "import { parse } from './parse';",
        'export const handle = [Injectable, save, fail, parse] as unknown as Clock;',
      ].join('\n'),
      'api/parse.ts': 'export const parse = 1;\n',
      // A peer in the same layer, reached through the folder's index.ts.
      'store/index.ts': "import { now } from '../clock/clock';\nexport const save = now;\n",
      'clock/clock.ts': 'export type Clock = number;\nexport const now = 0;\n',
      'errors.ts': 'export const fail = 0;\n',
      // A spec is outside the graph: it may import upward and close a loop.
      'store/store.spec.ts': "import { handle } from '../api/handle';\nexport const used = handle;\n",
    });
    expect(problems).toEqual([]);
  });

  it('refuses an import up the order, by import or by re-export', () => {
    const problems = lintTree(ORDER, {
      'main.ts': "import { handle } from './api/handle';\nexport const run = handle;\n",
      'api/handle.ts': 'export const handle = 1;\n',
      'api/route.ts': 'export const route = 1;\n',
      'store/index.ts':
        "import { handle } from '../api/handle';\nexport { route } from '../api/route';\nexport const save = handle;\n",
      'errors.ts': "import type { Save } from './store/types';\nexport type Fail = Save;\n",
      'store/types.ts': 'export type Save = number;\n',
    });
    expect(problems).toEqual([
      "errors.ts:1 architecture/layers: 'errors.ts' (layer 4) imports 'store' (layer 3, higher up): an import goes down the layer order or to a peer in the same layer.",
      "store/index.ts:1 architecture/layers: 'store' (layer 3) imports 'api' (layer 2, higher up): an import goes down the layer order or to a peer in the same layer.",
      "store/index.ts:2 architecture/layers: 'store' (layer 3) imports 'api' (layer 2, higher up): an import goes down the layer order or to a peer in the same layer.",
    ]);
  });

  it('refuses a folder or top-level file that has no place in the order', () => {
    const problems = lintTree(ORDER, {
      'main.ts': "import { tool } from './tools';\nexport const run = tool;\n",
      'tools.ts': "import { cache } from './cache/cache';\nexport const tool = cache;\n",
      'cache/cache.ts': 'export const cache = 1;\n',
    });
    expect(problems).toEqual([
      "cache/cache.ts:1 architecture/layers: 'cache' has no place in the layer order: add it to a layer (eslint.config.js).",
      "tools.ts:1 architecture/layers: 'tools.ts' has no place in the layer order: add it to a layer (eslint.config.js).",
    ]);
  });
});

describe('the cycle check of a service folder', () => {
  it('reports both imports of a two-file cycle, type-only imports included', () => {
    const problems = lintTree(ORDER, {
      'api/flow.ts': "import { isMet } from './conditions';\nexport type Flow = number;\nexport const run = isMet;\n",
      'api/conditions.ts': "import type { Flow } from './flow';\nexport const isMet = (flow: Flow) => flow > 0;\n",
    });
    expect(problems).toEqual([
      'api/conditions.ts:1 architecture/no-cycles: import cycle between files: api/conditions.ts -> api/flow.ts -> api/conditions.ts.',
      'api/flow.ts:1 architecture/no-cycles: import cycle between files: api/flow.ts -> api/conditions.ts -> api/flow.ts.',
    ]);
  });

  it('reports a cycle between two folders that has no cycle between files', () => {
    // Peers in one layer, so only the cycle check can see it: event-log/a -> projector/b, and
    // projector/c -> event-log/d; no file reaches itself.
    const order = [['event-log', 'projector']];
    const problems = lintTree(order, {
      'event-log/a.ts': "import { b } from '../projector/b';\nexport const a = b;\n",
      'event-log/d.ts': 'export const d = 1;\n',
      'projector/b.ts': 'export const b = 1;\n',
      'projector/c.ts': "import { d } from '../event-log/d';\nexport const c = d;\n",
    });
    expect(problems).toEqual([
      'event-log/a.ts:1 architecture/no-cycles: import cycle between folders: event-log -> projector -> event-log (the way back: projector/c.ts -> event-log/d.ts).',
      'projector/c.ts:1 architecture/no-cycles: import cycle between folders: projector -> event-log -> projector (the way back: event-log/a.ts -> projector/b.ts).',
    ]);
  });
});

describe('eslint.config.js', () => {
  // ESLint runs in a child process: it loads its config with a dynamic import, which jest's
  // module system cannot run.
  const root = path.resolve(__dirname, '..');
  const printConfig = (file: string) => {
    const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
    const run = spawnSync(process.execPath, [eslint, '--print-config', file], { cwd: root, encoding: 'utf8' });
    return JSON.parse(run.stdout) as { rules: Record<string, [number, { order?: string[][] }?]> };
  };

  it('applies both rules as errors to the service, with every entry of its folder placed once', () => {
    const { rules } = printConfig('apps/api-keys/src/main.ts');
    expect(rules['architecture/layers'][0]).toBe(2);
    expect(rules['architecture/no-cycles']).toEqual([2, { root: 'apps/api-keys/src' }]);
    const placed = (rules['architecture/layers'][1]?.order ?? []).flat().sort();
    const entries = fs
      .readdirSync(path.join(root, 'apps/api-keys/src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')))
      .map((entry) => entry.name)
      .sort();
    expect(placed).toEqual(entries);
  }, 60000);

  it('leaves the specs out of the graph', () => {
    const { rules } = printConfig('apps/api-keys/src/shutdown.spec.ts');
    expect(rules['architecture/layers']).toBeUndefined();
    expect(rules['architecture/no-cycles']).toBeUndefined();
  }, 60000);
});
