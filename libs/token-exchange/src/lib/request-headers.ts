/** Headers only this module sets: a `requestHeaders` hook can never replace them (nor send a DPoP proof). */
const OWN_HEADERS = new Set(['authorization', 'dpop', 'content-type', 'content-length', 'accept', 'host']);

/**
 * The extra headers of the `requestHeaders` hook, merged under the module's own headers:
 * credentials and framing stay the module's, whatever the hook returns and in whatever case.
 * Runs on every downstream call: a plain loop, no intermediate arrays.
 */
export function withRequestHeaders(
  hook: (() => Readonly<Record<string, string>>) | undefined,
  own: Record<string, string>,
): Record<string, string> {
  const extra = hook?.();
  if (extra === undefined) return own;
  const headers: Record<string, string> = {};
  for (const name of Object.keys(extra)) {
    if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = extra[name];
  }
  return Object.assign(headers, own);
}
