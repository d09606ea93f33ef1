/** Component tests: jsdom + @testing-library/react, TSX through swc. Run with `npm test --prefix static/console`. */
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } },
        module: { type: 'commonjs' },
      },
    ],
  },
  // Atlaskit ships ESM next to CJS and imports its extracted CSS; jest takes the CJS build and ignores the CSS.
  moduleNameMapper: { '\\.css$': '<rootDir>/test/style-stub.js' },
  setupFiles: ['<rootDir>/test/setup.ts'],
  testTimeout: 30000,
};
