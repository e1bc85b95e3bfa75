export { provisionVm } from './provision-vm';
export { site } from './site';
