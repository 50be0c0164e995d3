/**
 * One configuration key: where it comes from, what it means, how it is parsed, and whether it
 * is a secret (secrets are never printed in start-up summaries).
 */
export interface ConfigEntry<T> {
  /** Environment variable that sets it. */
  readonly env: string;
  readonly description: string;
  readonly secret: boolean;
  /** Value when the variable is unset; `undefined` means the key is required. */
  readonly defaultValue: T | undefined;
  /** Parses the raw text or throws a ConfigProblem saying what is wrong. */
  readonly parse: (raw: string) => T;
}

export type ConfigSchema = Readonly<Record<string, ConfigEntry<unknown>>>;

export type ConfigValues<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends ConfigEntry<infer T> ? T : never;
};

/** A value that cannot be used; the loader adds the key name and the raw value. */
export class ConfigProblem extends Error {
  constructor(readonly expectation: string) {
    super(expectation);
    this.name = 'ConfigProblem';
  }
}
