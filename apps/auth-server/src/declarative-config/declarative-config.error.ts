/**
 * A declarative configuration file that cannot be used. The message is one line naming the file,
 * the place in it and the problem:
 * `apps/auth-server/config/demo.yaml: clients[1].secrett: unknown field (allowed: clientId, ...)`.
 */
export class DeclarativeConfigError extends Error {
  readonly code = 'DECLARATIVE_CONFIG_INVALID';

  constructor(
    /** Where in the file, e.g. `clients[0].redirectUris[1]`; empty for the whole file. */
    readonly path: string,
    readonly problem: string,
    readonly file?: string,
  ) {
    super(`${file === undefined ? '' : `${file}: `}${path === '' ? '' : `${path}: `}${problem}`);
    this.name = 'DeclarativeConfigError';
  }

  inFile(file: string): DeclarativeConfigError {
    return new DeclarativeConfigError(this.path, this.problem, file);
  }
}
