import { ConfigurableModuleBuilder } from '@nestjs/common';
import { TokenExchangeModuleOptions } from './token-exchange.options';

export const {
  ConfigurableModuleClass: ConfigurableTokenExchangeModule,
  MODULE_OPTIONS_TOKEN: TOKEN_EXCHANGE_OPTIONS,
  OPTIONS_TYPE: TOKEN_EXCHANGE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TOKEN_EXCHANGE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TokenExchangeModuleOptions>({ moduleName: 'TokenExchange' })
  .setClassMethodName('forRoot')
  // Configured once by the app, used by its feature modules: global unless `isGlobal: false`.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** Injection token of the checked options with their defaults (`ResolvedTokenExchangeOptions`). */
export const RESOLVED_TOKEN_EXCHANGE_OPTIONS = Symbol('RESOLVED_TOKEN_EXCHANGE_OPTIONS');
