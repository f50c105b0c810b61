// The DynamoDB document client every DynamoDB adapter uses (undefined members dropped, Uint8Array as binary), and
// the two calls the one-item-per-account stores (vault, realm, repository) make the same way.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { errorName, translateAwsError } from './aws-errors.js';

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export type Attrs = Record<string, unknown>;

/** A binary attribute as stored (the document client returns Uint8Array), or undefined. */
export const bytes = (v: unknown): Uint8Array | undefined => (v instanceof Uint8Array ? v : undefined);
type UpdateInput = ConstructorParameters<typeof UpdateCommand>[0];

/**
 * One conditional UpdateItem (every state change of the one-item-per-account stores): the attributes it returns
 * (`{}` when none were asked for), or false when its condition did not hold; any other failure is translated.
 */
export async function conditionalUpdate(doc: DynamoDBDocumentClient, input: UpdateInput, what: string): Promise<Attrs | false> {
  try {
    return (await doc.send(new UpdateCommand(input))).Attributes ?? {};
  } catch (e) {
    if (errorName(e) === 'ConditionalCheckFailedException') return false;
    throw translateAwsError(e, what);
  }
}

/** The item at `key`, read strongly consistent (MRSC: the global truth), or undefined. */
export async function consistentGet(doc: DynamoDBDocumentClient, tableName: string, key: Attrs, what: string): Promise<Attrs | undefined> {
  try {
    return (await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  } catch (e) {
    throw translateAwsError(e, what);
  }
}
