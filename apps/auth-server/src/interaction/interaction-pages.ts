import { createHash } from 'node:crypto';
import { html, SafeHtml } from './html';

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px;color:#1d2433}
main{max-width:380px;margin:0 auto;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15);padding:24px 28px}
h1{font-size:1.35em;margin:0 0 16px}label{display:block;margin:12px 0 4px;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:9px;font-size:1em;border:1px solid #b8bfcc;border-radius:4px}
button{margin-top:18px;width:100%;padding:10px;font-size:1em;border:0;border-radius:4px;background:#2456d6;color:#fff;cursor:pointer}
button.secondary{background:#e7e9ee;color:#1d2433}.error{background:#fde8e8;color:#8a1c1c;padding:10px;border-radius:4px}
ul{list-style:none;padding:0}li{margin:6px 0}code{background:#f0f1f4;padding:1px 4px;border-radius:3px}small{color:#5b6478}`;

/** Content-Security-Policy of every page: no script at all, only this inline style. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers that go with every page. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': PAGE_CSP,
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** What a scope lets an application do, in words a user understands. */
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'See your name',
  email: 'See your e-mail address',
  offline_access: 'Stay signed in when you are away',
  'user.read': 'Read your user profile',
  'message.read': 'Read your messages',
  'message.write': 'Send messages for you',
};

function layout(title: string, body: SafeHtml): string {
  return `<!DOCTYPE html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${new SafeHtml(STYLE)}</style></head><body><main>${body}</main></body></html>`}`;
}

/** The hidden field that carries the interaction's CSRF token in every form. */
function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

export function loginPage(options: { uid: string; clientId: string; csrf: string; username?: string; error?: string }): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
<p>to continue to <strong>${options.clientId}</strong></p>
${options.error === undefined ? '' : html`<p class="error" role="alert">${options.error}</p>`}
<form method="post" action="/interaction/${encodeURIComponent(options.uid)}/login" autocomplete="on">
${csrfField(options.csrf)}
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${options.username ?? ''}" autocomplete="username" autofocus required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${encodeURIComponent(options.uid)}/abort">${csrfField(options.csrf)}<button type="submit" class="secondary">Cancel</button></form>`,
  );
}

export interface ConsentScope {
  scope: string;
  /** Granted in any case (openid), so shown without a checkbox. */
  required: boolean;
}

export function consentPage(options: {
  uid: string;
  clientId: string;
  csrf: string;
  username: string;
  scopes: readonly ConsentScope[];
  audiences: readonly string[];
}): string {
  const items = options.scopes.map(
    ({ scope, required }) =>
      html`<li><label>${required ? html`<input type="hidden" name="scope" value="${scope}">&#10003;` : html`<input type="checkbox" name="scope" value="${scope}" checked>`} ${SCOPE_DESCRIPTIONS[scope] ?? scope} <small><code>${scope}</code></small></label></li>`,
  );
  return layout(
    'Allow access',
    html`<h1>Allow access</h1>
<p><strong>${options.clientId}</strong> asks to act for <strong>${options.username}</strong>${options.audiences.length > 0 ? html` at <strong>${options.audiences.join(', ')}</strong>` : ''}:</p>
<form method="post" action="/interaction/${encodeURIComponent(options.uid)}/confirm">
${csrfField(options.csrf)}
<ul>${items}</ul>
<button type="submit">Allow</button>
</form>
<form method="post" action="/interaction/${encodeURIComponent(options.uid)}/abort">${csrfField(options.csrf)}<button type="submit" class="secondary">Deny</button></form>`,
  );
}

export function errorPage(options: { title: string; message: string; code?: string }): string {
  return layout(
    options.title,
    html`<h1>${options.title}</h1><p class="error" role="alert">${options.message}</p>${options.code === undefined ? '' : html`<p><small>error: <code>${options.code}</code></small></p>`}`,
  );
}

/** oidc-provider's logout confirmation; `providerForm` is its own hidden form (with its xsrf token). */
export function signOutPage(providerForm: string): string {
  return layout(
    'Sign out',
    html`<h1>Sign out?</h1>${new SafeHtml(providerForm)}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
  );
}

export function signedOutPage(): string {
  return layout('Signed out', html`<h1>Signed out</h1><p>You are signed out.</p>`);
}
