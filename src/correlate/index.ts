export { Correlator, DEFAULT_GAP_MS, titleOf, type CorrelatorOptions } from './correlator';
export { CATEGORY_LABELS } from './labels';
