export * from './lib/api-docs';
export * from './lib/api-exception.filter';
export * from './lib/api-validation.pipe';
export * from './lib/resource-server.config';
