#!/usr/bin/env node
// The README's curl walkthrough, run from the host against the compose stack's published ports,
// plus the checks that only make sense for containers (issuer vs internal URLs, the key volume).
//
//   AUTH_SERVER_URL=http://127.0.0.1:9001 USER_SERVICE_URL=http://127.0.0.1:8080 \
//   MESSAGE_SERVICE_URL=http://127.0.0.1:8081 node tools/compose/smoke-walkthrough.mjs [step]
//
// step: `walkthrough` (default) or `jwks` (prints the auth server's key ids, for comparing before
// and after a restart). Prints one line per check; exits 1 at the first check that fails.

const ISSUER = process.env.EXPECTED_ISSUER ?? 'http://localhost:9001';
const authServer = process.env.AUTH_SERVER_URL ?? 'http://127.0.0.1:9001';
const userService = process.env.USER_SERVICE_URL ?? 'http://127.0.0.1:8080';
const messageService = process.env.MESSAGE_SERVICE_URL ?? 'http://127.0.0.1:8081';
const TIMEOUT_MS = 10_000;

let passed = 0;

function check(name, condition, detail) {
  if (!condition) {
    process.stderr.write(`FAIL ${name}${detail ? `: ${detail}` : ''}\n`);
    process.exit(1);
  }
  passed += 1;
  process.stdout.write(`ok   ${name}\n`);
}

async function request(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

function claimsOf(jwt) {
  const [header, payload] = jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
}

function short(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

async function keyIds() {
  const discovery = await request(`${authServer}/.well-known/openid-configuration`);
  // The discovery document names the issuer's URLs; inside Compose only the path is reusable.
  const jwksPath = new URL(discovery.body.jwks_uri).pathname;
  const jwks = await request(`${authServer}${jwksPath}`);
  return jwks.body.keys.map((key) => key.kid).sort();
}

async function walkthrough() {
  for (const [name, base] of [
    ['auth-server', authServer],
    ['user-service', userService],
    ['message-service', messageService],
  ]) {
    const health = await request(`${base}/health`);
    check(`${name} GET /health answers 200`, health.status === 200, `${health.status} ${short(health.body)}`);
  }

  const discovery = await request(`${authServer}/.well-known/openid-configuration`);
  check(
    `discovery names the browser-facing issuer ${ISSUER}`,
    discovery.status === 200 && discovery.body.issuer === ISSUER,
    `${discovery.status} issuer=${discovery.body?.issuer}`,
  );

  // Step 1 of the README: client_credentials for user-service.
  const token = await request(`${authServer}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=user-service&client_secret=secret',
  });
  check('POST /oauth2/token (client_credentials, user-service) answers 200', token.status === 200, short(token.body));
  const accessToken = token.body.access_token;
  const { header, payload } = claimsOf(accessToken);
  check(
    `the token is an at+jwt for aud user-service issued by ${ISSUER}`,
    header.typ === 'at+jwt' && payload.iss === ISSUER && [payload.aud].flat().includes('user-service'),
    short({ typ: header.typ, iss: payload.iss, aud: payload.aud }),
  );

  // Step 2 of the README: user-service accepts it (keys fetched from http://auth-server:9001 inside the
  // network, iss still http://localhost:9001), exchanges it and calls message-service.
  const messages = await request(`${userService}/api/users/messages`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  check('GET user-service /api/users/messages with it answers 200', messages.status === 200, `${messages.status} ${short(messages.body)}`);

  // The same token straight to message-service: wrong audience.
  const refused = await request(`${messageService}/api/messages`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  check(
    'the same token sent straight to message-service is refused with 401 invalid_token',
    refused.status === 401 && /error="invalid_token"/.test(refused.headers.get('www-authenticate') ?? ''),
    `${refused.status} WWW-Authenticate: ${refused.headers.get('www-authenticate')}`,
  );

  const noToken = await request(`${userService}/api/users/messages`);
  check(
    'user-service without a token answers 401 with WWW-Authenticate: Bearer',
    noToken.status === 401 && /^Bearer/.test(noToken.headers.get('www-authenticate') ?? ''),
    `${noToken.status} WWW-Authenticate: ${noToken.headers.get('www-authenticate')}`,
  );
}

const step = process.argv[2] ?? 'walkthrough';
try {
  if (step === 'jwks') {
    process.stdout.write(`${(await keyIds()).join(' ')}\n`);
  } else if (step === 'walkthrough') {
    await walkthrough();
    process.stdout.write(`smoke: ${passed} passed, 0 failed\n`);
  } else {
    process.stderr.write(`unknown step ${step}\n`);
    process.exit(2);
  }
} catch (error) {
  process.stderr.write(`FAIL ${step}: ${error instanceof Error ? `${error.message} ${error.cause ?? ''}` : error}\n`);
  process.exit(1);
}
