import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ResourceServerModuleOptions } from './resource-server-options';

export const {
  ConfigurableModuleClass: ConfigurableResourceServerModule,
  MODULE_OPTIONS_TOKEN: RESOURCE_SERVER_MODULE_OPTIONS,
  OPTIONS_TYPE: RESOURCE_SERVER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RESOURCE_SERVER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResourceServerModuleOptions>({ moduleName: 'ResourceServer' })
  .setClassMethodName('forRoot')
  .build();

/** Injection token of the options with defaults applied (`ResolvedResourceServerOptions`). */
export const RESOLVED_RESOURCE_SERVER_OPTIONS = Symbol('RESOLVED_RESOURCE_SERVER_OPTIONS');
