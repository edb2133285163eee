import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The rule that keeps the domain free of infrastructure is enforced by `npm run lint`; this shows
// the rule really fires, so a config change cannot switch it off unnoticed. ESLint runs in a child
// process: it loads its config with a dynamic import, which jest's module system cannot run.
const root = path.resolve(__dirname, '../../..');
const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');

function restrictedImports(file: string, code: string): string[] {
  const run = spawnSync(process.execPath, [eslint, '--format', 'json', '--stdin', '--stdin-filename', file], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the dependency rule', () => {
  it('refuses infrastructure in a domain file and lets it import the domain’s own files', () => {
    const forbidden = [
      ['@nestjs/common', 'Injectable', 'infrastructure'],
      ['mongoose', 'Model', 'infrastructure'],
      ['kafkajs', 'Kafka', 'infrastructure'],
      ['class-validator', 'ValidateBy', 'infrastructure'],
      ['@app/kafka', 'BatchingProducer', 'nothing above them'],
    ];
    const code = [
      "import { evolve } from './api-key-state';",
      ...forbidden.map(([from, name]) => `import { ${name} } from '${from}';`),
      `export const used = [evolve, ${forbidden.map(([, name]) => name).join(', ')}];`,
    ].join('\n');
    const problems = restrictedImports('libs/domain/src/api-key-state.ts', `${code}\n`);
    expect(problems).toEqual(forbidden.map(([from, , why]) => expect.stringMatching(new RegExp(`'${from}'.*${why}`))));
  }, 60000);
});
