// amazon-cognito-identity-js and remembered devices against cognitoadmin, as an app uses them: the
// library confirms the device a sign-in is given (NewDeviceMetadata, ConfirmDevice), keeps its
// key, group key and random password in the app's storage, and proves the device on later
// sign-ins (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER).
// Usage: node acij_devices.mjs <endpoint URL> <user pool id> <app client id> <username> <password>
//                              <mode> [authenticator secret]
//   prompt: a pool that remembers a device only when the user says so. Sign in (the device is
//           confirmed; userConfirmationNecessary), remember it, list and get it, then sign in
//           again from a new CognitoUser sharing the storage: the device proves itself.
//   mfa:    a pool that always remembers devices, and a user with an authenticator. Sign in with
//           a TOTP code; sign in again (no code: the device is remembered); stop remembering it
//           (setDeviceStatusNotRemembered); sign in again (a code is asked for).
//   forget: forgetDevice, then sign in (a new device); then forget that device by its key while
//           the storage still holds it (forgetSpecificDevice), then sign in again.
// At each checkpoint the script prints {"checkpoint": name, ...} as a line and reads a line from
// stdin before going on, so the test can look at the server in between. The last line printed
// is a JSON summary of what the app saw.
import { totp } from "./totp.mjs";
import { createInterface } from "node:readline";
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
} from "amazon-cognito-identity-js";

const [endpoint, UserPoolId, ClientId, Username, Password, mode, secret] = process.argv.slice(2);

// --- the app's storage: what a browser's localStorage would be, one for the whole app ---------
const items = new Map();
const Storage = {
  setItem: (key, value) => items.set(key, String(value)),
  getItem: (key) => (items.has(key) ? items.get(key) : null),
  removeItem: (key) => items.delete(key),
  clear: () => items.clear(),
};
const pool = new CognitoUserPool({ UserPoolId, ClientId, endpoint: `${endpoint}/`, Storage });
const devicePrefix = `CognitoIdentityServiceProvider.${ClientId}.${Username}.`;
// The device the app holds in its storage (values as the library keeps them).
const stored = () => ({
  deviceKey: Storage.getItem(`${devicePrefix}deviceKey`),
  deviceGroupKey: Storage.getItem(`${devicePrefix}deviceGroupKey`),
  hasRandomPassword: Boolean(Storage.getItem(`${devicePrefix}randomPasswordKey`)),
});

// --- what goes over the wire: each request's operation, challenge and DEVICE_KEY, and its answer
const requests = [];
const request = pool.client.request.bind(pool.client);
pool.client.request = (operation, params, callback) => {
  const entry = { operation };
  if (params.ChallengeName) entry.challengeName = params.ChallengeName;
  const deviceKey = (params.AuthParameters ?? params.ChallengeResponses ?? {}).DEVICE_KEY;
  if (deviceKey !== undefined) entry.deviceKey = deviceKey;
  requests.push(entry);
  request(operation, params, (error, data) => {
    if (error) entry.error = `${error.code}: ${error.message}`;
    else if (data?.ChallengeName) entry.answer = data.ChallengeName;
    else if (data?.AuthenticationResult) {
      entry.answer = "AuthenticationResult";
      if (data.AuthenticationResult.NewDeviceMetadata) entry.newDevice = true;
    }
    callback(error, data);
  });
};
// The requests made since the last call.
let seen = 0;
const sent = () => requests.slice(seen, (seen = requests.length));

// --- checkpoints: the test looks at the server, then says go on -----------------------------
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function checkpoint(name, details = {}) {
  console.log(JSON.stringify({ checkpoint: name, ...details }));
  const { done } = await lines.next();
  if (done) throw new Error(`stdin closed at checkpoint ${name}`);
}

// --- the library's callbacks, as promises ---------------------------------------------------
// Each CognitoUser is a fresh object, as after a page reload: only the storage carries over.
const newUser = () => new CognitoUser({ Username, Pool: pool, Storage });

// onSuccess's second argument is userConfirmationNecessary (given only when it is true).
const outcome = (resolve, reject) => ({
  onSuccess: (session, userConfirmationNecessary) =>
    resolve({ callback: "onSuccess", session, userConfirmationNecessary }),
  onFailure: reject,
  newPasswordRequired: () => reject(new Error("a new password is required")),
  totpRequired: (challengeName) => resolve({ callback: "totpRequired", challengeName }),
  mfaRequired: (challengeName) => resolve({ callback: "mfaRequired", challengeName }),
  mfaSetup: (challengeName) => resolve({ callback: "mfaSetup", challengeName }),
  selectMFAType: (challengeName) => resolve({ callback: "selectMFAType", challengeName }),
});

// authenticateUser (SRP, the library's default): tokens, or the MFA challenge it stops at.
const signIn = (user) =>
  new Promise((resolve, reject) =>
    user.authenticateUser(
      new AuthenticationDetails({ Username, Password }),
      outcome(resolve, reject),
    ),
  );
const sendTotp = (user, code) =>
  new Promise((resolve, reject) =>
    user.sendMFACode(code, outcome(resolve, reject), "SOFTWARE_TOKEN_MFA"),
  );
const callbacks = (resolve, reject) => ({ onSuccess: resolve, onFailure: reject });
const getDevice = (user) => new Promise((res, rej) => user.getDevice(callbacks(res, rej)));
const listDevices = (user, limit, token) =>
  new Promise((res, rej) => user.listDevices(limit, token, callbacks(res, rej)));
const remember = (user) =>
  new Promise((res, rej) => user.setDeviceStatusRemembered(callbacks(res, rej)));
const stopRemembering = (user) =>
  new Promise((res, rej) => user.setDeviceStatusNotRemembered(callbacks(res, rej)));
const forgetDevice = (user) => new Promise((res, rej) => user.forgetDevice(callbacks(res, rej)));
const forgetSpecificDevice = (user, key) =>
  new Promise((res, rej) => user.forgetSpecificDevice(key, callbacks(res, rej)));

// A sign-in's observable result: the callback reached (or the error), the tokens the library
// holds, the device it holds afterwards, and the requests it made.
async function attempt(user, signing) {
  let result;
  try {
    result = await signing;
  } catch (error) {
    return { error: `${error.code ?? error.name}: ${error.message}`, requests: sent() };
  }
  const view = { callback: result.callback };
  if (result.challengeName) view.challengeName = result.challengeName;
  if (result.userConfirmationNecessary !== undefined)
    view.userConfirmationNecessary = result.userConfirmationNecessary;
  if (result.session) {
    view.idToken = result.session.getIdToken().getJwtToken();
    view.accessToken = result.session.getAccessToken().getJwtToken();
    view.valid = result.session.isValid();
  }
  return { ...view, userDeviceKey: user.deviceKey ?? null, stored: stored(), requests: sent() };
}

// The device as ListDevices and GetDevice give it, attributes by name.
const deviceSeen = (device) => ({
  DeviceKey: device.DeviceKey,
  attributes: Object.fromEntries(device.DeviceAttributes.map((a) => [a.Name, a.Value])),
  dates: ["DeviceCreateDate", "DeviceLastModifiedDate", "DeviceLastAuthenticatedDate"].filter(
    (member) => typeof device[member] === "number",
  ),
});

async function promptMode() {
  const user = newUser();
  const first = await attempt(user, signIn(user));
  await checkpoint("confirmed", { deviceKey: user.deviceKey });
  const before = deviceSeen((await getDevice(user)).Device);
  const remembered = await remember(user);
  const listed = await listDevices(user, 10, null);
  const got = deviceSeen((await getDevice(user)).Device);
  sent();
  const again = newUser();
  const second = await attempt(again, signIn(again));
  return {
    first,
    before,
    remembered,
    listed: {
      devices: listed.Devices.map(deviceSeen),
      paginationToken: listed.PaginationToken ?? null,
    },
    got,
    second,
  };
}

async function mfaMode() {
  const user = newUser();
  const asked = await attempt(user, signIn(user));
  // The authenticator was verified with the previous step's code: this one is new.
  const first = await attempt(user, sendTotp(user, totp(secret)));
  const got = deviceSeen((await getDevice(user)).Device);
  sent();
  const again = newUser();
  const second = await attempt(again, signIn(again));
  const notRemembered = await stopRemembering(again);
  const afterwards = deviceSeen((await getDevice(again)).Device);
  sent();
  const third = newUser();
  const thirdAsked = await attempt(third, signIn(third));
  const thirdAnswered =
    thirdAsked.callback === "totpRequired"
      ? await attempt(third, sendTotp(third, totp(secret, 1)))
      : null;
  return { asked, first, got, second, notRemembered, afterwards, thirdAsked, thirdAnswered };
}

async function forgetMode() {
  const user = newUser();
  const first = await attempt(user, signIn(user));
  const again = newUser();
  const second = await attempt(again, signIn(again));
  const forgot = await forgetDevice(again);
  const afterForget = { userDeviceKey: again.deviceKey ?? null, stored: stored() };
  sent();
  const third = newUser();
  const newDevice = await attempt(third, signIn(third));
  await checkpoint("new device", { deviceKey: third.deviceKey });
  // Forgotten by its key (as from a list of devices): the storage still holds it.
  const forgotByKey = await forgetSpecificDevice(third, third.deviceKey);
  const afterForgetByKey = stored();
  sent();
  const fourth = newUser();
  const stale = await attempt(fourth, signIn(fourth));
  return { first, second, forgot, afterForget, newDevice, forgotByKey, afterForgetByKey, stale };
}

const modes = { prompt: promptMode, mfa: mfaMode, forget: forgetMode };
console.log(JSON.stringify(await modes[mode]()));
process.exit(0);
