/** Writes schema.graphql from the code (npm run schema:generate); a test fails when they differ. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaText } from '../apps/api/graphql/schema-text';

schemaText()
  .then((text) => {
    writeFileSync(join(__dirname, '../schema.graphql'), text);
    console.log('wrote schema.graphql');
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
