import { randomToken } from './ids.ts';

export interface Grant {
  userId: string;
  appId: string;
  scopes: string[];
  redirectUri: string;
}

interface Token extends Grant {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

/** Authorization codes and bearer tokens of the emulated OAuth2 server. */
export class OAuthStore {
  private readonly codes = new Map<string, Grant & { expiresAt: number }>();
  private readonly access = new Map<string, Token>();
  private readonly refresh = new Map<string, Token>();
  /** When set, the authorize page approves at once as this user (for tests). */
  preselectedUserId: string | null = null;
  readonly tokenLifetimeSeconds = 604_800;

  issueCode(grant: Grant): string {
    const code = randomToken(20);
    this.codes.set(code, { ...grant, expiresAt: Date.now() + 10 * 60_000 });
    return code;
  }

  /** A code works once; a second use, or an expired one, returns undefined. */
  redeemCode(code: string): (Grant & { expiresAt: number }) | undefined {
    const grant = this.codes.get(code);
    this.codes.delete(code);
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }

  issueToken(grant: Grant): Token {
    const token: Token = {
      ...grant,
      accessToken: randomToken(24),
      refreshToken: randomToken(24),
      expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000,
    };
    this.access.set(token.accessToken, token);
    this.refresh.set(token.refreshToken, token);
    return token;
  }

  /** Trades a refresh token for a new pair; the old pair stops working. */
  refreshToken(refreshToken: string): Token | undefined {
    const old = this.refresh.get(refreshToken);
    if (!old) return undefined;
    this.revoke(old.accessToken);
    return this.issueToken(old);
  }

  bearer(accessToken: string): Token | undefined {
    const token = this.access.get(accessToken);
    return token && token.expiresAt > Date.now() ? token : undefined;
  }

  /** Every access token of this user stops working (their refresh tokens still do). */
  expireFor(userId: string): void {
    for (const token of this.access.values()) if (token.userId === userId) token.expiresAt = 0;
  }

  revoke(tokenValue: string): void {
    const token = this.access.get(tokenValue) ?? this.refresh.get(tokenValue);
    if (!token) return;
    this.access.delete(token.accessToken);
    this.refresh.delete(token.refreshToken);
  }
}
