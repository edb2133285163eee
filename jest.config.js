// Two projects: fast unit specs next to the code, and e2e suites in test/ that need the real
// Kafka and MongoDB-protocol servers (scripts/test.js starts them and passes their addresses).
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@app/access$': '<rootDir>/libs/access/src',
    '^@app/contracts$': '<rootDir>/libs/contracts/src',
    '^@app/domain$': '<rootDir>/libs/domain/src',
    '^@app/kafka$': '<rootDir>/libs/kafka/src',
    '^@app/usage$': '<rootDir>/libs/usage/src',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/scripts', '<rootDir>/eslint-rules'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
    },
  ],
};
