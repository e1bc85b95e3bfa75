import { type BerthStack } from './berth';
import { eventually } from './eventually';
import {
  type OperationData,
  operationQuery,
  type RequestSiteData,
  requestSiteMutation,
} from './graphql-documents';
import { uniqueName } from './test-names';

/** Waits for an operation to finish, either way, and returns it as the api shows it. */
export function operationFinished(berth: BerthStack, operationId: string) {
  return eventually(
    `operation ${operationId} finishing`,
    async () =>
      (await berth.graphql<OperationData>(operationQuery, { id: operationId })).data?.operation,
    (operation) => operation?.status === 'SUCCEEDED' || operation?.status === 'FAILED',
  );
}

/** A site alice requests through the api, once its provisioning has finished; its id. */
export async function provisionedSite(berth: BerthStack, namePrefix: string): Promise<string> {
  const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
    input: { name: uniqueName(namePrefix), contactEmail: 'alice@example.org' },
  });
  const result = response.data?.requestSite;
  if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
  await operationFinished(berth, result.operation.id);
  return result.site.id;
}
