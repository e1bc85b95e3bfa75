export * from './check-certificate';
export * from './errors';
export * from './key-request';
export * from './names';
export { pemLimits } from './pem';
