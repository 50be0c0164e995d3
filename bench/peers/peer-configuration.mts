/**
 * What the peers know, mirroring Baton's demo configuration (apps/auth-server/config/demo.yaml) for
 * the parts the benchmark uses: the confidential client user-service, its two resource servers,
 * and its exchange policy (subject tokens for user-service, exchanged for message-service).
 */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const PEER_CLIENT = {
  id: 'user-service',
  secret: 'secret',
  scopes: ['user.read', 'message.read', 'message.write'],
  /** Its client_credentials tokens are for its own resource (user-service), like Baton's. */
  defaultResource: 'http://localhost:8080',
} as const;

export const PEER_RESOURCE_SERVERS = [
  { audience: 'user-service', resource: 'http://localhost:8080', scopes: ['user.read', 'message.read', 'message.write'], accessTokenTtl: 300 },
  { audience: 'message-service', resource: 'http://localhost:8081', scopes: ['message.read', 'message.write'], accessTokenTtl: 300 },
] as const;

export const PEER_EXCHANGE = {
  subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
  subjectAudience: 'user-service',
  target: 'message-service',
} as const;
