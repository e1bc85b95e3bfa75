// NestJS and MikroORM read decorator metadata through the Reflect API.
import 'reflect-metadata';

// The project runs on the Node the `node` devDependency installs (npm scripts put it first on
// PATH). Tests on an older Node would pass or fail for reasons that say nothing about Berth.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  throw new Error(
    `tests run on Node ${process.versions.node}; run them through npm (scripts/test), which uses the pinned Node 24`,
  );
}
