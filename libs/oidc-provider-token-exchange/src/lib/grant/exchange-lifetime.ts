/**
 * Expiry of the issued token: the target's token lifetime, but never beyond the subject token's
 * `exp` (nor the actor token's), so an exchange cannot extend a delegation.
 */
export function exchangeExpiry(options: {
  now: number;
  targetTtl: number;
  subjectExp: number;
  actorExp?: number;
}): number {
  const limits = [options.now + options.targetTtl, options.subjectExp];
  if (options.actorExp !== undefined) limits.push(options.actorExp);
  return Math.min(...limits);
}
