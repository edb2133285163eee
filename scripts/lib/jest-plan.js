'use strict';
// Which jest projects `npm test -- <args>` runs. Everything except --selectProjects goes to jest
// as given; `npm test -- --selectProjects unit` runs only the unit project (and starts no servers).

const { StackError } = require('../stack/errors');

const PROJECTS = ['unit', 'e2e'];

/** @returns {{ unit: boolean, e2e: boolean, passthrough: string[] }} */
function planJestRuns(args) {
  const passthrough = [];
  let selected = null;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--selectProjects') {
      selected = selected || [];
      while (i + 1 < args.length && PROJECTS.includes(args[i + 1])) {
        i += 1;
        selected.push(args[i]);
      }
      if (selected.length === 0) {
        throw new StackError(`--selectProjects needs one of: ${PROJECTS.join(', ')}`);
      }
    } else if (arg.startsWith('--selectProjects=')) {
      selected = selected || [];
      const name = arg.slice('--selectProjects='.length);
      if (!PROJECTS.includes(name))
        throw new StackError(`unknown jest project "${name}"; the projects are ${PROJECTS.join(', ')}`);
      selected.push(name);
    } else {
      passthrough.push(arg);
    }
  }
  return {
    unit: !selected || selected.includes('unit'),
    e2e: !selected || selected.includes('e2e'),
    passthrough,
  };
}

module.exports = { PROJECTS, planJestRuns };
