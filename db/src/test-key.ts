/**
 * The key tests and benchmarks encrypt with (fixed, so a failing test's
 * database can be read afterwards). A module of its own, so a measured
 * benchmark process can use it without loading Vitest through db/testing.
 */
export const testEncryptionKey = { id: 'test', key: Buffer.alloc(32, 0x5a) };
