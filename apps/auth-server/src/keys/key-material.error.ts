/** Signing keys or cookie secrets that cannot be used; the message says which file and why. */
export class KeyMaterialError extends Error {
  readonly code = 'KEY_MATERIAL_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'KeyMaterialError';
  }
}
