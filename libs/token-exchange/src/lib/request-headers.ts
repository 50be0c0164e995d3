/** Headers only this module sets: a `requestHeaders` hook can never replace them. */
const OWN_HEADERS = new Set(['authorization', 'content-type', 'content-length', 'accept', 'host']);

/**
 * The extra headers of the `requestHeaders` hook, merged under the module's own headers:
 * credentials and framing stay the module's, whatever the hook returns and in whatever case.
 */
export function withRequestHeaders(
  hook: (() => Readonly<Record<string, string>>) | undefined,
  own: Record<string, string>,
): Record<string, string> {
  const extra = Object.entries(hook?.() ?? {}).filter(([name]) => !OWN_HEADERS.has(name.toLowerCase()));
  return { ...Object.fromEntries(extra), ...own };
}
