const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

module.exports = {
  output: {
    path: join(__dirname, '../../dist/apps/auth-server'),
    clean: true,
    ...(process.env.NODE_ENV !== 'production' && {
      devtoolModuleFilenameTemplate: '[absolute-resource-path]',
    }),
  },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      // The key rotation command ships next to the server: `node dist/apps/auth-server/rotate-keys.js`.
      additionalEntryPoints: [{ entryName: 'rotate-keys', entryPath: './src/keys/rotate-keys.cli.ts' }],
      tsConfig: './tsconfig.app.json',
      assets: ['./src/assets', { input: './config', glob: '*.yaml', output: './config' }],
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: true,
      sourceMap: true,
    }),
  ],
};
