import { ConfigEntry, ConfigProblem } from './config-entry';

interface EntryOptions<T> {
  description: string;
  default?: T;
  secret?: boolean;
}

function entry<T>(env: string, options: EntryOptions<T>, parse: (raw: string) => T): ConfigEntry<T> {
  return {
    env,
    description: options.description,
    secret: options.secret ?? false,
    defaultValue: options.default,
    parse,
  };
}

export function stringEntry(env: string, options: EntryOptions<string>): ConfigEntry<string> {
  return entry(env, options, (raw) => {
    if (raw.trim() === '') throw new ConfigProblem('must not be empty');
    return raw;
  });
}

export function integerEntry(
  env: string,
  options: EntryOptions<number> & { min?: number; max?: number },
): ConfigEntry<number> {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  return entry(env, options, (raw) => {
    const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigProblem(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  });
}

export function portEntry(env: string, options: EntryOptions<number>): ConfigEntry<number> {
  return entry(env, options, (raw) => {
    const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    // 0 asks the operating system for a free port, which tests use.
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new ConfigProblem('must be a port number');
    }
    return value;
  });
}

export function booleanEntry(env: string, options: EntryOptions<boolean>): ConfigEntry<boolean> {
  return entry(env, options, (raw) => {
    const normalized = raw.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(normalized)) return true;
    if (['false', '0', 'no'].includes(normalized)) return false;
    throw new ConfigProblem('must be true or false');
  });
}

export function urlEntry(env: string, options: EntryOptions<string>): ConfigEntry<string> {
  return entry(env, options, (raw) => httpUrl(raw, 'must be an absolute http(s) URL'));
}

/** Absolute http(s) URLs separated by commas or spaces (each kept as given, without a trailing slash). */
export function urlListEntry(env: string, options: EntryOptions<string[]>): ConfigEntry<string[]> {
  return entry(env, options, (raw) => {
    const values = raw
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((value) => httpUrl(value, `must list absolute http(s) URLs (not ${JSON.stringify(value.slice(0, 80))})`));
    if (values.length === 0) throw new ConfigProblem('must list at least one URL');
    return values;
  });
}

function httpUrl(raw: string, problem: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigProblem(problem);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigProblem(problem);
  // Keep the text as given, without a trailing slash, so issuers compare exactly.
  return raw.trim().replace(/\/+$/, '');
}

export function enumEntry<T extends string>(
  env: string,
  values: readonly T[],
  options: EntryOptions<T>,
): ConfigEntry<T> {
  return entry(env, options, (raw) => {
    const value = raw.trim() as T;
    if (!values.includes(value)) throw new ConfigProblem(`must be one of ${values.join(', ')}`);
    return value;
  });
}

export function listEntry(env: string, options: EntryOptions<string[]>): ConfigEntry<string[]> {
  return entry(env, options, (raw) => {
    const values = raw
      .split(/[\s,]+/)
      .map((value) => value.trim())
      .filter(Boolean);
    if (values.length === 0) throw new ConfigProblem('must list at least one value');
    return values;
  });
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Fragments every app's schema starts from. */
export const commonConfig = {
  nodeEnv: enumEntry('NODE_ENV', ['development', 'production', 'test'] as const, {
    description: 'Run mode; production refuses demo secrets and generated keys',
    default: 'development',
  }),
  logLevel: enumEntry('LOG_LEVEL', LOG_LEVELS, {
    description: 'Lowest log level written',
    default: 'info',
  }),
  logFormat: enumEntry('LOG_FORMAT', ['json', 'pretty'] as const, {
    description: 'json for machines, pretty for people',
    default: 'json',
  }),
  host: stringEntry('HOST', {
    description: 'Address the HTTP server binds to',
    default: '127.0.0.1',
  }),
};
