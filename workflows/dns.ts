import { proxyActivities } from '@temporalio/workflow';
import type { DnsActivities, DriftReport } from '../activities/network/dns-activities';
import { dnsReconciliation } from './activity-options';

/**
 * Compares every zone Berth manages with the database, records any drift in the audit log, and
 * repairs it when `repair` is set (BERTH_DNS_REPAIR_DRIFT). Run by the `dns-reconcile` schedule;
 * the report is the workflow's result, readable in the Temporal UI.
 */
export async function reconcileDns(input: { repair: boolean }): Promise<DriftReport> {
  return proxyActivities<DnsActivities>(dnsReconciliation).reconcileDns(input);
}
