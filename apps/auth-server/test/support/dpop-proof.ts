import { signTestDpopProof, TestDpopKey, testDpopKey } from '@baton/oidc-provider-token-exchange/testing';

/** user-service's DPoP key in these tests: the demo policy (requireDpop) needs a proof on every exchange. */
export const USER_SERVICE_DPOP_KEY: TestDpopKey = testDpopKey('ES256');

const tokenEndpoints = new Map<string, Promise<string>>();

/**
 * The token endpoint as the server is known by (its discovery document's `token_endpoint`, built
 * from the issuer): the `htu` a proof must name, also when the request goes to one replica's own
 * address behind a balancer.
 */
export function tokenEndpointOf(baseUrl: string): Promise<string> {
  let endpoint = tokenEndpoints.get(baseUrl);
  if (endpoint === undefined) {
    endpoint = fetch(`${baseUrl}/.well-known/openid-configuration`)
      .then((response) => response.json() as Promise<{ token_endpoint: string }>)
      .then((discovery) => discovery.token_endpoint);
    tokenEndpoints.set(baseUrl, endpoint);
  }
  return endpoint;
}

/** A fresh DPoP proof (RFC 9449) for a POST to the token endpoint of the server at `baseUrl`. */
export async function tokenEndpointProof(
  baseUrl: string,
  options: { key?: TestDpopKey; nonce?: string; jti?: string; iat?: number } = {},
): Promise<string> {
  return signTestDpopProof({
    key: options.key ?? USER_SERVICE_DPOP_KEY,
    method: 'POST',
    url: await tokenEndpointOf(baseUrl),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...(options.jti === undefined ? {} : { jti: options.jti }),
    ...(options.iat === undefined ? {} : { iat: options.iat }),
  });
}
