/** The detection engine's public surface: loading rules and lists, the Engine, and the example runner. */
export { Engine, type EngineOptions, type EngineStats } from './engine';
export { runRuleExamples, exampleEvent, type ExampleResult } from './examples';
export { detectionId, renderSummary } from './detections';
export { SERVICE_ACCOUNT_LIST, idleDays } from './enrich';
export {
  loadRules,
  loadRuleFile,
  compileRuleDocument,
  type RulesLoad,
  type RuleFileLoad,
} from '../rules/loader';
export type { CompiledRule, CompiledAggregate } from '../rules/compiled';
export { formatLoadError, type LoadError, type RuleLoadError } from '../rules/load-error';
export {
  loadLists,
  ListSet,
  readIocFile,
  classifyIndicator,
  IOC_LISTS,
  type ListsLoad,
  type NamedList,
  type ListKind,
} from '../lists';
