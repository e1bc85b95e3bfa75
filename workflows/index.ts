export { checkCertificates } from './certificates';
export { reconcileDns } from './dns';
export { evacuateHost, failoverHost, moveVm, returnHostToService, watchHosts } from './fleet';
export { deliverNotifications } from './notifications';
export { refreshSitePeople } from './people';
export { provisionVm } from './provision-vm';
export { refillPool } from './refill-pool';
export { site } from './site';
export { cloneServer, switchServers } from './test-server';
