import { randomToken } from './ids.ts';

export interface Grant {
  userId: string;
  appId: string;
  scopes: string[];
  redirectUri: string;
}

export interface Token extends Grant {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

/** Authorization codes and bearer tokens of the emulated OAuth2 server. */
export class OAuthStore {
  private readonly codes = new Map<string, Grant & { expiresAt: number }>();
  private readonly access = new Map<string, Token>();
  private readonly refresh = new Map<string, Token>();
  /** Called after every change (persist.ts saves then). */
  onChange: () => void = () => {};
  /** When set, the authorize page approves at once as this user (for tests). */
  preselectedUserId: string | null = null;
  readonly tokenLifetimeSeconds = 604_800;

  issueCode(grant: Grant): string {
    const code = randomToken(20);
    this.codes.set(code, { ...grant, expiresAt: Date.now() + 10 * 60_000 });
    this.onChange();
    return code;
  }

  /** A code works once; a second use, or an expired one, returns undefined. */
  redeemCode(code: string): (Grant & { expiresAt: number }) | undefined {
    const grant = this.codes.get(code);
    this.codes.delete(code);
    this.onChange();
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
    this.onChange();
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
    this.onChange();
  }

  revoke(tokenValue: string): void {
    const token = this.access.get(tokenValue) ?? this.refresh.get(tokenValue);
    if (!token) return;
    this.access.delete(token.accessToken);
    this.refresh.delete(token.refreshToken);
    this.onChange();
  }

  /** Unexpired codes and tokens, for saving. */
  dump(): { codes: [string, Grant & { expiresAt: number }][]; tokens: Token[] } {
    return { codes: [...this.codes], tokens: [...this.access.values()] };
  }

  /** Replaces everything with what `dump` returned. */
  load(saved: ReturnType<OAuthStore['dump']>): void {
    this.codes.clear();
    this.access.clear();
    this.refresh.clear();
    for (const [code, grant] of saved.codes) this.codes.set(code, grant);
    for (const token of saved.tokens) {
      this.access.set(token.accessToken, token);
      this.refresh.set(token.refreshToken, token);
    }
  }
}
