import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { MAX_STARTING_AFTER, PageQuery } from './page-query';

const problems = (query: Record<string, string>) =>
  validateSync(plainToInstance(PageQuery, query)).flatMap((error) => Object.values(error.constraints ?? {}));

describe('PageQuery', () => {
  it('accepts every starting_after the document allows, up to the largest safe integer', () => {
    expect(problems({ starting_after: '1' })).toEqual([]);
    expect(problems({ starting_after: String(MAX_STARTING_AFTER) })).toEqual([]);
  });

  it('refuses a starting_after past the largest safe integer, naming the bound', () => {
    expect(problems({ starting_after: '9007199254740992' })).toEqual([
      `$path must be an integer from 1 to ${MAX_STARTING_AFTER}`,
    ]);
  });
});
