/**
 * A resource indicator (RFC 8707) in the form resource URIs are compared in: the WHATWG URL
 * serialisation, so `http://host:8081` and `http://HOST:8081/` are one resource. A value that is
 * not a URL is returned as it is (it then only equals itself).
 */
export function normalizeResource(uri: string): string {
  return URL.parse(uri)?.href ?? uri;
}
