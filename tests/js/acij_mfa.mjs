// amazon-cognito-identity-js and MFA against cognitoadmin: authenticator apps (TOTP) and SMS codes.
// Usage: node acij_mfa.mjs <endpoint URL> <user pool id> <app client id> <username> <password> <mode>
//   totp:  sign in, set up an authenticator (associateSoftwareToken, verifySoftwareToken), prefer
//          it (setUserMfaPreference), then sign in again and answer totpRequired.
//   setup: sign in to a pool that requires MFA, answer mfaSetup by setting up an authenticator
//          within the sign-in, then sign in again and answer totpRequired.
//   sms:   sign in, reach mfaRequired, print {"waitingFor": "SMS_MFA_CODE", ...} as a line, read
//          the code the user received from a line of stdin, and answer with sendMFACode.
// The last line printed is a JSON summary of what the app saw.
import { totp } from "./totp.mjs";
import { createInterface } from "node:readline";
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
} from "amazon-cognito-identity-js";

const [endpoint, UserPoolId, ClientId, Username, Password, mode] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId, ClientId, endpoint: `${endpoint}/` });

const wrongOf = (code) => (code === "000000" ? "111111" : "000000");

// --- the library's callbacks, as promises ---------------------------------------------------
const newUser = () => new CognitoUser({ Username, Pool: pool });

// authenticateUser (SRP, the library's default): tokens, or the MFA challenge it stops at.
const signIn = (user) =>
  new Promise((resolve, reject) => {
    const stop = (callback) => (challengeName, parameters) =>
      resolve({ callback, challengeName, parameters });
    user.authenticateUser(new AuthenticationDetails({ Username, Password }), {
      onSuccess: (session) => resolve({ callback: "onSuccess", session }),
      onFailure: reject,
      newPasswordRequired: () => reject(new Error("a new password is required")),
      totpRequired: stop("totpRequired"),
      mfaRequired: stop("mfaRequired"),
      mfaSetup: stop("mfaSetup"),
      selectMFAType: stop("selectMFAType"),
    });
  });

const sendCode = (user, code, type) =>
  new Promise((resolve, reject) =>
    user.sendMFACode(code, { onSuccess: resolve, onFailure: reject }, type),
  );
const associate = (user) =>
  new Promise((resolve, reject) =>
    user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }),
  );
const verify = (user, code, name) =>
  new Promise((resolve, reject) =>
    user.verifySoftwareToken(code, name, { onSuccess: resolve, onFailure: reject }),
  );
const nodeCallback = (resolve, reject) => (error, result) =>
  error ? reject(error) : resolve(result);
const preferTotp = (user) =>
  new Promise((resolve, reject) =>
    user.setUserMfaPreference(
      null,
      { PreferredMfa: true, Enabled: true },
      nodeCallback(resolve, reject),
    ),
  );
const userData = (user) =>
  new Promise((resolve, reject) =>
    user.getUserData(nodeCallback(resolve, reject), { bypassCache: true }),
  );

// The error a call fails with, as `code: message` (Cognito's exception name and message).
async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    return `${error.code}: ${error.message}`;
  }
  throw new Error("the call was expected to fail");
}

const tokens = (session) => ({
  idToken: session.getIdToken().getJwtToken(),
  accessToken: session.getAccessToken().getJwtToken(),
  valid: session.isValid(),
});

const challenge = ({ callback, challengeName, parameters }) => ({
  callback,
  challengeName,
  parameters,
});

// A second sign-in, stopped at totpRequired, answered with the app's next code.
async function signInWithTotp(secret) {
  const user = newUser();
  const asked = await signIn(user);
  if (asked.callback !== "totpRequired") throw new Error(`asked for ${asked.callback}`);
  const code = totp(secret, 1);
  const codeRefused = await refusal(sendCode(user, wrongOf(code), "SOFTWARE_TOKEN_MFA"));
  const session = await sendCode(user, code, "SOFTWARE_TOKEN_MFA");
  return { challenge: challenge(asked), codeRefused, ...tokens(session) };
}

async function totpMode() {
  const user = newUser();
  const first = await signIn(user);
  if (first.callback !== "onSuccess") throw new Error(`asked for ${first.callback}`);
  // Signed in: the library authorises these calls with the access token.
  const secret = await associate(user);
  const verifyRefused = await refusal(verify(user, wrongOf(totp(secret)), "Alice's phone"));
  const verified = await verify(user, totp(secret), "Alice's phone");
  const preference = await preferTotp(user);
  const data = await userData(user);
  return {
    secretLength: secret.length,
    verifyRefused,
    verifyStatus: verified.Status,
    preference,
    mfa: {
      UserMFASettingList: data.UserMFASettingList,
      PreferredMfaSetting: data.PreferredMfaSetting,
    },
    again: await signInWithTotp(secret),
  };
}

async function setupMode() {
  const user = newUser();
  const asked = await signIn(user);
  if (asked.callback !== "mfaSetup") throw new Error(`asked for ${asked.callback}`);
  // Not signed in yet: the library sends the challenge's Session, and keeps the one answered.
  const secret = await associate(user);
  const verifyRefused = await refusal(verify(user, wrongOf(totp(secret)), "Dan's phone"));
  const session = await verify(user, totp(secret), "Dan's phone");
  return {
    challenge: challenge(asked),
    verifyRefused,
    ...tokens(session),
    again: await signInWithTotp(secret),
  };
}

async function smsMode() {
  const user = newUser();
  const asked = await signIn(user);
  if (asked.callback !== "mfaRequired") throw new Error(`asked for ${asked.callback}`);
  // Only the phone (the test) knows the code: ask for it.
  console.log(JSON.stringify({ waitingFor: "SMS_MFA_CODE", ...challenge(asked) }));
  const lines = createInterface({ input: process.stdin });
  const { value: code } = await lines[Symbol.asyncIterator]().next();
  lines.close();
  const codeRefused = await refusal(sendCode(user, wrongOf(code.trim())));
  const session = await sendCode(user, code.trim());
  return { challenge: challenge(asked), codeRefused, ...tokens(session) };
}

const modes = { totp: totpMode, setup: setupMode, sms: smsMode };
console.log(JSON.stringify(await modes[mode]()));
