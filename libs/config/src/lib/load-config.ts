import { ConfigProblem, ConfigSchema, ConfigValues } from './config-entry';
import { ConfigValidationError } from './config-validation.error';

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates every key of the schema from the environment. This is the only place in
 * Baton that reads `process.env`. The first bad key stops it with a one-line message.
 */
export function loadConfig<S extends ConfigSchema>(
  schema: S,
  environment: Environment = process.env,
): ConfigValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(schema)) {
    const raw = environment[entry.env];
    if (raw === undefined || raw === '') {
      if (entry.defaultValue === undefined) {
        throw new ConfigValidationError(entry.env, `${entry.env} is required (${entry.description})`);
      }
      values[name] = entry.defaultValue;
      continue;
    }
    try {
      values[name] = entry.parse(raw);
    } catch (error) {
      if (!(error instanceof ConfigProblem)) throw error;
      // Secrets are never echoed back, not even in an error.
      const shown = entry.secret ? '' : `, got ${JSON.stringify(raw)}`;
      throw new ConfigValidationError(entry.env, `${entry.env} ${error.expectation}${shown}`);
    }
  }
  return values as ConfigValues<S>;
}

/** A printable summary of the loaded configuration with secrets masked, for start-up logs. */
export function summarizeConfig<S extends ConfigSchema>(
  schema: S,
  values: ConfigValues<S>,
): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(schema)) {
    summary[entry.env] = entry.secret ? '[secret]' : values[name as keyof S];
  }
  return summary;
}

/** Markdown table rows documenting a schema (used for the README's configuration reference). */
export function describeConfig(schema: ConfigSchema): string[] {
  return Object.values(schema).map((entry) => {
    const shown = entry.defaultValue === undefined ? '(required)' : JSON.stringify(entry.defaultValue);
    return `| \`${entry.env}\` | ${entry.secret ? '[secret]' : shown} | ${entry.description} |`;
  });
}
