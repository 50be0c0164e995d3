import { SignJWT } from 'jose';
import { KeyObject, createPrivateKey, randomUUID } from 'node:crypto';
import { JWT_BEARER_CLIENT_ASSERTION_TYPE } from '../token-exchange.constants';
import { TokenExchangeOptionsError } from '../token-exchange-options.error';
import { ClientAssertionAlgorithm, PrivateKeyJwtAuthentication } from '../token-exchange.options';
import { ClientAuthentication, ClientCredentials } from './client-authentication';

const OPTION = 'clientAuthentication';
const DEFAULT_LIFETIME_SECONDS = 60;
const MAX_LIFETIME_SECONDS = 300;
const MIN_RSA_BITS = 2048;

/** Node's curve names (`asymmetricKeyDetails.namedCurve`) for the JOSE EC algorithms. */
const EC_ALGORITHM_BY_CURVE: Readonly<Record<string, ClientAssertionAlgorithm>> = {
  prime256v1: 'ES256',
  'P-256': 'ES256',
  secp384r1: 'ES384',
  'P-384': 'ES384',
  secp521r1: 'ES512',
  'P-521': 'ES512',
};

/**
 * `private_key_jwt` (RFC 7523 §2.2 and §3): every request carries `client_assertion`, a JWT
 * signed with this client's private key: `iss` = `sub` = the client id, `aud` = the token endpoint
 * (or the issuer), a random `jti` so the server can refuse a replay, and an `exp` a minute away.
 * It is signed anew for each request, the one retry included.
 *
 * The key is read and checked when the module starts, so a wrong key stops the app at once
 * instead of failing the first exchange.
 */
export class PrivateKeyJwt implements ClientAuthentication {
  readonly method = 'private_key_jwt';
  private readonly key: KeyObject;
  private readonly algorithm: ClientAssertionAlgorithm;
  private readonly keyId: string | undefined;
  private readonly lifetimeSeconds: number;
  private readonly audienceIsIssuer: boolean;

  constructor(
    private readonly clientId: string,
    options: PrivateKeyJwtAuthentication,
    /** The configured issuer, for `audience: 'issuer'`. */
    private readonly issuer: string | undefined,
  ) {
    this.key = readPrivateKey(options.privateKey);
    this.algorithm = checkAlgorithm(this.key, options.algorithm);
    this.keyId = options.keyId ?? jwkKeyId(options.privateKey);
    this.lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
    if (!Number.isInteger(this.lifetimeSeconds) || this.lifetimeSeconds < 1 || this.lifetimeSeconds > MAX_LIFETIME_SECONDS) {
      throw new TokenExchangeOptionsError(`${OPTION}.lifetimeSeconds`, `must be a whole number of seconds from 1 to ${MAX_LIFETIME_SECONDS}`);
    }
    if (options.audience !== undefined && options.audience !== 'token_endpoint' && options.audience !== 'issuer') {
      throw new TokenExchangeOptionsError(`${OPTION}.audience`, "must be 'token_endpoint' or 'issuer'");
    }
    if (options.audience === 'issuer' && issuer === undefined) {
      throw new TokenExchangeOptionsError(`${OPTION}.audience`, "is 'issuer' but no issuer is configured");
    }
    this.audienceIsIssuer = options.audience === 'issuer';
  }

  async credentials(tokenEndpoint: string): Promise<ClientCredentials> {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: this.algorithm, typ: 'JWT', ...(this.keyId === undefined ? {} : { kid: this.keyId }) })
      .setIssuer(this.clientId)
      .setSubject(this.clientId)
      .setAudience(this.audienceIsIssuer && this.issuer !== undefined ? this.issuer : tokenEndpoint)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + this.lifetimeSeconds)
      .sign(this.key);
    return {
      headers: {},
      form: { client_id: this.clientId, client_assertion_type: JWT_BEARER_CLIENT_ASSERTION_TYPE, client_assertion: assertion },
    };
  }
}

function readPrivateKey(input: PrivateKeyJwtAuthentication['privateKey']): KeyObject {
  let key: KeyObject;
  try {
    if (input instanceof KeyObject) key = input;
    else if (typeof input === 'string') key = createPrivateKey(input);
    else if (typeof input === 'object' && input !== null) key = createPrivateKey({ key: input, format: 'jwk' });
    else throw new TypeError('not a key');
  } catch {
    // Never the key itself, nor the parser's message (it may quote it).
    throw new TokenExchangeOptionsError(`${OPTION}.privateKey`, 'is not a private key (a JWK with "d", a PEM private key or a KeyObject)');
  }
  if (key.type !== 'private') {
    throw new TokenExchangeOptionsError(`${OPTION}.privateKey`, 'is a public key; the private key is needed to sign assertions');
  }
  return key;
}

/** The algorithm the key can sign with: the configured one if it fits the key, else the key's default. */
function checkAlgorithm(key: KeyObject, configured: ClientAssertionAlgorithm | undefined): ClientAssertionAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  let allowed: readonly ClientAssertionAlgorithm[];
  if (type === 'ec') {
    const algorithm = EC_ALGORITHM_BY_CURVE[details.namedCurve ?? ''];
    if (algorithm === undefined) {
      throw new TokenExchangeOptionsError(`${OPTION}.privateKey`, 'is an EC key on a curve other than P-256, P-384 or P-521');
    }
    allowed = [algorithm];
  } else if (type === 'rsa' || type === 'rsa-pss') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new TokenExchangeOptionsError(`${OPTION}.privateKey`, `is an RSA key shorter than ${MIN_RSA_BITS} bits`);
    }
    allowed = type === 'rsa' ? ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] : ['PS256', 'PS384', 'PS512'];
  } else if (type === 'ed25519') {
    allowed = ['EdDSA'];
  } else {
    throw new TokenExchangeOptionsError(`${OPTION}.privateKey`, `is a ${String(type)} key; use EC (P-256/384/521), RSA or Ed25519`);
  }
  if (configured === undefined) return allowed[0] as ClientAssertionAlgorithm;
  if (!allowed.includes(configured)) {
    throw new TokenExchangeOptionsError(`${OPTION}.algorithm`, `${configured} does not fit the key (use ${allowed.join(', ')})`);
  }
  return configured;
}

function jwkKeyId(input: PrivateKeyJwtAuthentication['privateKey']): string | undefined {
  if (typeof input !== 'object' || input === null || input instanceof KeyObject) return undefined;
  const kid = (input as { kid?: unknown }).kid;
  return typeof kid === 'string' && kid !== '' ? kid : undefined;
}
