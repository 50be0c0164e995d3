export * from './lib/token-exchange/token-exchange.constants';
export * from './lib/token-exchange/token-exchange-request';
export * from './lib/token-exchange/token-exchange-response';
export * from './lib/token-exchange/act-claim';
export * from './lib/token-exchange/token-exchange-audit-entry';
export * from './lib/users/user-identity';
