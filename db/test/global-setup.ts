import pg from 'pg';
import { describeTestDatabase, testServerUrl } from '../src/testing.ts';

export default async function setup() {
  console.log(`[db] ${describeTestDatabase()}`);
  if (testServerUrl) {
    // Fail the run at once, with the reason, rather than in every test.
    const client = new pg.Client({ connectionString: testServerUrl });
    try {
      await client.connect();
      await client.query('select 1');
    } catch (error) {
      throw new Error(`TEST_DATABASE_URL is set but Postgres cannot be reached: ${error}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
}
