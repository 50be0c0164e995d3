import { request } from 'node:http';

export interface TokenAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
}

/**
 * POSTs a form to the token endpoint (or `path`) from the loopback address `from` (127.0.0.2, ...): the auth
 * server sees another client address, as it would for requests from another machine. Every
 * 127.x.y.z address reaches a server listening on 127.0.0.1 on Linux. One request, one connection.
 */
export function postTokenFrom(
  baseUrl: string,
  from: string,
  form: Record<string, string>,
  basic?: { id: string; secret: string },
  path = '/oauth2/token',
): Promise<TokenAnswer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const sent = request(
      new URL(path, baseUrl),
      {
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...(basic === undefined ? {} : { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> });
        });
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}
