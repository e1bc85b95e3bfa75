// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API
// before it loads.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto (OpenSSL underneath) does the signing, verifying and key generation; the
// library only reads and writes the ASN.1. Set explicitly rather than trusting its detection of a
// global `crypto`, which differs between Node versions and test sandboxes.
x509.cryptoProvider.set(webcrypto);

export { x509 };
