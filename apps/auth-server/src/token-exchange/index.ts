export { TokenExchangeGrantModule } from './token-exchange-grant.module';
export { TokenExchangeExtension } from './token-exchange.extension';
