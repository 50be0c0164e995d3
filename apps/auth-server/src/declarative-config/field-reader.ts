import { DeclarativeConfigError } from './declarative-config.error';

/**
 * Reads the fields of one object of the declarative file, refusing unknown fields and values of
 * the wrong shape with the path of the offending field.
 */
export class FieldReader {
  private constructor(
    private readonly fields: Readonly<Record<string, unknown>>,
    readonly path: string,
  ) {}

  /** `value` must be a mapping whose keys are all in `allowed`. */
  static of(value: unknown, path: string, allowed: readonly string[]): FieldReader {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DeclarativeConfigError(path, `must be a mapping with the fields ${allowed.join(', ')}`);
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        throw new DeclarativeConfigError(join(path, key), `unknown field (allowed: ${allowed.join(', ')})`);
      }
    }
    return new FieldReader(value as Record<string, unknown>, path);
  }

  fieldPath(name: string): string {
    return join(this.path, name);
  }

  has(name: string): boolean {
    return this.fields[name] !== undefined && this.fields[name] !== null;
  }

  fail(name: string, problem: string): never {
    throw new DeclarativeConfigError(this.fieldPath(name), problem);
  }

  string(name: string, options: { pattern?: RegExp; expected?: string } = {}): string {
    if (!this.has(name)) this.fail(name, 'is required');
    return this.checkString(name, this.fields[name], this.fieldPath(name), options);
  }

  optionalString(name: string, options: { pattern?: RegExp; expected?: string } = {}): string | undefined {
    return this.has(name) ? this.string(name, options) : undefined;
  }

  stringList(
    name: string,
    options: { required?: boolean; pattern?: RegExp; expected?: string } = {},
  ): string[] | undefined {
    if (!this.has(name)) {
      if (options.required === true) this.fail(name, 'is required');
      return undefined;
    }
    const value = this.fields[name];
    if (!Array.isArray(value)) this.fail(name, 'must be a list');
    if (options.required === true && value.length === 0) this.fail(name, 'must not be empty');
    const items = value.map((item, index) =>
      this.checkString(name, item, `${this.fieldPath(name)}[${index}]`, options),
    );
    const duplicate = items.find((item, index) => items.indexOf(item) !== index);
    if (duplicate !== undefined) this.fail(name, `lists ${JSON.stringify(duplicate)} twice`);
    return items;
  }

  integer(name: string, options: { min: number; max: number; default?: number }): number {
    if (!this.has(name)) {
      if (options.default === undefined) this.fail(name, 'is required');
      return options.default;
    }
    const value = this.fields[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < options.min || value > options.max) {
      this.fail(name, `must be a whole number from ${options.min} to ${options.max}, got ${show(value)}`);
    }
    return value;
  }

  boolean(name: string, defaultValue: boolean): boolean {
    if (!this.has(name)) return defaultValue;
    const value = this.fields[name];
    if (typeof value !== 'boolean') this.fail(name, `must be true or false, got ${show(value)}`);
    return value;
  }

  /** A list of mappings; each item is handed to `read` with its path. */
  list<T>(name: string, read: (item: unknown, path: string) => T, options: { required?: boolean } = {}): T[] {
    if (!this.has(name)) {
      if (options.required === true) this.fail(name, 'is required');
      return [];
    }
    const value = this.fields[name];
    if (!Array.isArray(value)) this.fail(name, 'must be a list');
    return value.map((item, index) => read(item, `${this.fieldPath(name)}[${index}]`));
  }

  raw(name: string): unknown {
    return this.fields[name];
  }

  private checkString(
    name: string,
    value: unknown,
    path: string,
    options: { pattern?: RegExp; expected?: string },
  ): string {
    if (typeof value !== 'string' || value.trim() === '') {
      throw new DeclarativeConfigError(path, `must be a non-empty string, got ${show(value)}`);
    }
    if (options.pattern !== undefined && !options.pattern.test(value)) {
      throw new DeclarativeConfigError(path, `must be ${options.expected ?? `like ${options.pattern}`}, got ${show(value)}`);
    }
    return value;
  }
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** A value as shown in an error: short, and never spanning lines. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
