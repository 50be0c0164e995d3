import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import * as oidc from 'oidc-provider';
import { DatabaseSync } from 'node:sqlite';

@Module({})
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  new DatabaseSync(':memory:');
  new Logger('auth-server').log(`oidc ${typeof (oidc as unknown as {default:unknown}).default}`);
  await app.close();
}
void bootstrap();
