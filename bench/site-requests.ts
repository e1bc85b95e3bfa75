import { type BerthStack } from '../test/helpers/berth';
import { type RequestSiteData, requestSiteMutation } from '../test/helpers/graphql-documents';
import { uniqueName } from '../test/helpers/test-names';

/** The smallest read of a site's status, what a client polling for READY sends. */
export const siteStatusQuery = /* GraphQL */ `
  query SiteStatus($id: ID!) {
    site(id: $id) {
      status
    }
  }
`;

/** The same, followed: the api sends the site each time its status changes. */
export const siteStatusSubscription = /* GraphQL */ `
  subscription SiteStatus($id: ID!) {
    siteStatus(id: $id) {
      status
    }
  }
`;

export interface SiteStatusData {
  site: { status: string } | null;
}

/** Asks for a site through the GraphQL api, as the user alice; returns its id. */
export async function requestSite(berth: BerthStack, prefix: string): Promise<string> {
  const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
    input: { name: uniqueName(prefix), contactEmail: 'bench@example.org' },
  });
  const result = response.data?.requestSite;
  if (!result || !('site' in result)) {
    throw new Error(`requestSite failed: ${JSON.stringify(response)}`);
  }
  return result.site.id;
}
