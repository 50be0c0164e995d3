import { InjectAppConfig } from '@baton/config';
import { MESSAGE_READ_SCOPE, MessageListResponse, TokenSet } from '@baton/dto';
import { authorizationCodeLogin, DEFAULT_LOGIN_SCOPE, OAuthRequestError } from '@baton/testing';
import { DpopKey, TokenExchangeError, TokenExchangeService } from '@baton/token-exchange';
import { Injectable } from '@nestjs/common';
import { DemoConfig, demoConfig } from '../config/demo.config';
import { HttpAnswer, httpCall } from '../http/http-call';
import { ServiceSupervisor } from '../services/service-supervisor';
import { decodeAccessToken, DecodedToken } from '../tokens/decoded-token';
import { checkExchangedToken } from '../tokens/exchange-checks';
import { Trace } from '../trace/trace';

/** What user-service exchanges for when it lists messages (its MESSAGE_SERVICE_AUDIENCE and scope). */
const MESSAGE_SERVICE_AUDIENCE = 'message-service';
const USER_SERVICE_AUDIENCE = 'user-service';
const SHOWN_MESSAGES = 3;

/**
 * The four steps of the demo, each printed as it happens and checked: the seed's walkthrough,
 * a user's login and her messages, the token she sent next to the one user-service got for her
 * (bound to the exchanging key by DPoP), and the refusals: the one that makes the exchange
 * necessary, and the replays of the exchanged token that DPoP makes useless.
 */
@Injectable()
export class Walkthrough {
  /** The step running now (0 before the first), for the failure message. */
  currentStep = 0;

  constructor(
    @InjectAppConfig(demoConfig) private readonly config: DemoConfig,
    private readonly trace: Trace,
    private readonly supervisor: ServiceSupervisor,
    private readonly tokenExchange: TokenExchangeService,
    /** The key the token-exchange client proves (the same one): step 3's own call is signed with it. */
    private readonly dpopKey: DpopKey,
  ) {}

  async run(): Promise<void> {
    await this.clientCredentialsWalkthrough();
    const userToken = await this.userLogin();
    const exchanged = await this.compareWithExchangedToken(userToken);
    await this.refusals(userToken, exchanged);
  }

  /** Step 1: the README's two curl commands. */
  private async clientCredentialsWalkthrough(): Promise<void> {
    this.begin(1, "the seed's walkthrough: a client_credentials token for user-service, then GET /api/users/messages");
    const clientId = this.config.exchangeClientId;
    const tokenUrl = `${this.config.authServerUrl}/oauth2/token`;
    this.trace.request('POST', tokenUrl, `grant_type=client_credentials client_id=${clientId} client_secret=…`);
    const answer = await httpCall(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: this.config.exchangeClientSecret }),
      timeoutMs: this.config.requestTimeoutMs,
    });
    const tokenSet = this.tokenSetOf(answer);
    const token = tokenSet === undefined ? undefined : decodeAccessToken(tokenSet.access_token);
    this.trace.answer(answer.status, token === undefined ? describe(answer) : `${summarize(token)} expires_in=${tokenSet?.expires_in}`);
    this.trace.expect(tokenSet !== undefined && token !== undefined, 'the auth server issued an access token', describe(answer));
    const claims = (token as DecodedToken).claims;
    this.trace.expect(
      claims.aud === USER_SERVICE_AUDIENCE && claims.sub === clientId,
      `no resource asked, so the audience is the client's own service: aud ${String(claims.aud)}, sub ${String(claims.sub)}`,
    );

    const messages = await this.listMessages((tokenSet as TokenSet).access_token);
    this.trace.expect(
      messages.subject === clientId,
      `user-service answered with message-service's list for ${messages.subject} (actor ${String(messages.actor)}): ${messages.messages.length} message(s)`,
    );
    this.trace.explain(
      'user-service accepted the token (aud user-service), exchanged it for one meant for message-service and passed the answer on.',
    );
  }

  /** Step 2: the authorization code flow with PKCE, driven over HTTP, then the user's messages. */
  private async userLogin(): Promise<string> {
    const username = this.config.username;
    this.begin(2, `${username} logs in (authorization code + PKCE), then calls GET /api/users/messages`);
    this.trace.request(
      'GET',
      `${this.config.authServerUrl}/oauth2/authorize`,
      `response_type=code client_id=demo-app code_challenge_method=S256 scope="${DEFAULT_LOGIN_SCOPE}"`,
    );
    let tokenSet: TokenSet;
    try {
      tokenSet = await authorizationCodeLogin({
        baseUrl: this.config.authServerUrl,
        username,
        password: this.config.password,
        onStep: (page) =>
          this.trace.note(page === 'login' ? `login form: submitted as ${username}` : 'consent form: every scope offered was allowed'),
      });
    } catch (error) {
      if (!(error instanceof OAuthRequestError)) throw error;
      this.trace.expect(false, `${username} could log in: ${error.message}`);
      throw error;
    }
    this.trace.note('the code came back to the loopback redirect URI and was redeemed with the PKCE verifier');
    const token = decodeAccessToken(tokenSet.access_token);
    this.trace.answer(200, `POST /oauth2/token: ${summarize(token)}`);
    this.trace.expect(
      token.claims.sub === username && token.claims.aud === USER_SERVICE_AUDIENCE,
      `a token for ${username} meant for user-service (sub ${String(token.claims.sub)}, aud ${String(token.claims.aud)})`,
    );

    const messages = await this.listMessages(tokenSet.access_token);
    for (const message of messages.messages.slice(0, SHOWN_MESSAGES)) this.trace.note(`from ${message.from}: ${message.text}`);
    if (messages.messages.length > SHOWN_MESSAGES) this.trace.note(`... and ${messages.messages.length - SHOWN_MESSAGES} more`);
    this.trace.expect(
      messages.subject === username &&
        messages.actor === this.config.exchangeClientId &&
        messages.messages.every((message) => message.to === username),
      `${username}'s own ${messages.messages.length} message(s), fetched by message-service for subject ${messages.subject} through actor ${String(messages.actor)}`,
    );
    return tokenSet.access_token;
  }

  /**
   * Step 3: exchange the user's token as user-service does (with a DPoP proof), show both tokens
   * decoded, and call message-service the way only the key holder can.
   */
  private async compareWithExchangedToken(userToken: string): Promise<ExchangedCall> {
    this.begin(3, 'the token the user sent, next to the one user-service gets for her by token exchange (RFC 8693)');
    this.trace.request(
      'POST',
      this.supervisor.authServer.tokenEndpoint,
      `grant_type=urn:ietf:params:oauth:grant-type:token-exchange subject_token=<${decodeAccessToken(userToken).fingerprint}> audience=${MESSAGE_SERVICE_AUDIENCE} scope=${MESSAGE_READ_SCOPE}  DPoP: <proof of key ${this.dpopKey.thumbprint}>  (as ${this.config.exchangeClientId}, with @baton/token-exchange)`,
    );
    let exchangedToken: string;
    let tokenType: string;
    try {
      const exchanged = await this.tokenExchange.exchange({
        subjectToken: userToken,
        audience: MESSAGE_SERVICE_AUDIENCE,
        scope: MESSAGE_READ_SCOPE,
      });
      exchangedToken = exchanged.accessToken;
      tokenType = exchanged.tokenType;
      this.trace.answer(200, `token_type=${exchanged.tokenType} issued_token_type=${exchanged.issuedTokenType} scope=${String(exchanged.scope)}`);
    } catch (error) {
      if (!(error instanceof TokenExchangeError)) throw error;
      this.trace.expect(false, `the auth server exchanged the token: ${error.code} (${error.message})`, error.detail);
      throw error;
    }

    const subject = decodeAccessToken(userToken);
    const exchanged = decodeAccessToken(exchangedToken);
    this.trace.table(['claim', 'sent by the user to user-service', 'obtained by user-service for message-service'], tokenRows(subject, exchanged));
    for (const check of checkExchangedToken(subject, exchanged, {
      audience: MESSAGE_SERVICE_AUDIENCE,
      actor: this.config.exchangeClientId,
    })) {
      this.trace.expect(check.ok, check.label);
    }
    const jkt = boundThumbprint(exchanged);
    this.trace.expect(
      tokenType === 'DPoP' && jkt === this.dpopKey.thumbprint,
      `bound to the exchanging key (RFC 9449): token_type ${tokenType}, cnf.jkt ${String(jkt)} is the thumbprint of the key the proof was signed with`,
    );

    const url = `${this.config.messageServiceUrl}/api/messages`;
    this.trace.request('GET', url, `Authorization: DPoP <${exchanged.fingerprint}>  DPoP: <a fresh proof: htm GET, htu ${url}, ath, jti, iat>`);
    const { answer, proof } = await this.dpopCall(url, exchangedToken);
    const list = answer.body as MessageListResponse | undefined;
    this.trace.answer(answer.status, answer.status === 200 ? `subject=${list?.subject} actor=${list?.actor}` : describe(answer));
    this.trace.expect(
      answer.status === 200 && list?.subject === subject.claims.sub && list?.actor === this.config.exchangeClientId,
      'message-service accepts the exchanged token with a proof of its key, and knows both the user and the service acting for her',
    );
    return { token: exchangedToken, url, proof };
  }

  /**
   * A GET with a DPoP-bound token and a fresh proof of the demo's key; when message-service asks
   * for a nonce (RFC 9449 §9, `use_dpop_nonce`), once more with it, as the token-exchange client does.
   */
  private async dpopCall(url: string, accessToken: string): Promise<{ answer: HttpAnswer; proof: string }> {
    let proof = this.dpopKey.proof({ method: 'GET', url, accessToken });
    let answer = await httpCall(url, { headers: dpop(accessToken, proof), timeoutMs: this.config.requestTimeoutMs });
    const nonce = answer.headers.get('dpop-nonce');
    if (answer.status === 401 && nonce !== null && (answer.headers.get('www-authenticate') ?? '').includes('error="use_dpop_nonce"')) {
      this.trace.note('message-service asked for a server nonce (use_dpop_nonce): the same request, a new proof carrying it');
      proof = this.dpopKey.proof({ method: 'GET', url, accessToken, nonce });
      answer = await httpCall(url, { headers: dpop(accessToken, proof), timeoutMs: this.config.requestTimeoutMs });
    }
    return { answer, proof };
  }

  /**
   * Step 4: each token is refused where it was not meant to go, and the exchanged token is refused
   * when anyone replays a copy of it without the key: as a bearer token, or with a proof already used.
   */
  private async refusals(userToken: string, call: ExchangedCall): Promise<void> {
    const exchangedToken = call.token;
    this.begin(4, "refusals: the user's own token sent straight to message-service, and copies of the exchanged token replayed");
    const subject = decodeAccessToken(userToken);
    const direct = `${this.config.messageServiceUrl}/api/messages`;
    this.trace.request('GET', direct, `Authorization: Bearer <${subject.fingerprint}> (aud ${String(subject.claims.aud)})`);
    const refused = await httpCall(direct, { headers: bearer(userToken), timeoutMs: this.config.requestTimeoutMs });
    const challenge = refused.headers.get('www-authenticate') ?? '';
    this.trace.answer(refused.status, `WWW-Authenticate: ${challenge}`);
    this.trace.expect(
      refused.status === 401 && challenge.includes('error="invalid_token"'),
      'message-service refuses it: 401 invalid_token',
      describe(refused),
    );
    this.trace.explain(
      `Why: its aud is ${String(subject.claims.aud)}; message-service accepts only aud message-service. A token is good for the one service it`,
    );
    this.trace.explain(
      'was issued to, so no service can replay a caller\'s token elsewhere. That is why user-service exchanges it (step 3).',
    );

    const exchanged = decodeAccessToken(exchangedToken);
    const reverse = `${this.config.userServiceUrl}/api/users/messages`;
    this.trace.request('GET', reverse, `Authorization: Bearer <${exchanged.fingerprint}> (aud ${String(exchanged.claims.aud)})`);
    const replayed = await httpCall(reverse, { headers: bearer(exchangedToken), timeoutMs: this.config.requestTimeoutMs });
    this.trace.answer(replayed.status, `WWW-Authenticate: ${replayed.headers.get('www-authenticate') ?? ''}`);
    this.trace.expect(
      replayed.status === 401 && (replayed.headers.get('www-authenticate') ?? '').includes('error="invalid_token"'),
      'and the other way round: the exchanged token replayed at user-service is refused too (401 invalid_token)',
      describe(replayed),
    );

    // A copy of the exchanged token (a log line, a heap dump, a sidecar) replayed where it is meant to go.
    this.trace.request('GET', call.url, `Authorization: Bearer <${exchanged.fingerprint}> (the DPoP-bound token copied and sent as a bearer token)`);
    const asBearer = await httpCall(call.url, { headers: bearer(exchangedToken), timeoutMs: this.config.requestTimeoutMs });
    const bearerChallenge = asBearer.headers.get('www-authenticate') ?? '';
    this.trace.answer(asBearer.status, `WWW-Authenticate: ${bearerChallenge}`);
    this.trace.expect(
      asBearer.status === 401 && bearerChallenge.startsWith('DPoP ') && bearerChallenge.includes('error="invalid_token"'),
      'the copied token replayed as Bearer is refused: 401 DPoP error="invalid_token" (a bound token is never a bearer token)',
      describe(asBearer),
    );
    this.trace.request('GET', call.url, `Authorization: DPoP <${exchanged.fingerprint}>  DPoP: <the proof of step 3, copied and sent again>`);
    const sameProof = await httpCall(call.url, { headers: dpop(exchangedToken, call.proof), timeoutMs: this.config.requestTimeoutMs });
    const proofChallenge = sameProof.headers.get('www-authenticate') ?? '';
    this.trace.answer(sameProof.status, `WWW-Authenticate: ${proofChallenge}`);
    this.trace.expect(
      sameProof.status === 401 && proofChallenge.includes('error="invalid_dpop_proof"'),
      'and with the proof copied too, replayed: 401 DPoP error="invalid_dpop_proof" (each proof is good once)',
      describe(sameProof),
    );
    this.trace.explain(
      `Why: the token is bound to the key with thumbprint ${String(boundThumbprint(exchanged))} (cnf.jkt); every call needs a fresh proof`,
    );
    this.trace.explain('signed with that key, for that method, URL, moment and token. A copy of the token alone opens nothing.');
  }

  private begin(step: number, title: string): void {
    this.currentStep = step;
    this.trace.step(step, title);
  }

  private async listMessages(accessToken: string): Promise<MessageListResponse> {
    const url = `${this.config.userServiceUrl}/api/users/messages`;
    this.trace.request('GET', url, `Authorization: Bearer <${decodeAccessToken(accessToken).fingerprint}>`);
    const answer = await httpCall(url, { headers: bearer(accessToken), timeoutMs: this.config.requestTimeoutMs });
    const body = answer.body as MessageListResponse | undefined;
    const ok = answer.status === 200 && typeof body?.subject === 'string' && Array.isArray(body.messages);
    this.trace.answer(answer.status, ok ? `subject=${body?.subject} actor=${body?.actor} messages=${body?.messages.length}` : describe(answer));
    this.trace.expect(ok, 'user-service answered 200 with a message list', describe(answer));
    return body as MessageListResponse;
  }

  private tokenSetOf(answer: HttpAnswer): TokenSet | undefined {
    const body = answer.body as Partial<TokenSet> | undefined;
    return answer.status === 200 && typeof body?.access_token === 'string' ? (body as TokenSet) : undefined;
  }
}

/** The exchanged token and the call step 3 made with it: what step 4 replays. */
interface ExchangedCall {
  readonly token: string;
  readonly url: string;
  /** The DPoP proof of that call (never printed). */
  readonly proof: string;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function dpop(token: string, proof: string): Record<string, string> {
  return { authorization: `DPoP ${token}`, dpop: proof };
}

/** `cnf.jkt` of a token (RFC 9449 §6), when it is bound. */
function boundThumbprint(token: DecodedToken): string | undefined {
  const cnf = token.claims['cnf'];
  const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['jkt'] : undefined;
  return typeof jkt === 'string' ? jkt : undefined;
}

/** The claims that matter, in one line (never the token itself). */
function summarize(token: DecodedToken): string {
  const { sub, aud, scope, jti } = token.claims;
  return `access token ${token.fingerprint}: sub=${String(sub)} aud=${String(aud)} scope="${String(scope ?? '')}" jti=${String(jti)}`;
}

/** The status and body of an unexpected answer, shortened. */
function describe(answer: HttpAnswer): string {
  const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  return `HTTP ${answer.status} ${body === undefined ? '' : body.length > 300 ? `${body.slice(0, 300)}…` : body}`;
}

function tokenRows(subject: DecodedToken, exchanged: DecodedToken): string[][] {
  const time = (value: unknown) => (typeof value === 'number' ? `${new Date(value * 1000).toISOString().slice(11, 19)}Z (${value})` : '—');
  const show = (value: unknown) => (value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));
  return [
    ['typ (header)', show(subject.header.typ), show(exchanged.header.typ)],
    ['iss', show(subject.claims.iss), show(exchanged.claims.iss)],
    ['sub', show(subject.claims.sub), show(exchanged.claims.sub)],
    ['aud', show(subject.claims.aud), show(exchanged.claims.aud)],
    ['client_id', show(subject.claims.client_id), show(exchanged.claims.client_id)],
    ['scope', show(subject.claims.scope), show(exchanged.claims.scope)],
    ['act', show(subject.claims.act), show(exchanged.claims.act)],
    ['cnf', show(subject.claims['cnf']), show(exchanged.claims['cnf'])],
    ['iat', time(subject.claims.iat), time(exchanged.claims.iat)],
    ['exp', time(subject.claims.exp), time(exchanged.claims.exp)],
    ['jti', show(subject.claims.jti), show(exchanged.claims.jti)],
  ];
}
