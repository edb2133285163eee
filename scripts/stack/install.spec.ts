import { parseJavaMajor } from './install';

describe('java -version parsing', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['java version "21" 2023-09-19', 21],
    ['openjdk version "11.0.2" 2019-01-15', 11],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "25-ea" 2025-09-16', 25],
  ])('reads %j as Java %i', (output, major) => {
    expect(parseJavaMajor(output)).toBe(major);
  });

  it('gives null for output it does not understand', () => {
    expect(parseJavaMajor('command not found')).toBeNull();
  });
});
