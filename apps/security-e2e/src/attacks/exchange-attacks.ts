import { basic } from '../support/http';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE } from '../support/oauth-constants';
import { AttackContext } from './attack-context';

/** A token-exchange request: form parameters and the Authorization header (default user-service's). */
export interface ExchangeRequest {
  readonly form: [string, string][];
  /** `null`: no client authentication at all. */
  readonly authorization?: string | null;
}

export interface ExchangeAttack {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  request(context: AttackContext): ExchangeRequest;
  readonly expect: { readonly status: number; readonly error: string; readonly challenge?: boolean };
}

/** The usual exchange as user-service for message-service, with these parameters changed or added. */
function exchangeForm(subjectToken: string, changes: Record<string, string | undefined> = {}, extra: [string, string][] = []): [string, string][] {
  const base: Record<string, string | undefined> = {
    grant_type: TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    audience: 'message-service',
    ...changes,
  };
  const form = Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return [...form, ...extra];
}

/** alice's token for user-service, signed by the server's key, with these claims changed. */
const subject = ({ system }: AttackContext, claims: Record<string, unknown> = {}): string => system.validToken('user-service', claims);

export const EXCHANGE_ATTACKS: readonly ExchangeAttack[] = [
  {
    id: 'X01',
    title: 'scope escalation: message.write from a subject token holding message.read only',
    source: 'RFC 8693 §2.1 (scope), §5; DESIGN rule 4 (never wider than the subject token)',
    request: (context) => ({ form: exchangeForm(subject(context, { scope: 'user.read message.read' }), { scope: 'message.write' }) }),
    expect: { status: 400, error: 'invalid_scope' },
  },
  {
    id: 'X02',
    title: 'scope the target does not offer (user.read at message-service)',
    source: 'RFC 8693 §2.1; RFC 6749 §5.2 invalid_scope',
    request: (context) => ({ form: exchangeForm(subject(context), { scope: 'user.read' }) }),
    expect: { status: 400, error: 'invalid_scope' },
  },
  {
    id: 'X03',
    title: 'exchange for its own audience (user-service → user-service)',
    source: 'RFC 8693 §2.2.2 invalid_target; DESIGN rule 3',
    request: (context) => ({ form: exchangeForm(subject(context), { audience: 'user-service' }) }),
    expect: { status: 400, error: 'invalid_target' },
  },
  {
    id: 'X04',
    title: 'unregistered audience',
    source: 'RFC 8693 §2.2.2 invalid_target',
    request: (context) => ({ form: exchangeForm(subject(context), { audience: 'payments-service' }) }),
    expect: { status: 400, error: 'invalid_target' },
  },
  {
    id: 'X05',
    title: 'resource pointing at the attacker',
    source: 'RFC 8707 §2; RFC 8693 §2.2.2 invalid_target',
    request: (context) => ({ form: exchangeForm(subject(context), { audience: undefined, resource: 'https://attacker.example/' }) }),
    expect: { status: 400, error: 'invalid_target' },
  },
  {
    id: 'X06',
    title: 'two targets at once (audience message-service + audience user-service)',
    source: 'RFC 8693 §2.1 (several targets are the server’s call); DESIGN rule 3 (one target)',
    request: (context) => ({ form: exchangeForm(subject(context), {}, [['audience', 'user-service']]) }),
    expect: { status: 400, error: 'invalid_target' },
  },
  {
    id: 'X07',
    title: 'subject_token sent twice',
    source: 'RFC 6749 §3.2 (parameters must not repeat); RFC 8693 §2.1',
    request: (context) => ({ form: exchangeForm(subject(context), {}, [['subject_token', subject(context, { sub: 'bob' })]]) }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X08',
    title: 'actor_token from a client whose policy allows none',
    source: 'RFC 8693 §2.1, §5 (delegation policy); DESIGN rule 5',
    request: (context) => ({
      form: exchangeForm(subject(context), { actor_token: context.serviceToken, actor_token_type: ACCESS_TOKEN_TYPE }),
    }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X09',
    title: 'may_act in the subject token names another actor',
    source: 'RFC 8693 §4.4 (may_act); DESIGN rule 5',
    request: (context) => ({ form: exchangeForm(subject(context, { may_act: { sub: 'reporting-service' } })) }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X10',
    title: 'act chain deeper than the client’s maxActDepth',
    source: 'RFC 8693 §4.1 (nested act); DESIGN rule 5 (depth capped)',
    request: (context) => ({ form: exchangeForm(subject(context, { act: { sub: 'gateway' } })) }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X11',
    title: 'requested_token_type refresh_token',
    source: 'RFC 8693 §2.1, §3; DESIGN rule 6 (no refresh token)',
    request: (context) => ({
      form: exchangeForm(subject(context), { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }),
    }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X12',
    title: 'a real ID token presented as subject_token_type id_token',
    source: 'RFC 8693 §3; RFC 8725 §2.8 (cross-JWT confusion)',
    request: ({ alice }) => ({ form: exchangeForm(alice.id_token ?? '', { subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }) }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X13',
    title: 'subject_token larger than any token this server issues (16 KiB)',
    source: 'RFC 8725 §2.6 (resource exhaustion)',
    request: (context) => ({ form: exchangeForm(`${subject(context)}${'A'.repeat(16 * 1024)}`) }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X14',
    title: 'request body over the token endpoint’s limit (60 KiB)',
    source: 'RFC 8725 §2.6; RFC 9110 §15.5.14',
    request: (context) => ({ form: exchangeForm(subject(context), {}, [['padding', 'A'.repeat(60 * 1024)]]) }),
    expect: { status: 400, error: 'invalid_request' },
  },
  {
    id: 'X15',
    title: 'wrong client secret',
    source: 'RFC 6749 §5.2 invalid_client (401 + WWW-Authenticate); RFC 8693 §2.1',
    request: (context) => ({ form: exchangeForm(subject(context)), authorization: basic('user-service', 'not-the-secret') }),
    expect: { status: 401, error: 'invalid_client', challenge: true },
  },
  {
    id: 'X16',
    title: 'no client authentication',
    source: 'RFC 8693 §2.1 (client authentication); RFC 6749 §5.2',
    request: (context) => ({ form: exchangeForm(subject(context)), authorization: null }),
    expect: { status: 401, error: 'invalid_client', challenge: true },
  },
  {
    id: 'X17',
    title: 'the public client demo-app tries the grant',
    source: 'RFC 6749 §5.2 unauthorized_client; RFC 8693 §5',
    request: (context) => ({ form: exchangeForm(subject(context), { client_id: 'demo-app' }), authorization: null }),
    expect: { status: 400, error: 'unauthorized_client' },
  },
  {
    id: 'X18',
    title: 'grant_type "token-exchange" (not the URN)',
    source: 'RFC 8693 §2.1; RFC 6749 §5.2 unsupported_grant_type',
    request: (context) => ({ form: exchangeForm(subject(context), { grant_type: 'token-exchange' }) }),
    expect: { status: 400, error: 'unsupported_grant_type' },
  },
  {
    id: 'X19',
    title: 'client_id in the body differs from the authenticated client',
    source: 'RFC 6749 §2.3 (one authentication method); RFC 9700 §2.5',
    request: (context) => ({ form: exchangeForm(subject(context), { client_id: 'demo-app' }) }),
    expect: { status: 400, error: 'invalid_request' },
  },
];
