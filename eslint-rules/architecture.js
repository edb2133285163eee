// @ts-check
'use strict';
// Our ESLint plugin for the shape of an app's import graph (issue 16). Its options name a root
// folder (apps/api-keys/src); the graph's nodes are that folder's non-spec .ts files, and its
// "entries" are the root's first-level folders and files (`projector`, `main.ts`).
//
// - `layers`: the entries are placed in a committed order of layers, top first. An entry may
//   import an entry of a lower layer or of its own layer (peers), never one above it, and every
//   entry must have a place, so a new folder is placed when it is made.
// - `no-cycles`: no cycle among the files, and none among the entries either: event-log/a.ts ->
//   projector/b.ts plus projector/c.ts -> event-log/d.ts is a folder cycle without a file cycle,
//   and a reader still cannot understand one folder without the other.
//
// Every file's imports are read the same way, the linted file's from the text ESLint hands us
// and the others' from disk: TypeScript's scanner (`ts.preProcessFile`), which finds `import`,
// `import type`, `export … from`, `import x = require()`, `require()` and `import()` (in
// expressions and in types) and skips comments and strings. A cycle of types is still a cycle
// for a reader, so type-only imports count.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

/** @typedef {import('eslint').Rule.RuleModule} RuleModule */
/** @typedef {import('eslint').Rule.RuleContext} RuleContext */
/** @typedef {import('eslint').Rule.Node} Node */
/** @typedef {{ specifier: string, pos: number }} ImportReference */
/**
 * One analysis of a root's graph.
 * @typedef {object} Analysis
 * @property {Map<string, Set<string>>} fileEdges file -> the graph files it imports
 * @property {Map<string, number>} fileComponent file -> its strongly connected component
 * @property {Map<string, Set<string>>} entryEdges entry -> the other entries it imports
 * @property {Map<string, string>} entryWitness "a\0b" -> one file import that makes the edge a -> b
 * @property {Map<string, number>} entryComponent entry -> its strongly connected component
 */

/** @param {string} file */
function isGraphFile(file) {
  return file.endsWith('.ts') && !file.endsWith('.spec.ts');
}

/** @param {string} specifier */
function isRelative(specifier) {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

/**
 * The root's first-level entry that holds `target` (a file, or an unresolved path), or null
 * when `target` is outside the root or the root itself.
 * @param {string} root
 * @param {string} target
 */
function entryOf(root, target) {
  const relative = path.relative(root, target);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return null;
  return relative.split(path.sep)[0];
}

/**
 * The file a relative specifier names, the way TypeScript's node resolution finds a .ts source
 * (`x.ts`, `x.d.ts`, `x/index.ts`), or null when there is none.
 * @param {string} fromFile
 * @param {string} specifier
 */
function resolveFile(fromFile, specifier) {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [base, `${base}.ts`, `${base}.d.ts`, path.join(base, 'index.ts'), path.join(base, 'index.d.ts')];
  if (base.endsWith('.js')) candidates.push(`${base.slice(0, -3)}.ts`);
  return candidates.find((candidate) => isGraphFile(candidate) && isFile(candidate)) ?? null;
}

/** @param {string} file */
function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The relative imports of a file's text, with where each specifier starts.
 * @param {string} text
 * @returns {ImportReference[]}
 */
function importsOf(text) {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.filter((reference) => isRelative(reference.fileName))
    .map((reference) => ({ specifier: reference.fileName, pos: reference.pos }));
}

/**
 * The graph files under `root` that a file's text imports.
 * @param {string} root
 * @param {string} file
 * @param {string} text
 */
function targetsOf(root, file, text) {
  /** @type {Set<string>} */
  const targets = new Set();
  for (const { specifier } of importsOf(text)) {
    const target = resolveFile(file, specifier);
    if (target && entryOf(root, target) !== null) targets.add(target);
  }
  return targets;
}

/**
 * Every graph file under `root`, with its modification time and size.
 * @param {string} root
 * @returns {{ file: string, mtimeMs: number, size: number }[]}
 */
function listFiles(root) {
  /** @type {{ file: string, mtimeMs: number, size: number }[]} */
  const found = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, dirent.name);
      if (dirent.isDirectory()) walk(full);
      else if (dirent.isFile() && isGraphFile(full)) {
        const { mtimeMs, size } = fs.statSync(full);
        found.push({ file: full, mtimeMs, size });
      }
    }
  };
  if (fs.existsSync(root)) walk(root);
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * Tarjan's strongly connected components: node -> component number. Two nodes share a number
 * exactly when each reaches the other, i.e. when they sit on a common cycle.
 * @param {Map<string, Set<string>>} edges
 */
function components(edges) {
  /** @type {Map<string, number>} */
  const index = new Map();
  /** @type {Map<string, number>} */
  const low = new Map();
  /** @type {Map<string, number>} */
  const component = new Map();
  /** @type {string[]} */
  const stack = [];
  let counter = 0;
  let next = 0;
  /** @param {string} node */
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(/** @type {number} */ (low.get(node)), /** @type {number} */ (low.get(target))));
      } else if (!component.has(target)) {
        low.set(node, Math.min(/** @type {number} */ (low.get(node)), /** @type {number} */ (index.get(target))));
      }
    }
    if (low.get(node) === index.get(node)) {
      let member;
      do {
        member = /** @type {string} */ (stack.pop());
        component.set(member, next);
      } while (member !== node);
      next += 1;
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return component;
}

/**
 * A shortest path from `from` to `to` along `edges` (both ends included), or null.
 * @param {Map<string, Set<string>>} edges
 * @param {string} from
 * @param {string} to
 */
function shortestPath(edges, from, to) {
  /** @type {Map<string, string | null>} */
  const previous = new Map([[from, null]]);
  const queue = [from];
  for (let head = 0; head < queue.length; head += 1) {
    const node = queue[head];
    if (node === to) {
      const path = [];
      for (
        let at = /** @type {string | null} */ (to);
        at !== null;
        at = /** @type {string | null} */ (previous.get(at))
      ) {
        path.unshift(at);
      }
      return path;
    }
    for (const target of edges.get(node) ?? []) {
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return null;
}

/**
 * @param {string} root
 * @param {Map<string, Set<string>>} fileEdges
 * @returns {Analysis}
 */
function analyse(root, fileEdges) {
  /** @type {Map<string, Set<string>>} */
  const entryEdges = new Map();
  /** @type {Map<string, string>} */
  const entryWitness = new Map();
  for (const [file, targets] of fileEdges) {
    const from = /** @type {string} */ (entryOf(root, file));
    if (!entryEdges.has(from)) entryEdges.set(from, new Set());
    for (const target of targets) {
      const to = /** @type {string} */ (entryOf(root, target));
      if (to === from) continue;
      /** @type {Set<string>} */ (entryEdges.get(from)).add(to);
      const key = `${from}\0${to}`;
      if (!entryWitness.has(key)) {
        entryWitness.set(key, `${path.relative(root, file)} -> ${path.relative(root, target)}`);
      }
    }
  }
  return {
    fileEdges,
    fileComponent: components(fileEdges),
    entryEdges,
    entryWitness,
    entryComponent: components(entryEdges),
  };
}

/**
 * Per root: the files as last read (signature: every file's path, mtime and size), each file's
 * imports and the analysis. A lint run asks once per linted file; the tree is read and analysed
 * again only when a file was added, removed or changed.
 * @type {Map<string, { signature: string, fileEdges: Map<string, Set<string>>, analysis: Analysis }>}
 */
const cache = new Map();

/** @param {string} root */
function analysisOnDisk(root) {
  const files = listFiles(root);
  const signature = files.map(({ file, mtimeMs, size }) => `${file}\0${mtimeMs}\0${size}`).join('\n');
  const cached = cache.get(root);
  if (cached && cached.signature === signature) return cached;
  /** @type {Map<string, Set<string>>} */
  const fileEdges = new Map();
  for (const { file } of files) fileEdges.set(file, targetsOf(root, file, fs.readFileSync(file, 'utf8')));
  const entry = { signature, fileEdges, analysis: analyse(root, fileEdges) };
  cache.set(root, entry);
  return entry;
}

/**
 * The analysis with the linted file's imports as ESLint sees them (an editor's unsaved text,
 * `--stdin`), which may differ from the copy on disk.
 * @param {string} root
 * @param {string} file
 * @param {string} text
 */
function analysisFor(root, file, text) {
  const onDisk = analysisOnDisk(root);
  const targets = targetsOf(root, file, text);
  const before = onDisk.fileEdges.get(file);
  if (before && before.size === targets.size && [...targets].every((target) => before.has(target))) {
    return onDisk.analysis;
  }
  const fileEdges = new Map(onDisk.fileEdges);
  fileEdges.set(file, targets);
  return analyse(root, fileEdges);
}

/**
 * The rule's root folder, absolute, and the linted file, absolute, or null when the file is not
 * a graph file under the root.
 * @param {RuleContext} context
 */
function locate(context) {
  const { root } = /** @type {{ root: string }} */ (context.options[0]);
  const absoluteRoot = path.resolve(context.cwd, root);
  const file = path.resolve(context.cwd, context.filename);
  const entry = entryOf(absoluteRoot, file);
  return entry !== null && isGraphFile(file) ? { root: absoluteRoot, file, entry } : null;
}

const IMPORT_NODES = new Set([
  'ImportDeclaration',
  'ExportAllDeclaration',
  'ExportNamedDeclaration',
  'TSImportEqualsDeclaration',
  'ImportExpression',
  'TSImportType',
  'CallExpression',
]);

/**
 * The node to report an import on: the declaration (or `import()`, `require()`) around the
 * specifier that starts at `pos`.
 * @param {RuleContext} context
 * @param {number} pos
 * @returns {Node}
 */
function importNode(context, pos) {
  const { sourceCode } = context;
  const node = /** @type {Node} */ (sourceCode.getNodeByRangeIndex(pos) ?? sourceCode.ast);
  for (let at = node; at.type !== 'Program'; at = at.parent) {
    if (IMPORT_NODES.has(at.type)) return at;
  }
  return node;
}

/**
 * Calls `check` with each relative import of the linted file: its node and its target, the
 * resolved file or, when none exists, the path it names.
 * @param {RuleContext} context
 * @param {string} file
 * @param {(node: Node, target: string, resolved: boolean) => void} check
 */
function forEachImport(context, file, check) {
  for (const { specifier, pos } of importsOf(context.sourceCode.text)) {
    const resolved = resolveFile(file, specifier);
    check(importNode(context, pos), resolved ?? path.resolve(path.dirname(file), specifier), resolved !== null);
  }
}

const rootOption = {
  root: { type: 'string', description: 'the folder whose first-level entries are placed, from the working directory' },
};

/** @type {RuleModule} */
const layers = {
  meta: {
    type: 'problem',
    docs: { description: "imports go down a committed order of the root's folders, or to a peer in the same layer" },
    schema: [
      {
        type: 'object',
        properties: {
          ...rootOption,
          order: {
            type: 'array',
            description: 'the layers, top first; each a list of first-level entries of the root',
            items: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
          },
        },
        required: ['root', 'order'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        "'{{from}}' (layer {{fromLayer}}) imports '{{to}}' (layer {{toLayer}}, higher up): an import goes down the layer order or to a peer in the same layer.",
      unplaced: "'{{entry}}' has no place in the layer order: add it to a layer (eslint.config.js).",
      twice: "'{{entry}}' is in the layer order twice, in layers {{first}} and {{second}}.",
    },
  },
  create(context) {
    const located = locate(context);
    if (!located) return {};
    const { root, file, entry } = located;
    const { order } = /** @type {{ order: string[][] }} */ (context.options[0]);
    /** @type {Map<string, number>} layer numbers count from 1, the top */
    const layerOf = new Map();
    /** @type {{ entry: string, first: number, second: number }[]} */
    const duplicates = [];
    order.forEach((layer, index) => {
      for (const name of layer) {
        const first = layerOf.get(name);
        if (first === undefined) layerOf.set(name, index + 1);
        else duplicates.push({ entry: name, first, second: index + 1 });
      }
    });
    return {
      Program(program) {
        for (const { entry: name, first, second } of duplicates) {
          context.report({
            node: program,
            messageId: 'twice',
            data: { entry: name, first: `${first}`, second: `${second}` },
          });
        }
        const fromLayer = layerOf.get(entry);
        if (fromLayer === undefined) {
          context.report({ node: program, messageId: 'unplaced', data: { entry } });
          return;
        }
        forEachImport(context, file, (node, target) => {
          const to = entryOf(root, target);
          if (to === null || to === entry) return;
          // An unresolved import of a top-level file names it without its extension.
          const toLayer = layerOf.get(to) ?? layerOf.get(`${to}.ts`);
          // An unplaced target is reported in its own files.
          if (toLayer !== undefined && toLayer < fromLayer) {
            context.report({
              node,
              messageId: 'upward',
              data: { from: entry, fromLayer: `${fromLayer}`, to, toLayer: `${toLayer}` },
            });
          }
        });
      },
    };
  },
};

/** @type {RuleModule} */
const noCycles = {
  meta: {
    type: 'problem',
    docs: { description: "no import cycle among the root's files, nor among its first-level folders" },
    schema: [{ type: 'object', properties: rootOption, required: ['root'], additionalProperties: false }],
    messages: {
      fileCycle: 'import cycle between files: {{cycle}}.',
      folderCycle: 'import cycle between folders: {{cycle}} (the way back: {{back}}).',
    },
  },
  create(context) {
    const located = locate(context);
    if (!located) return {};
    const { root, file, entry } = located;
    return {
      Program() {
        const analysis = analysisFor(root, file, context.sourceCode.text);
        /** @param {string} node */
        const name = (node) => path.relative(root, node);
        forEachImport(context, file, (node, target, resolved) => {
          const to = entryOf(root, target);
          if (!resolved || to === null) return;
          const component = analysis.fileComponent.get(file);
          if (target === file || (component !== undefined && component === analysis.fileComponent.get(target))) {
            const back = /** @type {string[]} */ (shortestPath(analysis.fileEdges, target, file));
            context.report({ node, messageId: 'fileCycle', data: { cycle: [file, ...back].map(name).join(' -> ') } });
          }
          const folders = analysis.entryComponent;
          if (to !== entry && folders.get(entry) === folders.get(to)) {
            const back = /** @type {string[]} */ (shortestPath(analysis.entryEdges, to, entry));
            const witnesses = back.slice(1).map((at, i) => analysis.entryWitness.get(`${back[i]}\0${at}`));
            context.report({
              node,
              messageId: 'folderCycle',
              data: { cycle: [entry, ...back].join(' -> '), back: witnesses.join(', ') },
            });
          }
        });
      },
    };
  },
};

module.exports = {
  meta: { name: 'architecture' },
  rules: { layers, 'no-cycles': noCycles },
};
