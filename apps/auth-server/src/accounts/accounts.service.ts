import { Injectable } from '@nestjs/common';
import type { Account, AccountClaims } from 'oidc-provider';
import { DeclarativeConfigService } from '../declarative-config/declarative-config.service';
import { UserDefinition } from '../declarative-config/declarative-config';
import { commonestParameters, hashPassword, verifyPassword } from '../passwords/scrypt-password';

/**
 * The users of the declarative file. A user's `sub` is their username. Authentication takes
 * the same time for an unknown user as for a wrong password, so neither answer nor timing tells
 * which usernames exist.
 */
@Injectable()
export class AccountsService {
  /**
   * Verified against when the username is unknown, to spend the same scrypt work: at the cost most
   * users' hashes have (not the default for new hashes, which may differ from what the file holds).
   */
  private readonly decoyHash: Promise<string>;

  constructor(private readonly declarativeConfig: DeclarativeConfigService) {
    this.decoyHash = hashPassword('decoy', commonestParameters(declarativeConfig.users.map((user) => user.passwordHash)));
  }

  /** The user, when the password is theirs; `undefined` for a wrong password or unknown user alike. */
  async authenticate(username: string, password: string): Promise<UserDefinition | undefined> {
    const user = this.declarativeConfig.user(username);
    const hash = user?.passwordHash ?? (await this.decoyHash);
    const valid = await verifyPassword(password, hash);
    return valid && user !== undefined ? user : undefined;
  }

  /** oidc-provider's `findAccount`: claims released according to the granted scopes. */
  findAccount(sub: string): Account | undefined {
    const user = this.declarativeConfig.user(sub);
    if (user === undefined) return undefined;
    return {
      accountId: user.username,
      claims: (): AccountClaims => ({
        sub: user.username,
        ...(user.name === undefined ? {} : { name: user.name, preferred_username: user.username }),
        ...(user.email === undefined ? {} : { email: user.email, email_verified: false }),
      }),
    };
  }
}
