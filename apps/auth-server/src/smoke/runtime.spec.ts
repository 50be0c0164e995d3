import { Test } from '@nestjs/testing';
import { Module } from '@nestjs/common';

describe('runtime', () => {
  it('runs on Node 24 (the node devDependency), not the system Node', () => {
    expect(process.versions.node.startsWith('24.')).toBe(true);
  });
  it('loads the ESM-only packages', async () => {
    const oidc = await import('oidc-provider');
    const jose = await import('jose');
    expect(typeof (oidc as unknown as { default: unknown }).default).toBe('function');
    expect(typeof jose.SignJWT).toBe('function');
    @Module({})
    class EmptyModule {}
    const ref = await Test.createTestingModule({ imports: [EmptyModule] }).compile();
    expect(ref).toBeDefined();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(':memory:');
    expect(db.prepare('select 1 as one').get()).toEqual({ one: 1 });
  });
});
