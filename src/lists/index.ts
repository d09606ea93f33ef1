export {
  ListSet,
  compileListMatcher,
  globToRegexSource,
  type ListKind,
  type ListMatcher,
  type NamedList,
} from './list-set';
export {
  loadLists,
  readIocFile,
  classifyIndicator,
  IOC_LISTS,
  type ListsLoad,
  type Indicator,
  type IndicatorType,
} from './loader';
export { parseCidr, parseIp, inRanges, cidrMatcher, ipv4ToInt, type CidrRange, type IpAddress } from './ip';
