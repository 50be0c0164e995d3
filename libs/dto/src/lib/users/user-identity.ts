import { ActClaim } from '../token-exchange/act-claim';

/** `GET /api/users/me` of user-service: who the caller's access token says they are. */
export interface UserIdentity {
  /** The subject: the end user, or the client itself for a client_credentials token. */
  sub: string;
  /** The client the token was issued to. */
  clientId: string;
  /** Granted scopes. */
  scopes: string[];
  /** The actor chain when a service acts for the subject, else null. */
  act: ActClaim | null;
}
