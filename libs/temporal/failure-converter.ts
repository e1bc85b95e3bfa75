import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failures keep their message and stack trace in an encoded payload, which the payload codec
 * encrypts like any other, instead of in clear text on the failure: an error can quote what it
 * failed on (a host name, an address, a command's output). History shows "Encoded failure" until
 * read through Berth's codec. Loaded by path (`failureConverterPath`), as workflow code needs it
 * inside its sandbox, so this module exports the instance and nothing else.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
