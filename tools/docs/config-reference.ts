/**
 * Prints the configuration reference of every app as Markdown tables, from the apps' own config
 * schemas (the only place that reads the environment), for docs/running.md:
 *
 *   TS_NODE_PROJECT=tsconfig.base.json npx ts-node -T \
 *     -O '{"module":"commonjs","moduleResolution":"node10","ignoreDeprecations":"6.0"}' \
 *     -r tsconfig-paths/register tools/docs/config-reference.ts
 */
import { ConfigSchema, describeConfig } from '@baton/config';
import { relative } from 'node:path';
import { authServerConfig } from '../../apps/auth-server/src/config/auth-server.config';
import { demoConfig } from '../../apps/demo/src/config/demo.config';
import { messageServiceConfig } from '../../apps/message-service/src/config/message-service.config';
import { userServiceConfig } from '../../apps/user-service/src/config/user-service.config';

const apps: [string, ConfigSchema][] = [
  ['auth-server', authServerConfig.schema],
  ['user-service', userServiceConfig.schema],
  ['message-service', messageServiceConfig.schema],
  ['demo (npm run demo)', demoConfig.schema],
];

const root = process.cwd();
for (const [app, schema] of apps) {
  process.stdout.write(`#### ${app}\n\n| Variable | Default | Meaning |\n| --- | --- | --- |\n`);
  for (const row of describeConfig(schema)) {
    // Paths computed from where the code runs are shown relative to the repository.
    process.stdout.write(`${row.replace(/"(\/[^"]+)"/g, (_match, path: string) => `"${relative(root, path)}"`)}\n`);
  }
  process.stdout.write('\n');
}
