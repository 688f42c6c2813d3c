// The AWS SDK for JavaScript v3 against cognitoadmin: only `endpoint` differs from AWS.
// Usage: node cognito_example.mjs <endpoint URL> <access key id> <secret access key>
import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const idp = new CognitoIdentityProviderClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId, secretAccessKey },
});

const { UserPool } = await idp.send(new CreateUserPoolCommand({ PoolName: "js-customers" }));
const { UserPools } = await idp.send(new ListUserPoolsCommand({ MaxResults: 10 }));

let missing;
try {
  await idp.send(new DescribeUserPoolCommand({ UserPoolId: "us-east-1_missing0" }));
} catch (error) {
  if (!(error instanceof ResourceNotFoundException)) throw error;
  missing = error.message; // "User pool us-east-1_missing0 does not exist."
}

console.log(
  JSON.stringify({
    created: UserPool.Id,
    createdAt: UserPool.CreationDate.toISOString(), // a Date: epoch seconds on the wire
    listed: UserPools.map((pool) => pool.Id),
    missing,
  }),
);
