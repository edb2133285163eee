import { UsageError, parseCommandLine } from './arguments';

describe('the CLI command line', () => {
  it.each([
    [['bootstrap', '--email', 'a@example.com'], { command: 'bootstrap', email: 'a@example.com' }],
    [
      ['bootstrap', '--email', 'a@example.com', '--name', 'Ops key'],
      { command: 'bootstrap', email: 'a@example.com', name: 'Ops key' },
    ],
    [
      ['bootstrap', '--name=Ops', '--email=a@example.com'],
      { command: 'bootstrap', email: 'a@example.com', name: 'Ops' },
    ],
    [['events', 'tail'], { command: 'events tail', fromBeginning: false }],
    [['events', 'tail', '--from-beginning'], { command: 'events tail', fromBeginning: true }],
    [['events', 'tail', '--key', '42'], { command: 'events tail', key: '42', fromBeginning: false }],
    [
      ['events', 'tail', '--from-beginning', '--key=9007199254740991'],
      { command: 'events tail', key: '9007199254740991', fromBeginning: true },
    ],
    [['rebuild'], { command: 'rebuild', verify: false }],
    [
      ['rebuild', '--database', 'api_keys_v2', '--verify'],
      { command: 'rebuild', database: 'api_keys_v2', verify: true },
    ],
  ])('reads %j', (argv, command) => {
    expect(parseCommandLine(argv)).toEqual(command);
  });

  it.each([
    ['nothing', [], /missing command/],
    ['an unknown command', ['destroy', '--email', 'a@example.com'], /unknown command: destroy/],
    ['events without tail', ['events'], /unknown command: events/],
    ['another events command', ['events', 'replay'], /unknown command: events replay/],
    ['bootstrap without --email', ['bootstrap'], /--email/],
    ['an empty email', ['bootstrap', '--email', ''], /--email/],
    ['--email without its value', ['bootstrap', '--email'], /--email/],
    ['an unknown option', ['bootstrap', '--email', 'a@example.com', '--admin'], /--admin/],
    ['an option of the other command', ['bootstrap', '--email', 'a@example.com', '--from-beginning'], /from-beginning/],
    ['a stray argument', ['events', 'tail', 'now'], /now/],
    ['--key without its value', ['events', 'tail', '--key'], /--key/],
    ['a key that is no id', ['events', 'tail', '--key', 'abc'], /--key must be a key id/],
    ['a key of 0', ['events', 'tail', '--key', '0'], /--key must be a key id/],
    ['a negative key', ['events', 'tail', '--key=-3'], /--key must be a key id/],
    ['a padded key', ['events', 'tail', '--key', '042'], /--key must be a key id/],
    ['a key beyond the safe integers', ['events', 'tail', '--key', '9007199254740993'], /--key must be a key id/],
    ['a value for --from-beginning', ['events', 'tail', '--from-beginning=yes'], /from-beginning/],
    ['a database name with a slash', ['rebuild', '--database', 'a/b'], /--database must be a database name/],
    ['a stray rebuild argument', ['rebuild', 'now'], /now/],
  ])('refuses %s', (_, argv, reason) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(reason);
  });
});
