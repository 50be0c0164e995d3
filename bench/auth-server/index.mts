export { name, run } from './token-exchange.bench.mts';
