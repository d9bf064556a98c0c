import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@ticketflow/shared/config';
import { EncryptionError, type EncryptionKey, generateKey, useKeyring } from './crypto.ts';

/**
 * Installs the encryption keys for this process: ENCRYPTION_KEYS or
 * ENCRYPTION_KEY when set; otherwise (the no-configuration demo, never in
 * production: config refuses) a key generated once and kept in
 * DATA_DIR/encryption.key. Returns where the key came from, for the start-up line.
 */
export function installKeys(config: Pick<Config, 'encryptionKeys' | 'dataDir' | 'env'>): string {
  if (config.encryptionKeys) {
    useKeyring(config.encryptionKeys);
    return `key ${config.encryptionKeys[0]?.id} from the environment`;
  }
  if (config.env === 'production') {
    throw new EncryptionError('ENCRYPTION_KEY is required in production');
  }
  const file = join(config.dataDir, 'encryption.key');
  let key: EncryptionKey;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    const colon = text.indexOf(':');
    key = { id: text.slice(0, colon), key: Buffer.from(text.slice(colon + 1), 'base64') };
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    key = { id: 'demo', key: Buffer.from(generateKey(), 'base64') };
    writeFileSync(file, `${key.id}:${key.key.toString('base64')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  useKeyring([key]);
  return `generated key kept in ${file}`;
}
