/** A public key as served at `/oauth2/jwks`: never any private member (`d`, `p`, `q`, ...). */
export interface PublicJsonWebKey {
  kty: 'EC' | 'RSA' | 'OKP';
  kid: string;
  alg: string;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

export interface JsonWebKeySet {
  keys: PublicJsonWebKey[];
}
