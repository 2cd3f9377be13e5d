/**
 * The dashboard: a read-only web view of a storage's studies (`tunable dashboard`, docs/dashboard.md).
 */
export { startDashboard, isLoopback, CONTENT_SECURITY_POLICY, DASHBOARD_DEFAULTS, type Dashboard, type DashboardOptions } from './server.js';
export { fitSurrogate, MAX_SURROGATE_TRIALS, MIN_SURROGATE_TRIALS, SURROGATE_FIT_SEED } from './surrogate.js';
export { factorSurrogate, posteriorCpu, toObjectiveValue, type Factor, type Posterior, type SurrogateJSON, type SurrogateScale } from './posterior-reference.js';
