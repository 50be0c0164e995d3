import { Inject } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { DynamicModule } from '@nestjs/common';
import { ConfigSchema, ConfigValues } from './config-entry';
import { ConfigValidationError } from './config-validation.error';
import { loadConfig } from './load-config';

export interface AppConfig<S extends ConfigSchema> {
  readonly namespace: string;
  readonly schema: S;
  /** Injection token of the validated values. */
  readonly KEY: string | symbol;
  /** Loads and validates from the environment (throws ConfigValidationError). */
  load(): ConfigValues<S>;
}

/** Declares an app's configuration: its namespace and its schema built from fragments. */
export function defineAppConfig<S extends ConfigSchema>(namespace: string, schema: S): AppConfig<S> {
  const factory = registerAs(namespace, () => loadConfig(schema));
  return { namespace, schema, KEY: factory.KEY, load: () => loadConfig(schema) };
}

/** Global @nestjs/config module that provides the app's validated configuration under its KEY. */
export function appConfigModule<S extends ConfigSchema>(config: AppConfig<S>): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    load: [registerAs(config.namespace, () => config.load())],
  });
}

/** Parameter decorator injecting the validated configuration values. */
export function InjectAppConfig<S extends ConfigSchema>(config: AppConfig<S>): ParameterDecorator {
  return Inject(config.KEY);
}

/**
 * Validates the configuration before Nest starts, so a bad value stops the app with one line
 * (no stack trace) and exit code 1.
 */
export function loadConfigOrExit<S extends ConfigSchema>(config: AppConfig<S>): ConfigValues<S> {
  try {
    return config.load();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
