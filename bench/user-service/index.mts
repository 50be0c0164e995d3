export { name, run } from './chain.bench.mts';
