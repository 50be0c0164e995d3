import { OidcStore } from '../../src/persistence/oidc-store';
import { postToken, startInProcess } from '../support/in-process-auth-server';

describe('unexpected errors', () => {
  it('answer 500 server_error with an error id that one log line carries, and readiness turns 503', async () => {
    const server = await startInProcess({ LOG_LEVEL: 'error' });
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(chunk.toString());
      return true;
    });
    try {
      // The database going away is the unexpected failure here.
      server.app.get(OidcStore).onModuleDestroy();

      const { status, body } = await postToken(server.baseUrl, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'demo-app' });
      expect(status).toBe(500);
      expect(body).toEqual({ error: 'server_error', error_description: 'oops! something went wrong', error_id: expect.any(String) });
      const errorId = body['error_id'] as string;
      const lines = written.join('').split('\n').filter((line) => line.includes(errorId));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('unexpected error');
      expect(written.join('')).not.toContain('stack');
      expect(written.join('')).not.toMatch(/\bat .+\.(js|ts):\d+/);

      const ready = await fetch(`${server.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'error',
        error: { database: { status: 'down', message: 'the database does not answer' } },
        info: { signingKeys: { status: 'up' } },
      });
      // Alive all the same: restarting the process is not what fixes a database.
      expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    } finally {
      spy.mockRestore();
      await server.close();
    }
  });
});
