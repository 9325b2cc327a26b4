import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import type { Database } from './platform/db/client.ts';

/** The OpenAPI document, built from the route schemas of an app on a throwaway database. */
export async function openapiDocument(config: Config, database: Database) {
  await database.migrate();
  const app = await buildApp({ config: { ...config, REDIS_URL: undefined }, database, logger: false });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}
