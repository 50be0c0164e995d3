/**
 * The defects that adversarial testing found after the attack catalogue (issue 11), each with the
 * test that sends the attack to the real service. docs/security.md lists every one in its
 * "Hardening findings" table; `hardening-findings.spec.ts` fails when the doc misses a finding or
 * when the named test file does not carry the finding's id in a test name.
 */
export interface HardeningFinding {
  /** `H` and two digits: the item's number in issue 11. */
  readonly id: string;
  readonly title: string;
  /** Workspace-relative paths of the spec files whose test names carry `[<id>]`. */
  readonly tests: readonly string[];
}

export const HARDENING_FINDINGS: readonly HardeningFinding[] = [
  // Helpers add their rows here, one per issue-11 item, as they land each fix with its test.
  {
    id: 'H01',
    title: 'Sign-in limits failed under concurrent guesses: 24 wrong passwords and the right one POSTed at once were all checked',
    tests: ['apps/auth-server/test/hardening/sign-in-concurrency.spec.ts'],
  },
  {
    id: 'H02',
    title: 'message-service acknowledged messages a full disk never stored (INSERT … RETURNING through get()); no log, readiness stayed 200',
    tests: [
      'apps/message-service/test/message-service.storage.spec.ts',
      'apps/message-service/test/sqlite-writes.spec.ts',
      'apps/auth-server/src/persistence/full-disk.process.spec.ts',
    ],
  },
  {
    id: 'H03',
    title: 'Anyone could lock user-service out of the token endpoint: the per-client budget was spent before the client authenticated',
    tests: ['apps/auth-server/test/hardening/token-endpoint-limits.spec.ts'],
  },
  {
    id: 'H04',
    title: 'A backward wall-clock step caused outages (token bucket, failure windows, JWKS refetch interval on Date.now())',
    tests: [
      'libs/resource-server/src/lib/guards/access-token.hardening.spec.ts',
      'apps/user-service/test/user-service.hardening.spec.ts',
      'apps/auth-server/test/hardening/clock-step.spec.ts',
      'apps/auth-server/src/abuse/monotonic-memory-storage.spec.ts',
    ],
  },
  {
    id: 'H05',
    title: 'Discovery poisoning: metadata endpoints followed the request Host / X-Forwarded-Host, no Cache-Control',
    tests: [
      'apps/auth-server/test/oidc/discovery-origin.spec.ts',
      'libs/resource-server/src/lib/guards/access-token.hardening.spec.ts',
      'libs/token-exchange/src/lib/token-exchange.service.spec.ts',
      'apps/user-service/test/user-service.hardening.spec.ts',
    ],
  },
  {
    id: 'H06',
    title: 'Revoked grants still exchanged: a user token outlived a code replay, refresh token revocation or sign-out',
    tests: ['apps/auth-server/test/oidc/revoked-grant.spec.ts'],
  },
  {
    id: 'H07',
    title: 'client_credentials across audiences bypassed the exchange policy (sub = the client, no act, no audit)',
    tests: ['apps/auth-server/test/oidc/client-credentials.spec.ts', 'apps/auth-server/src/declarative-config/client-policies.spec.ts'],
  },
  {
    id: 'H08',
    title: 'Introspection revealed other clients’ tokens (any confidential client could introspect any token)',
    tests: ['apps/auth-server/test/oidc/introspection.spec.ts'],
  },
  {
    id: 'H09',
    title: 'A username equal to a client id made the user and the client one principal',
    tests: ['apps/auth-server/src/declarative-config/client-policies.spec.ts', 'apps/auth-server/test/process/startup-errors.spec.ts'],
  },
  {
    id: 'H10',
    title: 'Cacheable private answers: token responses without Pragma: no-cache (resource server APIs without no-store)',
    tests: ['apps/auth-server/test/oidc/token-response-headers.spec.ts', 'apps/security-e2e/src/http-hygiene/private-answers.spec.ts'],
  },
  {
    id: 'H11',
    title: 'A lone UTF-16 surrogate in a message was acknowledged 201 and stored altered (U+FFFD)',
    tests: ['apps/message-service/test/message-service.http.spec.ts'],
  },
  {
    id: 'H12',
    title: 'SIGTERM reset requests on idle keep-alive connections (ECONNRESET instead of an answer with Connection: close)',
    tests: ['apps/user-service/test/user-service.observability.spec.ts', 'libs/observability/src/lib/shutdown/graceful-shutdown.spec.ts'],
  },
  {
    id: 'H13',
    title: 'Sender-constrained subject tokens (cnf) were exchanged as plain bearer tokens',
    tests: ['apps/auth-server/test/token-exchange/token-exchange.refusals.spec.ts'],
  },
  {
    id: 'H14',
    title: 'A token with iat in the future (a year ahead) was accepted by both resource servers',
    tests: [
      'libs/resource-server/src/lib/guards/access-token.hardening.spec.ts',
      'apps/user-service/test/user-service.hardening.spec.ts',
      'apps/security-e2e/src/attacks/token-attacks.ts',
    ],
  },
  {
    id: 'H15',
    title: 'Small ones: message database created 0644, a corrupt one stopped with a stack, cursors exposed the message count, limit=0x10 / 1e2 accepted, scrypt default below OWASP',
    tests: [
      'apps/message-service/test/message-service.storage.spec.ts',
      'apps/message-service/test/message-service.http.spec.ts',
      'apps/auth-server/src/passwords/scrypt-password.spec.ts',
      'apps/auth-server/src/passwords/hash-password.cli.spec.ts',
    ],
  },
  {
    id: 'H16',
    title: 'A flaky test: five concurrent first calls raced the exchange (5 cache misses counted instead of 6); fixed pauses judged log lines and aborts',
    tests: [
      'apps/user-service/test/user-service.observability.spec.ts',
      'libs/observability/src/lib/observability.module.spec.ts',
      'libs/observability/src/lib/operational-routes.spec.ts',
      'apps/user-service/test/user-service.integration.spec.ts',
      'apps/message-service/test/message-service.observability.spec.ts',
      'apps/e2e/src/observability.spec.ts',
    ],
  },
];
