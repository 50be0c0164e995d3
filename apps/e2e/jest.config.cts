/**
 * Cross-service tests: the built apps run as real processes on free ports, so the files run one
 * after another (--runInBand in the e2e target) and a test may take tens of seconds.
 */
module.exports = {
  displayName: 'e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  testTimeout: 90_000,
  coverageDirectory: '../../coverage/apps/e2e',
};
