// How every Lambda handler is built: the NodejsFunction settings shared by the CDK app (lib/constructs/
// route-function.ts) and `npm run bench:bundles`, so the benchmark measures exactly what gets deployed.
// esbuild runs locally (a devDependency); Docker is never used.

import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Repository root (this file is lib/bundling.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;

/** ESM output still contains CommonJS dependencies (parts of the AWS SDK) that call require(). */
export const REQUIRE_BANNER =
  "import { createRequire as __bkvCreateRequire } from 'node:module'; const require = __bkvCreateRequire(import.meta.url);";

export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  // Stack traces map to file:line; the sources themselves need not ship in every zip.
  sourcesContent: false,
  // Everything is bundled, including the AWS SDK: the deployed code is the code that was tested, not whatever SDK
  // version the runtime ships.
  externalModules: [],
  forceDockerBundling: false,
};

/**
 * Environment every function gets: Powertools settings. Source maps ship in every zip but are not enabled at
 * runtime: `--enable-source-maps` parses the ~1.5 MB map at every cold start (~50 ms measured), and the handlers log
 * error class names, never stacks. Set NODE_OPTIONS=--enable-source-maps on a function to debug it (docs/deploy.md).
 */
export const BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: 'bkv',
  POWERTOOLS_METRICS_NAMESPACE: 'bkv',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/** Memory (MB) and timeout (s): OPAQUE's WASM and KMS round trips want a full vCPU-share at cold start. */
export const FUNCTION_MEMORY_MB = 1024;
export const FUNCTION_TIMEOUT_S = 10;
