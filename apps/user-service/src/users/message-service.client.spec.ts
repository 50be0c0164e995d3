import { Principal } from '@baton/resource-server';
import { DownstreamClients, DownstreamRequest, DownstreamResponse } from '@baton/token-exchange';
import { HttpException } from '@nestjs/common';
import { MESSAGE_SERVICE, MessageServiceClient } from './message-service.client';

const principal = { sub: 'alice', clientId: 'demo-app', scopes: [], act: null, token: 'alice-token' } as unknown as Principal;

/** A downstream that answers with a fixed response and remembers the request (unit test only). */
function clientAnswering(response: DownstreamResponse<unknown>) {
  const requests: DownstreamRequest[] = [];
  const downstreams = {
    get: (name: string) => {
      expect(name).toBe(MESSAGE_SERVICE);
      return { request: async (request: DownstreamRequest) => (requests.push(request), response) };
    },
  } as unknown as DownstreamClients;
  return { client: new MessageServiceClient(downstreams), requests };
}

async function refusal(promise: Promise<unknown>): Promise<HttpException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpException) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('MessageServiceClient', () => {
  it('lists with a message.read exchange for the caller and returns the body as is', async () => {
    const body = { subject: 'alice', actor: 'user-service', messages: [] };
    const { client, requests } = clientAnswering({ status: 200, data: body, headers: {} });
    await expect(client.list(principal, { limit: 5, cursor: undefined })).resolves.toBe(body);
    expect(requests).toEqual([
      {
        subjectToken: 'alice-token',
        path: '/api/messages',
        query: { limit: 5, cursor: undefined },
        scope: 'message.read',
      },
    ]);
  });

  it('posts with a message.write exchange', async () => {
    const { client, requests } = clientAnswering({ status: 201, data: { id: 1 }, headers: {} });
    await expect(client.send(principal, { to: 'bob', text: 'hi' })).resolves.toEqual({ id: 1 });
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/api/messages', scope: 'message.write' });
  });

  it.each([400, 404, 409])('passes on a %s refusal with its error code and message', async (status) => {
    const data = { error: 'validation_failed', message: 'The request is invalid', fields: [] };
    const { client } = clientAnswering({ status, data, headers: {} });
    const error = await refusal(client.send(principal, { to: 'bob', text: 'hi' }));
    expect(error.getStatus()).toBe(status);
    expect(error.getResponse()).toEqual(data);
  });

  it('turns a 403 (the exchanged token lacks a scope we asked for) into a 502', async () => {
    const { client } = clientAnswering({
      status: 403,
      data: { error: 'insufficient_scope', message: 'lacks message.read' },
      headers: {},
    });
    const error = await refusal(client.list(principal, {}));
    expect(error.getStatus()).toBe(502);
    expect(error.getResponse()).toEqual({ error: 'downstream_failed', message: 'message-service failed to answer' });
  });

  it('turns a refusal without a stable error body into a 502', async () => {
    const { client } = clientAnswering({ status: 400, data: undefined, headers: {} });
    expect((await refusal(client.list(principal, {}))).getStatus()).toBe(502);
  });
});
