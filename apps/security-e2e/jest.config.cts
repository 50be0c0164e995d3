/**
 * Attack catalogue, fuzz properties and key rotation against the built apps running as real
 * processes: files run one after another (runInBand in project.json).
 */
module.exports = {
  displayName: 'security-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  testTimeout: 90_000,
  coverageDirectory: '../../coverage/apps/security-e2e',
};
