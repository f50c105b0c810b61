// The OPAQUE server setup, created once at first deploy: a custom resource backed directly by a NodejsFunction
// (functions/handlers/server-setup.ts; no Provider framework). The function may read and create only the table's
// config item and seal only purpose "server-setup" with account "#deployment"; it cannot unseal anything. The
// resource has no properties and returns no attributes, so the setup appears in no template, output or log.

import { CustomResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { SERVER_SETUP_FUNCTION_ID } from '../names.js';
import { RouteFunction } from './route-function.js';
import type { VaultKey } from './vault-key.js';
import type { VaultTableAccess } from './vault-table.js';

export const SERVER_SETUP_ENTRY = 'functions/handlers/server-setup.ts';
export const SERVER_SETUP_RESOURCE_TYPE = 'Custom::OpaqueServerSetup';

export interface ServerSetupProps {
  config: BkvConfig;
  table: VaultTableAccess;
  key: VaultKey;
}

export class ServerSetup extends Construct {
  readonly handler: RouteFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ServerSetupProps) {
    super(scope, id);
    this.handler = new RouteFunction(this, 'Handler', {
      config: props.config,
      region: props.config.regions.primary,
      functionId: SERVER_SETUP_FUNCTION_ID,
      entry: SERVER_SETUP_ENTRY,
      handler: 'handler',
      description: `${props.config.name}: creates the OPAQUE server setup once (CloudFormation custom resource)`,
      timeout: 60,
    });
    props.table.grantServerSetup(this.handler.function);
    props.key.grantSeal(this.handler.function, { seal: ['server-setup'] });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.function.functionArn,
      resourceType: SERVER_SETUP_RESOURCE_TYPE,
    });
  }
}
