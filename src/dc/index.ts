/** Data Center containment through the products' REST APIs (see endpoints.ts for every call). */
export { DcExecutor, DcDirectory, usernameOf, type DcSite, type DcConnectOptions, type DcDirectoryOptions } from './executor';
export { DcClient, DcHttpError, type DcClientOptions } from './http';
export { ENDPOINTS, DC_PRODUCTS, isDcProduct, type DcProduct, type EndpointRow } from './endpoints';
export { NotPossibleError, type Grant } from './products';
