import { parseArgs } from 'node:util';

// The operator CLI's command line. Pure, so that every accepted and refused form is unit-tested;
// cli.ts turns a UsageError into the usage text and exit code 64.

export const USAGE = [
  'usage: npm run cli -- bootstrap --email <email> [--name <key name>]',
  '       npm run cli -- events tail [--key <id>] [--from-beginning]',
  '       npm run cli -- rebuild [--database <name>] [--verify]',
].join('\n');

export type CliCommand =
  | { readonly command: 'bootstrap'; readonly email: string; readonly name?: string }
  | { readonly command: 'events tail'; readonly key?: string; readonly fromBeginning: boolean }
  | { readonly command: 'rebuild'; readonly database?: string; readonly verify: boolean };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const KEY_ID = /^[1-9][0-9]*$/;
const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/** parseArgs's own complaint (an unknown option, a missing value) as a UsageError. */
function orUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The command `argv` (what follows `npm run cli --`) asks for; throws UsageError when it is not one. */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  if (argv[0] === 'bootstrap') {
    const { values } = orUsageError(() =>
      parseArgs({ args: argv.slice(1), options: { email: { type: 'string' }, name: { type: 'string' } } }),
    );
    if (!values.email) throw new UsageError('bootstrap needs --email');
    return { command: 'bootstrap', email: values.email, ...(values.name === undefined ? {} : { name: values.name }) };
  }
  if (argv[0] === 'events' && argv[1] === 'tail') {
    const { values } = orUsageError(() =>
      parseArgs({ args: argv.slice(2), options: { key: { type: 'string' }, 'from-beginning': { type: 'boolean' } } }),
    );
    const key = values.key;
    if (key !== undefined && !(KEY_ID.test(key) && Number.isSafeInteger(Number(key))))
      throw new UsageError(`--key must be a key id (a positive integer), not ${JSON.stringify(key)}`);
    return { command: 'events tail', ...(key === undefined ? {} : { key }), fromBeginning: !!values['from-beginning'] };
  }
  if (argv[0] === 'rebuild') {
    const { values } = orUsageError(() =>
      parseArgs({ args: argv.slice(1), options: { database: { type: 'string' }, verify: { type: 'boolean' } } }),
    );
    const database = values.database;
    if (database !== undefined && !DATABASE_NAME.test(database))
      throw new UsageError(
        `--database must be a database name (letters, digits, _ and -), not ${JSON.stringify(database)}`,
      );
    return { command: 'rebuild', ...(database === undefined ? {} : { database }), verify: !!values.verify };
  }
  throw new UsageError(argv.length === 0 ? 'missing command' : `unknown command: ${argv.slice(0, 2).join(' ')}`);
}
