import { Controller, Get, HttpStatus, Logger, Param, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { clientAddress } from '../abuse/client-address';
import { LoginThrottle } from '../abuse/login-throttle.service';
import { AccountsService } from '../accounts/accounts.service';
import { InjectOidcProvider } from '../oidc/oidc.constants';
import { ResourceServersService } from '../oidc/resource-servers.service';
import { CsrfTokens, isSameOriginPost } from './csrf-tokens';
import type { FormFields } from './form-body.middleware';
import { consentPage, ConsentScope, errorPage, loginPage, PAGE_HEADERS } from './interaction-pages';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
type FormRequest = IncomingMessage & { body?: FormFields };

/** The same words for an unknown user and a wrong password: no user enumeration. */
export const LOGIN_FAILED_MESSAGE = 'Invalid username or password.';

/**
 * Login and consent pages of the authorization code flow: server-rendered HTML forms, no
 * JavaScript. oidc-provider sends the browser to `/interaction/:uid`; each form posts back here
 * and the result returns the browser to the provider.
 */
@Controller('interaction')
export class InteractionController {
  private readonly logger = new Logger(InteractionController.name);

  constructor(
    @InjectOidcProvider() private readonly provider: Provider,
    private readonly accounts: AccountsService,
    private readonly resourceServers: ResourceServersService,
    private readonly csrf: CsrfTokens,
    private readonly throttle: LoginThrottle,
  ) {}

  @Get(':uid')
  async show(@Param('uid') uid: string, @Req() request: IncomingMessage, @Res() response: ServerResponse): Promise<void> {
    const interaction = await this.interaction(uid, request, response);
    if (interaction === undefined) return;
    switch (interaction.prompt.name) {
      case 'login':
        send(response, HttpStatus.OK, loginPage({ uid, clientId: clientIdOf(interaction), csrf: this.csrf.tokenFor(uid) }));
        return;
      case 'consent':
        send(response, HttpStatus.OK, this.consent(uid, interaction));
        return;
      default:
        send(response, HttpStatus.BAD_REQUEST, unsupportedPrompt());
    }
  }

  @Post(':uid/login')
  async login(@Param('uid') uid: string, @Req() request: FormRequest, @Res() response: ServerResponse): Promise<void> {
    const interaction = await this.postedInteraction(uid, request, response);
    if (interaction === undefined) return;
    if (interaction.prompt.name !== 'login') {
      send(response, HttpStatus.BAD_REQUEST, unsupportedPrompt());
      return;
    }
    const username = field(request.body, 'username').trim();
    const password = field(request.body, 'password');
    const clientId = clientIdOf(interaction);
    const csrf = this.csrf.tokenFor(uid);
    // Taken before any password work and whether or not the user exists, so concurrent guesses
    // cannot all pass, and the answer says nothing about who exists.
    const address = clientAddress(request, this.provider.proxy);
    const attempt = await this.throttle.reserve(username, address);
    if (!attempt.allowed) {
      const wait = attempt.retryAfterSeconds;
      this.logger.warn({ event: 'login_throttled', client: clientId, retryAfter: wait });
      response.setHeader('Retry-After', String(wait));
      send(response, HttpStatus.TOO_MANY_REQUESTS, loginPage({ uid, clientId, csrf, username, error: tooManyAttempts(wait) }));
      return;
    }
    const user = username === '' || password === '' ? undefined : await this.accounts.authenticate(username, password);
    if (user === undefined) {
      // The reserved attempt stays counted: it is this failure.
      this.logger.log({ event: 'login_failed', client: clientId });
      send(response, HttpStatus.UNAUTHORIZED, loginPage({ uid, clientId, csrf, username, error: LOGIN_FAILED_MESSAGE }));
      return;
    }
    await attempt.succeeded();
    this.logger.log({ event: 'login', sub: user.username, client: clientId });
    await this.provider.interactionFinished(
      request,
      response,
      { login: { accountId: user.username, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  }

  @Post(':uid/confirm')
  async confirm(@Param('uid') uid: string, @Req() request: FormRequest, @Res() response: ServerResponse): Promise<void> {
    const interaction = await this.postedInteraction(uid, request, response);
    if (interaction === undefined) return;
    if (interaction.prompt.name !== 'consent' || interaction.session?.accountId === undefined) {
      send(response, HttpStatus.BAD_REQUEST, unsupportedPrompt());
      return;
    }
    const chosen = new Set(list(request.body, 'scope'));
    const { missingOIDCScope, missingResourceScopes } = consentDetails(interaction);
    const clientId = clientIdOf(interaction);
    const grant = interaction.grantId
      ? await this.provider.Grant.find(interaction.grantId)
      : new this.provider.Grant({ accountId: interaction.session.accountId, clientId });
    if (grant === undefined) {
      send(response, HttpStatus.BAD_REQUEST, expired());
      return;
    }
    // openid is what signing in means: it is granted whenever the request asked for it.
    const oidcGranted = missingOIDCScope.filter((scope) => scope === 'openid' || chosen.has(scope));
    const oidcRefused = missingOIDCScope.filter((scope) => !oidcGranted.includes(scope));
    if (oidcGranted.length > 0) grant.addOIDCScope(oidcGranted.join(' '));
    if (oidcRefused.length > 0) grant.rejectOIDCScope(oidcRefused.join(' '));
    for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
      const granted = scopes.filter((scope) => chosen.has(scope));
      const refused = scopes.filter((scope) => !chosen.has(scope));
      if (granted.length > 0) grant.addResourceScope(indicator, granted.join(' '));
      if (refused.length > 0) grant.rejectResourceScope(indicator, refused.join(' '));
    }
    const grantId = await grant.save();
    this.logger.log({ event: 'consent', sub: interaction.session.accountId, client: clientId, scope: [...chosen].join(' ') });
    await this.provider.interactionFinished(request, response, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  @Post(':uid/abort')
  async abort(@Param('uid') uid: string, @Req() request: FormRequest, @Res() response: ServerResponse): Promise<void> {
    const interaction = await this.postedInteraction(uid, request, response);
    if (interaction === undefined) return;
    await this.provider.interactionFinished(
      request,
      response,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
  }

  /**
   * The interaction a form was posted to, once the post is known to come from its own page (CSRF
   * token, origin); `undefined` after answering with an error page.
   */
  private async postedInteraction(uid: string, request: FormRequest, response: ServerResponse): Promise<Interaction | undefined> {
    if (!isSameOriginPost(request, this.provider.issuer) || !this.csrf.verify(uid, field(request.body, 'csrf'))) {
      this.logger.warn({ event: 'csrf_rejected', path: 'interaction' });
      send(response, HttpStatus.FORBIDDEN, forgedForm());
      return undefined;
    }
    return this.interaction(uid, request, response);
  }

  /** The interaction of this browser, or `undefined` after answering with an error page. */
  private async interaction(uid: string, request: IncomingMessage, response: ServerResponse): Promise<Interaction | undefined> {
    let interaction: Interaction;
    try {
      interaction = await this.provider.interactionDetails(request, response);
    } catch (error) {
      if ((error as { name?: string }).name !== 'SessionNotFound') throw error;
      send(response, HttpStatus.BAD_REQUEST, expired());
      return undefined;
    }
    if (interaction.uid !== uid) {
      send(response, HttpStatus.BAD_REQUEST, expired());
      return undefined;
    }
    return interaction;
  }

  private consent(uid: string, interaction: Interaction): string {
    const { missingOIDCScope, missingResourceScopes } = consentDetails(interaction);
    const seen = new Set<string>();
    const scopes: ConsentScope[] = [];
    for (const scope of [...missingOIDCScope, ...Object.values(missingResourceScopes).flat()]) {
      if (seen.has(scope)) continue;
      seen.add(scope);
      scopes.push({ scope, required: scope === 'openid' });
    }
    const audiences = Object.keys(missingResourceScopes).map((indicator) => this.resourceServers.resolve(indicator)?.audience ?? indicator);
    return consentPage({
      uid,
      clientId: clientIdOf(interaction),
      csrf: this.csrf.tokenFor(uid),
      username: interaction.session?.accountId ?? '',
      scopes,
      audiences,
    });
  }
}

function consentDetails(interaction: Interaction): { missingOIDCScope: string[]; missingResourceScopes: Record<string, string[]> } {
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return { missingOIDCScope: details.missingOIDCScope ?? [], missingResourceScopes: details.missingResourceScopes ?? {} };
}

function clientIdOf(interaction: Interaction): string {
  return String(interaction.params['client_id'] ?? '');
}

function field(body: FormFields | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

function list(body: FormFields | undefined, name: string): string[] {
  const value = body?.[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function send(response: ServerResponse, status: number, page: string): void {
  response.writeHead(status, PAGE_HEADERS);
  response.end(page);
}

function expired(): string {
  return errorPage({
    title: 'Sign-in expired',
    message: 'This sign-in request has expired or belongs to another browser. Start again from the application.',
    code: 'invalid_request',
  });
}

function forgedForm(): string {
  return errorPage({
    title: 'Sign-in refused',
    message: 'This form was not sent from this sign-in page. Start again from the application.',
    code: 'invalid_request',
  });
}

function tooManyAttempts(seconds: number): string {
  return `Too many failed sign-in attempts. Try again in ${seconds} seconds.`;
}

function unsupportedPrompt(): string {
  return errorPage({ title: 'Sign-in failed', message: 'This step of the sign-in is not expected now.', code: 'invalid_request' });
}
