export * from './lib/free-port';
export * from './lib/app-process';
