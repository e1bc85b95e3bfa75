import {
  type NetworkConfig,
  type Operation,
  type Site,
  type SiteEvent,
} from '../../../libs/domain';
import {
  type OperationKindEnum,
  OperationModel,
  type OperationStatusEnum,
} from '../operations/operation.model';
import { SiteEventModel, SiteModel } from './site.model';
import { type SiteStatusEnum } from './site-status.enum';

/** What a site's GraphQL view reads: an entity, or a plain row of a read-only list query. */
export type SiteFields = Pick<
  Site,
  | 'id'
  | 'name'
  | 'description'
  | 'owner'
  | 'contactEmail'
  | 'status'
  | 'billingReference'
  | 'renews'
  | 'createdAt'
  | 'updatedAt'
>;
type NetworkFields = Pick<NetworkConfig, 'hostname' | 'ipv4' | 'ipv6'>;

/** Entities are not GraphQL types: these copy what the schema shows, so it stays stable. */
export function toSiteModel(site: SiteFields, network: NetworkFields | undefined): SiteModel {
  return Object.assign(new SiteModel(), {
    id: site.id,
    name: site.name,
    description: site.description,
    owner: site.owner,
    contactEmail: site.contactEmail,
    status: site.status as SiteStatusEnum,
    billingReference: site.billingReference,
    renews: site.renews,
    hostname: network?.hostname ?? null,
    ipv4: network?.ipv4 ?? null,
    ipv6: network?.ipv6 ?? null,
    createdAt: site.createdAt,
    updatedAt: site.updatedAt,
  });
}

export function toOperationModel(operation: Operation): OperationModel {
  return Object.assign(new OperationModel(), {
    id: operation.id,
    siteId: operation.siteId,
    target: operation.target,
    kind: operation.kind as OperationKindEnum,
    status: operation.status as OperationStatusEnum,
    progress: operation.progress,
    step: operation.step,
    error: operation.error,
    workflowId: operation.workflowId,
    createdAt: operation.createdAt,
    updatedAt: operation.updatedAt,
    finishedAt: operation.finishedAt,
  });
}

export function toSiteEventModel(event: SiteEvent): SiteEventModel {
  return Object.assign(new SiteEventModel(), {
    id: String(event.id),
    at: event.at,
    actor: event.actor,
    action: event.action,
    summary: event.summary,
    workflowId: event.workflowId,
  });
}
