/** GraphQL documents the tests send, written once. */
export const requestSiteMutation = /* GraphQL */ `
  mutation RequestSite($input: RequestSiteInput!) {
    requestSite(input: $input) {
      __typename
      ... on RequestSitePayload {
        site {
          id
          status
        }
        operation {
          id
          status
          workflowId
        }
      }
      ... on UserError {
        code
        message
        field
      }
    }
  }
`;

export const siteQuery = /* GraphQL */ `
  query Site($id: ID!) {
    site(id: $id) {
      id
      name
      status
      hostname
      ipv4
      ipv6
      events {
        edges {
          node {
            action
            actor
            workflowId
          }
        }
      }
    }
  }
`;

export const operationQuery = /* GraphQL */ `
  query Operation($id: ID!) {
    operation(id: $id) {
      id
      status
      progress
      step
      error
      finishedAt
    }
  }
`;

export interface RequestSiteData {
  requestSite:
    | {
        __typename: 'RequestSitePayload';
        site: { id: string; status: string };
        operation: { id: string; status: string; workflowId: string };
      }
    | { __typename: string; code: string; message: string; field: string | null };
}

export interface SiteData {
  site: {
    id: string;
    name: string;
    status: string;
    hostname: string | null;
    ipv4: string | null;
    ipv6: string | null;
    events: { edges: { node: { action: string; actor: string; workflowId: string | null } }[] };
  } | null;
}

export interface OperationData {
  operation: {
    id: string;
    status: string;
    progress: number;
    step: string;
    error: string | null;
    finishedAt: string | null;
  } | null;
}
