export { name, run } from './resource-server.bench.mts';
