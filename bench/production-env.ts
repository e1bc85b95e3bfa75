/**
 * Imported first by benchmarks that measure the api: it runs as it does in production (the
 * Dockerfile sets NODE_ENV=production), which matters to graphql-js, whose development build adds
 * cross-realm checks to every `instanceof` it makes while executing a query.
 */
process.env.NODE_ENV = 'production';
