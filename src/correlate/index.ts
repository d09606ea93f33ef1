export {
  Correlator,
  DEFAULT_GAP_MS,
  titleOf,
  type CorrelatorOptions,
  type CorrelatorSnapshot,
} from './correlator';
export { CATEGORY_LABELS } from './labels';
