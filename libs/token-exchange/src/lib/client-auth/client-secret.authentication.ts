import { ClientAuthentication, ClientCredentials } from './client-authentication';

/** `client_secret_basic` (RFC 6749 §2.3.1): the default, and what every auth server accepts. */
export class ClientSecretBasic implements ClientAuthentication {
  readonly method = 'client_secret_basic';
  private readonly answer: ClientCredentials;

  constructor(clientId: string, clientSecret: string) {
    // RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding.
    const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
    this.answer = { headers: { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }, form: {} };
  }

  credentials(): ClientCredentials {
    return this.answer;
  }
}

/** `client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` in the form body. */
export class ClientSecretPost implements ClientAuthentication {
  readonly method = 'client_secret_post';
  private readonly answer: ClientCredentials;

  constructor(clientId: string, clientSecret: string) {
    this.answer = { headers: {}, form: { client_id: clientId, client_secret: clientSecret } };
  }

  credentials(): ClientCredentials {
    return this.answer;
  }
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
