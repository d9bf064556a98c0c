import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const discord = {
  DISCORD_TOKEN: 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.fake-token-for-tests_only_0123456789',
  DISCORD_CLIENT_ID: '123456789012345678',
  DISCORD_CLIENT_SECRET: 'abcdefghijklmnopqrstuvwxyz012345',
};
const production = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://tickets.example.com',
  SESSION_SECRET: 'x'.repeat(40),
  ENCRYPTION_KEY: 'a'.repeat(64),
  ...discord,
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected loadConfig to reject the environment');
}

describe('loadConfig', () => {
  it('starts the offline demo on embedded PGlite when nothing is configured', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '.data/db' });
    expect(config.discord).toEqual({ mode: 'emulator', port: 3001 });
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it("puts the demo's local Discord on EMULATOR_PORT, else the port after PORT, else any free one", () => {
    expect(loadConfig({ PORT: '8080' }).discord).toEqual({ mode: 'emulator', port: 8081 });
    expect(loadConfig({ PORT: '0' }).discord).toEqual({ mode: 'emulator', port: 0 });
    expect(loadConfig({ PORT: '8080', EMULATOR_PORT: '9000' }).discord).toEqual({
      mode: 'emulator',
      port: 9000,
    });
    expect(problemsOf({ EMULATOR_PORT: '70000' })).toEqual([
      'EMULATOR_PORT must be between 0 and 65535 (0: any free port)',
    ]);
  });

  it('uses Postgres and real Discord when their variables are set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/app',
      PORT: '8080',
      ...discord,
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/app' });
    expect(config.discord).toMatchObject({
      mode: 'discord',
      clientId: discord.DISCORD_CLIENT_ID,
      apiUrl: 'https://discord.com/api',
    });
    expect(config.publicUrl).toBe('http://localhost:8080');
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: ' ' }).database.kind).toBe('pglite');
  });

  it('names a malformed PORT', () => {
    expect(problemsOf({ PORT: 'eighty' })).toEqual(['PORT must be a port number']);
    expect(problemsOf({ PORT: '70000' })).toEqual([
      'PORT must be between 0 and 65535 (0: any free port)',
    ]);
  });

  it('names a DATABASE_URL that is not a postgres URL', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://localhost/db' })).toEqual([
      'DATABASE_URL must be a postgres:// or postgresql:// URL',
    ]);
  });

  it('names each Discord variable missing when only some are set', () => {
    const problems = problemsOf({ DISCORD_TOKEN: discord.DISCORD_TOKEN });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DISCORD_CLIENT_ID is required when DISCORD_TOKEN is set/);
    expect(problems[1]).toMatch(/^DISCORD_CLIENT_SECRET is required when DISCORD_TOKEN is set/);
  });

  it('rejects a client id that is not a snowflake', () => {
    expect(problemsOf({ ...discord, DISCORD_CLIENT_ID: 'my-app' })).toEqual([
      'DISCORD_CLIENT_ID must be a Discord snowflake (17 to 20 digits)',
    ]);
  });

  it('requires Discord, the session secret, encryption key and public URL in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' }).sort()).toEqual([
      'DISCORD_TOKEN is required in production, with DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET (without them TicketFlow runs the offline demo, which is for trying it on your own machine)',
      'ENCRYPTION_KEY is required in production (or ENCRYPTION_KEYS): message content and tokens are encrypted at rest with it',
      'PUBLIC_URL is required in production',
      'SESSION_SECRET is required in production',
    ]);
    const config = loadConfig(production);
    expect(config.encryptionKeys?.map((k) => [k.id, k.key.length])).toEqual([['k1', 32]]);
    expect(config.host).toBe('0.0.0.0');
    expect(loadConfig({}).host).toBe('127.0.0.1');
  });

  it('rejects an encryption key that is not 32 bytes, without echoing it', () => {
    const problems = problemsOf({ ...production, ENCRYPTION_KEY: 'hunter2' });
    expect(problems).toEqual([
      'ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64 (openssl rand -base64 32)',
    ]);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('accepts a base64 encryption key', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(
      loadConfig({ ENCRYPTION_KEY: key }).encryptionKeys?.[0]?.key.equals(Buffer.alloc(32, 7)),
    ).toBe(true);
  });

  it('reads a keyring for rotation: newest first, each with its id', () => {
    const a = Buffer.alloc(32, 1).toString('base64');
    const b = Buffer.alloc(32, 2).toString('hex');
    const keys = loadConfig({ ENCRYPTION_KEYS: `k2:${a}, k1:${b}` }).encryptionKeys;
    expect(keys?.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys?.[1]?.key.equals(Buffer.alloc(32, 2))).toBe(true);
    expect(problemsOf({ ENCRYPTION_KEYS: `k2:${a},k2:${b}` })).toEqual([
      'ENCRYPTION_KEYS names key "k2" twice',
    ]);
    expect(problemsOf({ ENCRYPTION_KEYS: 'k2:hunter2' })[0]).toMatch(
      /^ENCRYPTION_KEYS key "k2" must be 32 bytes/,
    );
    expect(problemsOf({ ENCRYPTION_KEYS: a })[0]).toMatch(/^ENCRYPTION_KEYS must be id:key pairs/);
    expect(problemsOf({ ENCRYPTION_KEYS: `k2:${a}`, ENCRYPTION_KEY: a })).toEqual([
      'ENCRYPTION_KEYS and ENCRYPTION_KEY are both set: use one (ENCRYPTION_KEYS=new:…,k1:<old key> to rotate)',
    ]);
    const { ENCRYPTION_KEY: _single, ...withoutKey } = production;
    expect(loadConfig({ ...withoutKey, ENCRYPTION_KEYS: `k1:${a}` }).encryptionKeys).toHaveLength(
      1,
    );
  });

  it('rejects a short session secret and an unknown NODE_ENV together, one line each', () => {
    expect(problemsOf({ SESSION_SECRET: 'short', NODE_ENV: 'staging' }).sort()).toEqual([
      'NODE_ENV must be development, production or test',
      'SESSION_SECRET must be at least 32 characters',
    ]);
  });

  it('checks shard ids against the shard count', () => {
    expect(problemsOf({ SHARD_IDS: '0,1' })).toEqual([
      'SHARD_COUNT is required when SHARD_IDS is set',
    ]);
    expect(problemsOf({ SHARD_IDS: '0,4', SHARD_COUNT: '4' })).toEqual([
      'SHARD_IDS must only name shards below SHARD_COUNT (4)',
    ]);
    expect(loadConfig({ SHARD_COUNT: '3' }).shards).toEqual({ count: 3, ids: [0, 1, 2] });
  });

  it('bundles the bot part unless TF_BOT_BUNDLE is off, and names any other value', () => {
    expect(loadConfig({}).botBundle).toBe(true);
    expect(loadConfig({ TF_BOT_BUNDLE: 'off' }).botBundle).toBe(false);
    expect(problemsOf({ TF_BOT_BUNDLE: 'no' })).toEqual(['TF_BOT_BUNDLE must be on or off']);
  });

  it('reads the true/false settings, off unless set, and names any other value', () => {
    expect(loadConfig({})).toMatchObject({ websocketOnly: false, memberEvents: false });
    expect(loadConfig({ WEBSOCKET_ONLY: '1', DISCORD_MEMBER_EVENTS: 'true' })).toMatchObject({
      websocketOnly: true,
      memberEvents: true,
    });
    expect(problemsOf({ DISCORD_MEMBER_EVENTS: 'yes' })).toEqual([
      'DISCORD_MEMBER_EVENTS must be true or false',
    ]);
  });
});
