// Amplify v6's auth library (aws-amplify/auth) and choice-based sign-in (USER_AUTH) against
// cognitoadmin, in Node (tokens in Amplify's in-memory storage).
// Usage: node amplify_user_auth.mjs <endpoint URL> <user pool id> <app client id> <username> <password> <mode>
//   email:  signIn with preferredChallenge EMAIL_OTP, print {"waitingFor": "EMAIL_OTP_CODE", ...}
//           as a line, read the code the user received from a line of stdin, confirmSignIn with it.
//   choose: signIn without a preference, take the first-factor selection Amplify reports, choose
//           PASSWORD_SRP, then confirmSignIn with the password (SRP, computed by Amplify).
//   signup: signUp without a password (the email address is the 7th argument) with autoSignIn
//           by USER_AUTH, print {"waitingFor": "SIGN_UP_CODE", ...}, read the code from stdin,
//           confirmSignUp, then autoSignIn (ConfirmSignUp's Session signs the user in).
// Then both read the session's tokens (fetchAuthSession) and the user's factors, and sign out.
// The last line printed is a JSON summary of what the app saw.
import { createInterface } from "node:readline";
import { Amplify } from "aws-amplify";
import {
  autoSignIn,
  confirmSignIn,
  confirmSignUp,
  fetchAuthSession,
  getCurrentUser,
  signIn,
  signOut,
  signUp,
} from "aws-amplify/auth";

const [endpoint, userPoolId, userPoolClientId, username, password, mode, email] =
  process.argv.slice(2);
Amplify.configure({
  Auth: { Cognito: { userPoolId, userPoolClientId, userPoolEndpoint: `${endpoint}/` } },
});

const readLine = async () => {
  const lines = createInterface({ input: process.stdin });
  const { value } = await lines[Symbol.asyncIterator]().next();
  lines.close();
  return value.trim();
};

const steps = [];
const step = (result) => {
  steps.push({ isSignedIn: result.isSignedIn, ...result.nextStep });
  return result;
};

if (mode === "email") {
  const asked = step(
    await signIn({
      username,
      options: { authFlowType: "USER_AUTH", preferredChallenge: "EMAIL_OTP" },
    }),
  );
  console.log(JSON.stringify({ waitingFor: "EMAIL_OTP_CODE", ...asked.nextStep }));
  step(await confirmSignIn({ challengeResponse: await readLine() }));
} else if (mode === "choose") {
  step(await signIn({ username, options: { authFlowType: "USER_AUTH" } }));
  step(await confirmSignIn({ challengeResponse: "PASSWORD_SRP" }));
  step(await confirmSignIn({ challengeResponse: password }));
} else if (mode === "signup") {
  const signedUp = await signUp({
    username,
    options: { userAttributes: { email }, autoSignIn: { authFlowType: "USER_AUTH" } },
  });
  steps.push({ isSignUpComplete: signedUp.isSignUpComplete, ...signedUp.nextStep });
  console.log(JSON.stringify({ waitingFor: "SIGN_UP_CODE", ...signedUp.nextStep }));
  const confirmed = await confirmSignUp({ username, confirmationCode: await readLine() });
  steps.push({ isSignUpComplete: confirmed.isSignUpComplete, ...confirmed.nextStep });
  step(await autoSignIn());
} else {
  throw new Error(`unknown mode ${mode}`);
}

const session = await fetchAuthSession();
const user = await getCurrentUser();
const summary = {
  steps,
  username: user.username,
  idToken: session.tokens?.idToken?.toString(),
  accessToken: session.tokens?.accessToken?.toString(),
};
await signOut();
summary.signedOut = (await fetchAuthSession()).tokens === undefined;
console.log(JSON.stringify(summary));
// Amplify keeps a three-minute timer of autoSignIn running after the sign-in: end here.
process.exit(0);
