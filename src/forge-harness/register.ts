/**
 * Side-effect module: installs the Forge globals with a default harness. Make it the FIRST import of a
 * test file that imports app code using @forge/api, @forge/kvs or @forge/events, then call
 * `resetForgeHarness(opts)` in beforeEach.
 */
import { installForgeGlobals } from './harness';

installForgeGlobals();
