/** The example's configuration: the only place that reads the environment. */
export interface AdopterConfig {
  port: number;
  /** The auth server's issuer: the exact `iss` of accepted tokens, and where the token endpoint is found. */
  issuer: string;
  /** This service's resource identifier (RFC 9728), as registered at the auth server. */
  resource: string;
  clientId: string;
  clientSecret: string;
  messageServiceUrl: string;
}

export function loadAdopterConfig(env: NodeJS.ProcessEnv = process.env): AdopterConfig {
  const port = Number(env['PORT'] ?? '8090');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a port number, got "${env['PORT']}"`);
  return {
    port,
    issuer: env['AUTH_ISSUER'] ?? 'http://localhost:9001',
    resource: env['RESOURCE_URI'] ?? 'http://localhost:8090',
    clientId: env['CLIENT_ID'] ?? 'adopter-service',
    clientSecret: env['CLIENT_SECRET'] ?? 'adopter-secret',
    messageServiceUrl: env['MESSAGE_SERVICE_URL'] ?? 'http://localhost:8081',
  };
}
