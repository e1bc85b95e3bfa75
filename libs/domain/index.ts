export * from './network-config.entity';
export * from './operation.entity';
export * from './service.entity';
export * from './site-event.entity';
export * from './site-role.entity';
export * from './site-status';
export * from './site.entity';
export * from './vm.entity';
