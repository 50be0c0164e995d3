export * from './lib/config-entry';
export * from './lib/config-validation.error';
export * from './lib/fragments';
export * from './lib/load-config';
export * from './lib/app-config';
