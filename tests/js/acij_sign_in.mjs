// amazon-cognito-identity-js against cognitoadmin: only `endpoint` differs from AWS.
// Usage: node acij_sign_in.mjs <endpoint URL> <user pool id> <app client id> <username> <password>
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
} from "amazon-cognito-identity-js";

const [endpoint, UserPoolId, ClientId, Username, Password] = process.argv.slice(2);
// The library POSTs to `endpoint` exactly as given: the server's URL and a slash.
const pool = new CognitoUserPool({ UserPoolId, ClientId, endpoint: `${endpoint}/` });
const user = new CognitoUser({ Username, Pool: pool });

// authenticateUser signs in with SRP (USER_SRP_AUTH), the library's default flow.
const signIn = (password) =>
  new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username, Password: password }), {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error("a new password is required")),
    }),
  );

let refused;
try {
  await signIn(`${Password}-wrong`);
} catch (error) {
  // The error's `code` is Cognito's exception name: NotAuthorizedException here.
  refused = `${error.code}: ${error.message}`;
}

const session = await signIn(Password);
// REFRESH_TOKEN_AUTH: new ID and access tokens for the same sign-in.
const refreshed = await new Promise((resolve, reject) =>
  user.refreshSession(session.getRefreshToken(), (error, renewed) =>
    error ? reject(error) : resolve(renewed),
  ),
);

console.log(
  JSON.stringify({
    refused,
    username: session.getIdToken().payload["cognito:username"],
    idToken: session.getIdToken().getJwtToken(),
    accessToken: session.getAccessToken().getJwtToken(),
    refreshedAccessToken: refreshed.getAccessToken().getJwtToken(),
    valid: refreshed.isValid(),
  }),
);
