export {
  Correlator,
  DEFAULT_GAP_MS,
  DEFAULT_LINK_MEMORY_MS,
  titleOf,
  timelineEntryOf,
  type CorrelatorOptions,
  type CorrelatorSnapshot,
} from './correlator';
export { CATEGORY_LABELS } from './labels';
