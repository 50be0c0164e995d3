import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeclarativeConfig } from './declarative-config';
import { DeclarativeConfigError } from './declarative-config.error';
import { parseDeclarativeConfig } from './parse-declarative-config';

/** Reads and validates the declarative file; errors name the file and the place in it. */
export function loadDeclarativeConfig(file: string): DeclarativeConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot be read';
    throw new DeclarativeConfigError('', `${reason} (set AUTH_SERVER_CONFIG_FILE)`, file);
  }
  try {
    return parseDeclarativeConfig(text, path);
  } catch (error) {
    if (error instanceof DeclarativeConfigError) throw error.inFile(file);
    throw error;
  }
}

/**
 * Validates the file before Nest starts, so a broken file stops the app with one line and exit
 * code 1, like a bad environment variable does.
 */
export function loadDeclarativeConfigOrExit(file: string): DeclarativeConfig {
  try {
    return loadDeclarativeConfig(file);
  } catch (error) {
    if (error instanceof DeclarativeConfigError) {
      process.stderr.write(`Invalid configuration file ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
