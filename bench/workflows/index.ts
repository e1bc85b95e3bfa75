export { noOpProvision } from './no-op-provision';
export { noOpSite } from './no-op-site';
