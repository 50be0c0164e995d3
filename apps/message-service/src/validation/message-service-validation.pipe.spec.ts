import { BadRequestException } from '@nestjs/common';
import { ListMessagesQuery } from '@baton/dto';
import { IsString } from 'class-validator';
import { MessageServiceValidationPipe } from './message-service-validation.pipe';

class NeedsName {
  @IsString()
  name!: string;
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BadRequestException) return { status: error.getStatus(), body: error.getResponse() };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('MessageServiceValidationPipe', () => {
  const query = (metatype: new () => object) => ({ type: 'query' as const, metatype, data: undefined });

  it('answers an empty query as the full pipe does, every time', async () => {
    const pipe = new MessageServiceValidationPipe();
    const first = await pipe.transform({}, query(ListMessagesQuery));
    const again = await pipe.transform({}, query(ListMessagesQuery));
    expect(first).toBeInstanceOf(ListMessagesQuery);
    expect(again).toBeInstanceOf(ListMessagesQuery);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('still refuses a bad query after an empty one passed', async () => {
    const pipe = new MessageServiceValidationPipe();
    await pipe.transform({}, query(ListMessagesQuery));
    expect(await refusal(pipe.transform({ limit: '0x10' }, query(ListMessagesQuery)))).toEqual({
      status: 400,
      body: {
        error: 'validation_failed',
        message: 'The request is invalid',
        fields: [{ field: 'limit', problems: expect.arrayContaining(['limit must be a whole number written in decimal digits']) }],
      },
    });
    expect(await refusal(pipe.transform({ extra: '1' }, query(ListMessagesQuery)))).toMatchObject({ status: 400 });
    expect(await pipe.transform({ limit: '5' }, query(ListMessagesQuery))).toEqual(Object.assign(new ListMessagesQuery(), { limit: 5 }));
  });

  it('never remembers a class whose empty query fails: refused every time', async () => {
    const pipe = new MessageServiceValidationPipe();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect(await refusal(pipe.transform({}, query(NeedsName)))).toMatchObject({
        status: 400,
        body: { error: 'validation_failed', fields: [{ field: 'name' }] },
      });
    }
  });

  it('validates an empty body as before: only queries take the short way', async () => {
    const pipe = new MessageServiceValidationPipe();
    await expect(pipe.transform({}, query(NeedsName))).rejects.toBeInstanceOf(BadRequestException);
    await expect(pipe.transform({}, { type: 'body', metatype: NeedsName, data: undefined })).rejects.toBeInstanceOf(BadRequestException);
  });
});
