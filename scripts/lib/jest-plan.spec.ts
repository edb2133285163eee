import { planJestRuns } from './jest-plan';

describe('npm test arguments', () => {
  it('runs both projects and passes nothing extra by default', () => {
    expect(planJestRuns([])).toEqual({ unit: true, e2e: true, passthrough: [] });
  });

  it('passes other jest arguments to both runs unchanged', () => {
    expect(planJestRuns(['-t', 'rejects', '--verbose'])).toEqual({
      unit: true,
      e2e: true,
      passthrough: ['-t', 'rejects', '--verbose'],
    });
  });

  it('runs only the selected project', () => {
    expect(planJestRuns(['--selectProjects', 'e2e', 'keys'])).toEqual({
      unit: false,
      e2e: true,
      passthrough: ['keys'],
    });
    expect(planJestRuns(['--selectProjects=unit'])).toEqual({ unit: true, e2e: false, passthrough: [] });
  });

  it('accepts several selected projects', () => {
    expect(planJestRuns(['--selectProjects', 'unit', 'e2e'])).toEqual({ unit: true, e2e: true, passthrough: [] });
  });

  it('rejects a project that does not exist', () => {
    expect(() => planJestRuns(['--selectProjects=integration'])).toThrow(/unknown jest project "integration"/);
    expect(() => planJestRuns(['--selectProjects', 'integration'])).toThrow(/needs one of: unit, e2e/);
  });
});
