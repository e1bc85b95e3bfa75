import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { CertificatesResolver } from '../certificates/certificates.resolver';
import { DomainNamesResolver } from '../domains/domain-names.resolver';
import { FleetStatisticsResolver } from '../fleet/fleet-statistics.resolver';
import { FleetResolver } from '../fleet/fleet.resolver';
import { AddressPoolsResolver } from '../network/address-pools.resolver';
import { NotificationsResolver } from '../notifications/notifications.resolver';
import { ConfigurationRunsResolver } from '../operations/configuration-runs.resolver';
import { OperationsResolver } from '../operations/operations.resolver';
import { PackagesResolver } from '../packages/packages.resolver';
import { SiteAdminEmailsResolver } from '../site-admins/site-admin-emails.resolver';
import { SiteNotesResolver } from '../site-notes/site-notes.resolver';
import { SiteChangesResolver } from '../sites/site-changes.resolver';
import { SiteConfigResolver } from '../sites/site-config.resolver';
import { SitesResolver } from '../sites/sites.resolver';
import { DatabasePasswordResolver } from '../database-password/database-password.resolver';
import { SnapshotsResolver } from '../snapshots/snapshots.resolver';
import { SiteSupportResolver } from '../support/site-support.resolver';
import { TestServersResolver } from '../test-servers/test-servers.resolver';
import { BackupsResolver } from '../backups/backups.resolver';
import { LoginSessionsResolver } from '../sessions/login-sessions.resolver';
import { SshKeysResolver } from '../ssh-keys/ssh-keys.resolver';
import { ApiTokensResolver } from '../tokens/api-tokens.resolver';

/** Every resolver of the API: the schema is built from these. */
export const resolvers = [
  SitesResolver,
  SiteChangesResolver,
  SiteConfigResolver,
  CertificatesResolver,
  OperationsResolver,
  ConfigurationRunsResolver,
  FleetResolver,
  AddressPoolsResolver,
  ApiTokensResolver,
  LoginSessionsResolver,
  SshKeysResolver,
  SnapshotsResolver,
  TestServersResolver,
  SiteSupportResolver,
  BackupsResolver,
  DatabasePasswordResolver,
  FleetStatisticsResolver,
  SiteAdminEmailsResolver,
  SiteNotesResolver,
  NotificationsResolver,
  DomainNamesResolver,
  PackagesResolver,
];

/**
 * The API's schema as committed in schema.graphql: built from the code-first resolvers, sorted so
 * that reordering code does not change the file.
 */
export async function schemaText(): Promise<string> {
  const app = await NestFactory.create(GraphQLSchemaBuilderModule, { logger: false });
  try {
    await app.init();
    const schema = await app.get(GraphQLSchemaFactory).create(resolvers);
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await app.close();
  }
}
