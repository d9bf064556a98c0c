import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/**
 * Encryption at rest: AES-256-GCM with Node's crypto for the columns that hold
 * what people wrote (message content, attachments, embeds, opening answers,
 * notes, feedback comments) and OAuth tokens. A stored value is
 *
 *     ef1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>
 *
 * so every ciphertext names the key that made it and a keyring can hold old
 * keys while a re-encryption job moves rows to the current one. The key is
 * process-wide (Drizzle's column types encrypt and decrypt, see schema.ts) and
 * must be installed with `useKeyring` before the database is used.
 */

export interface EncryptionKey {
  /** Short name recorded in each ciphertext: letters, digits, `_` and `-`, at most 16. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export class EncryptionError extends Error {
  override name = 'EncryptionError';
}

interface Keyring {
  current: { id: string; key: KeyObject };
  /** Key objects made once: building one per call costs more than the cipher itself. */
  byId: Map<string, KeyObject>;
  /** HMAC keys for the blind search index, one per encryption key. */
  searchKeys: Map<string, KeyObject>;
}

const PREFIX = 'ef1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const keyIdPattern = /^[A-Za-z0-9_-]{1,16}$/;

let keyring: Keyring | undefined;

/** Installs the keys; the first encrypts, all decrypt. */
export function useKeyring(keys: readonly EncryptionKey[]): void {
  const [current] = keys;
  if (!current) throw new EncryptionError('the keyring needs at least one key');
  const byId = new Map<string, KeyObject>();
  const searchKeys = new Map<string, KeyObject>();
  for (const k of keys) {
    if (!keyIdPattern.test(k.id)) {
      throw new EncryptionError(`key id "${k.id}" must be 1 to 16 letters, digits, "_" or "-"`);
    }
    if (k.key.length !== 32) throw new EncryptionError(`key "${k.id}" must be 32 bytes`);
    if (byId.has(k.id)) throw new EncryptionError(`key id "${k.id}" is given twice`);
    byId.set(k.id, createSecretKey(k.key));
    searchKeys.set(
      k.id,
      createSecretKey(
        Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), 'ticketflow blind index', 32)),
      ),
    );
  }
  keyring = {
    current: { id: current.id, key: byId.get(current.id) as KeyObject },
    byId,
    searchKeys,
  };
}

/** True once useKeyring has run. */
export function hasKeyring(): boolean {
  return keyring !== undefined;
}

/** How many keys are installed (more than one: a rotation is under way). */
export function keyCount(): number {
  return keyring?.byId.size ?? 0;
}

/** The id new ciphertexts are made with. */
export function currentKeyId(): string {
  return ring().current.id;
}

function ring(): Keyring {
  if (!keyring) {
    throw new EncryptionError(
      'no encryption key is installed (set ENCRYPTION_KEY or ENCRYPTION_KEYS; the entry points call useKeyring)',
    );
  }
  return keyring;
}

export function isEncrypted(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The key id a stored value was encrypted with; undefined for a value stored before encryption. */
export function keyIdOf(value: string): string | undefined {
  if (!isEncrypted(value)) return undefined;
  return value.slice(PREFIX.length, value.indexOf('.', PREFIX.length));
}

export function encrypt(plain: string): string {
  const { id, sealed } = sealBytes(Buffer.from(plain, 'utf8'));
  return `${PREFIX}${id}.${sealed.toString('base64url')}`;
}

/**
 * The plaintext of a stored value. A value without the prefix was stored before
 * encryption existed and is returned as it is (the re-encryption job rewrites
 * it). An unknown key id or a failed authentication throws: a wrong key never
 * reads as garbage.
 */
export function decrypt(stored: string): string {
  if (!isEncrypted(stored)) return stored;
  const dot = stored.indexOf('.', PREFIX.length);
  if (dot < 0) throw new EncryptionError('malformed ciphertext (no key id)');
  const id = stored.slice(PREFIX.length, dot);
  return openBytes(id, Buffer.from(stored.slice(dot + 1), 'base64url')).toString('utf8');
}

/** Bytes sealed with the current key (iv ‖ ciphertext ‖ tag) and the key's id, for binary columns. */
export function sealBytes(plain: Buffer): { id: string; sealed: Buffer } {
  const { current } = ring();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', current.key, iv);
  return {
    id: current.id,
    sealed: Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]),
  };
}

/** The plaintext of sealBytes' output; an unknown key or an altered value throws. */
export function openBytes(id: string, sealed: Buffer): Buffer {
  const key = ring().byId.get(id);
  if (!key) {
    throw new EncryptionError(
      `a value is encrypted with key "${id}", which is not in the configured keys (${[...ring().byId.keys()].join(', ')})`,
    );
  }
  if (sealed.length < IV_BYTES + TAG_BYTES)
    throw new EncryptionError('malformed ciphertext (too short)');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new EncryptionError(
      `cannot decrypt a value with key "${id}": the key is wrong or the value was altered`,
    );
  }
}

/** Words as the blind index sees them: lower case, accents removed, letters and digits only. */
export function searchWords(text: string): string[] {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 2 && w.length <= 64);
  return [...new Set(words)];
}

function term(searchKey: KeyObject, word: string): string {
  // 64 bits: collisions only widen a search slightly; the index stays small.
  return createHmac('sha256', searchKey).update(word).digest('base64url').slice(0, 11);
}

/**
 * The blind index of a text: an HMAC of each distinct normalised word under
 * the current key. The database can match a searched word without holding it.
 */
export function blindTerms(...texts: (string | null | undefined)[]): string[] {
  const { current, searchKeys } = ring();
  const searchKey = searchKeys.get(current.id) as KeyObject;
  const words = searchWords(texts.filter(Boolean).join(' '));
  return words.map((w) => term(searchKey, w)).slice(0, 2_000);
}

/**
 * The terms a query's words may be stored under: per word, its HMAC under
 * every configured key (rows not yet re-encrypted keep the old key's terms).
 */
export function queryTerms(query: string): string[][] {
  const { searchKeys } = ring();
  return searchWords(query).map((w) => [...searchKeys.values()].map((k) => term(k, w)));
}

/** A fresh random key, base64. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}
