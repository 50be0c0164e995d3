import type { ExchangeTarget } from '../targets/exchange-target';
import { DEFAULT_MAX_ACT_DEPTH, TOKEN_EXCHANGE_MODES, TokenExchangeMode, TokenExchangePolicy } from './token-exchange-policy';

/** What a policy is checked against: whose it is, and the resource servers it may name. */
export interface ExchangePolicyContext {
  /** The client the policy belongs to; its default subject audience. */
  clientId: string;
  /** Every registered resource server (only `audience` and `scopes` are read). */
  targets: Iterable<Pick<ExchangeTarget, 'audience' | 'scopes'>>;
}

/**
 * A policy that cannot be used. `path` is where in the raw policy (`targets[1]`, `mode`; empty for
 * the whole value), `problem` what is wrong; a host prefixes the path with the policy's own place
 * in its configuration (`clients[0].tokenExchange.targets[1]`).
 */
export class ExchangePolicyError extends Error {
  readonly path: string;
  readonly problem: string;

  constructor(path: string, problem: string) {
    super(path === '' ? problem : `${path}: ${problem}`);
    this.name = 'ExchangePolicyError';
    this.path = path;
    this.problem = problem;
  }
}

/** The fields a raw policy may have, in the order they are checked. */
const POLICY_FIELDS = ['subjectAudiences', 'targets', 'maxScope', 'allowActorToken', 'maxActDepth', 'defaultTarget', 'mode', 'requireDpop'] as const;
/** Beyond this an `act` chain is no delegation anyone can audit. */
const MAX_ACT_DEPTH_LIMIT = 10;
// RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const SCOPE_TEXT = 'a scope token (printable ASCII, no spaces, quotes or backslashes)';

/**
 * Validates one client's raw exchange policy (as read from JSON or YAML) against the registered
 * resource servers and applies the defaults, which live here only:
 * `subjectAudiences` = [the client's own audience], `allowActorToken` = false,
 * `maxActDepth` = `DEFAULT_MAX_ACT_DEPTH`, `mode` = `delegation`, `requireDpop` = false. Pure: throws an
 * `ExchangePolicyError` naming the first problem.
 *
 * ```json
 * { "targets": ["message-service"], "maxScope": ["message.read"] }
 * ```
 */
export function parseExchangePolicy(raw: unknown, context: ExchangePolicyContext): TokenExchangePolicy {
  const fields = PolicyFields.of(raw);
  const known = [...context.targets];
  const audiences = known.map((target) => target.audience);
  const checkAudiences = (name: string, values: readonly string[]): void =>
    values.forEach((audience, index) => {
      if (!audiences.includes(audience)) {
        throw new ExchangePolicyError(`${name}[${index}]`, `names no resource server: ${show(audience)} (audiences: ${audiences.join(', ')})`);
      }
    });

  let subjectAudiences = fields.stringList('subjectAudiences');
  if (subjectAudiences === undefined) {
    if (!audiences.includes(context.clientId)) {
      fields.fail('subjectAudiences', `is required: no resource server has the audience ${show(context.clientId)} to default to`);
    }
    subjectAudiences = [context.clientId];
  }
  if (subjectAudiences.length === 0) fields.fail('subjectAudiences', 'must not be empty');
  checkAudiences('subjectAudiences', subjectAudiences);

  const targets = fields.stringList('targets', { required: true }) ?? [];
  checkAudiences('targets', targets);

  const maxScope = fields.stringList('maxScope', { pattern: SCOPE_TOKEN, expected: SCOPE_TEXT });
  if (maxScope !== undefined) {
    const targetScopes = new Set(known.filter((target) => targets.includes(target.audience)).flatMap((target) => target.scopes));
    maxScope.forEach((scope, index) => {
      if (!targetScopes.has(scope)) {
        throw new ExchangePolicyError(`maxScope[${index}]`, `${show(scope)} is a scope of none of the targets (${[...targetScopes].join(' ')})`);
      }
    });
  }

  const defaultTarget = fields.optionalString('defaultTarget');
  if (defaultTarget !== undefined && !targets.includes(defaultTarget)) {
    fields.fail('defaultTarget', `must be one of targets (${targets.join(', ')}), got ${show(defaultTarget)}`);
  }

  const mode = fields.optionalString('mode') ?? 'delegation';
  if (!isExchangeMode(mode)) return fields.fail('mode', `must be ${TOKEN_EXCHANGE_MODES.join(' or ')}, got ${show(mode)}`);
  const allowActorToken = fields.boolean('allowActorToken', false);
  // Impersonation issues no `act`: an actor token or a chain depth would be promised and then dropped.
  if (mode === 'impersonation' && allowActorToken) {
    fields.fail('allowActorToken', 'cannot be true with mode impersonation (an impersonation token records no actor)');
  }
  if (mode === 'impersonation' && fields.has('maxActDepth')) {
    fields.fail('maxActDepth', 'has no meaning with mode impersonation (an impersonation token records no actor)');
  }

  return {
    subjectAudiences,
    targets,
    ...(defaultTarget === undefined ? {} : { defaultTarget }),
    ...(maxScope === undefined ? {} : { maxScope }),
    allowActorToken,
    maxActDepth: fields.integer('maxActDepth', { min: 1, max: MAX_ACT_DEPTH_LIMIT, default: DEFAULT_MAX_ACT_DEPTH }),
    mode,
    requireDpop: fields.boolean('requireDpop', false),
  };
}

function isExchangeMode(value: string): value is TokenExchangeMode {
  return (TOKEN_EXCHANGE_MODES as readonly string[]).includes(value);
}

/** The fields of a raw policy: unknown ones refused, each read with the shape it must have. */
class PolicyFields {
  private readonly fields: Readonly<Record<string, unknown>>;

  private constructor(fields: Readonly<Record<string, unknown>>) {
    this.fields = fields;
  }

  static of(value: unknown): PolicyFields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ExchangePolicyError('', `must be a mapping with the fields ${POLICY_FIELDS.join(', ')}`);
    }
    for (const key of Object.keys(value)) {
      if (!(POLICY_FIELDS as readonly string[]).includes(key)) {
        throw new ExchangePolicyError(key, `unknown field (allowed: ${POLICY_FIELDS.join(', ')})`);
      }
    }
    return new PolicyFields(value as Record<string, unknown>);
  }

  /** `null` counts as absent, as YAML writes an empty field. */
  has(name: string): boolean {
    return this.fields[name] !== undefined && this.fields[name] !== null;
  }

  fail(name: string, problem: string): never {
    throw new ExchangePolicyError(name, problem);
  }

  optionalString(name: string): string | undefined {
    return this.has(name) ? checkString(this.fields[name], name) : undefined;
  }

  stringList(name: string, options: { required?: boolean; pattern?: RegExp; expected?: string } = {}): string[] | undefined {
    if (!this.has(name)) {
      if (options.required === true) this.fail(name, 'is required');
      return undefined;
    }
    const value = this.fields[name];
    if (!Array.isArray(value)) this.fail(name, 'must be a list');
    if (options.required === true && value.length === 0) this.fail(name, 'must not be empty');
    const items = value.map((item: unknown, index) => checkString(item, `${name}[${index}]`, options));
    const duplicate = items.find((item, index) => items.indexOf(item) !== index);
    if (duplicate !== undefined) this.fail(name, `lists ${JSON.stringify(duplicate)} twice`);
    return items;
  }

  integer(name: string, options: { min: number; max: number; default: number }): number {
    if (!this.has(name)) return options.default;
    const value = this.fields[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < options.min || value > options.max) {
      this.fail(name, `must be a whole number from ${options.min} to ${options.max}, got ${show(value)}`);
    }
    return value;
  }

  boolean(name: string, defaultValue: boolean): boolean {
    if (!this.has(name)) return defaultValue;
    const value = this.fields[name];
    if (typeof value !== 'boolean') this.fail(name, `must be true or false, got ${show(value)}`);
    return value;
  }
}

function checkString(value: unknown, path: string, options: { pattern?: RegExp; expected?: string } = {}): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ExchangePolicyError(path, `must be a non-empty string, got ${show(value)}`);
  }
  if (options.pattern !== undefined && !options.pattern.test(value)) {
    throw new ExchangePolicyError(path, `must be ${options.expected ?? `like ${options.pattern}`}, got ${show(value)}`);
  }
  return value;
}

/** A value as shown in an error: short, and never spanning lines. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
