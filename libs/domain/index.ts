export * from './network-config.entity';
export * from './operation.entity';
export * from './site-event.entity';
export * from './site-status';
export * from './site.entity';
export * from './vm.entity';
