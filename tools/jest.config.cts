/** tools/: only the lint-rules spec is a jest test (the rest are scripts with their own runners). */
module.exports = {
  displayName: 'tools',
  preset: '../jest.preset.js',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/lint-rules/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  // ESLint loads the eslint.config.mjs files itself, as native ES modules.
  transformIgnorePatterns: ['/node_modules/', '\\.mjs$'],
  moduleFileExtensions: ['ts', 'js', 'mjs'],
  coverageDirectory: '../coverage/tools',
};
