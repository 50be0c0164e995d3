import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ObservabilityModuleOptions } from './observability.options';

export const {
  ConfigurableModuleClass: ConfigurableObservabilityModule,
  MODULE_OPTIONS_TOKEN: OBSERVABILITY_MODULE_OPTIONS,
  OPTIONS_TYPE: OBSERVABILITY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: OBSERVABILITY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ObservabilityModuleOptions>({ moduleName: 'Observability' })
  .setClassMethodName('forRoot')
  .build();

/** Injection token of the options with defaults applied (`ResolvedObservabilityOptions`). */
export const RESOLVED_OBSERVABILITY_OPTIONS = Symbol('RESOLVED_OBSERVABILITY_OPTIONS');
