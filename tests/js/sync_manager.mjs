// AWS's JavaScript Sync Manager (amazon-cognito-js, on the AWS SDK v2) against cognitoadmin, as an
// app uses it: only the endpoints differ from AWS. Two devices of one guest identity, each with
// its own localStorage, sync a dataset, edit the same keys offline, and meet a conflict that the
// second resolves in onConflict (one key with the remote value, one with a value of its own);
// then both converge. The phone then writes while the tablet is between its ListRecords and its
// UpdateRecords: the tablet's update is refused (ResourceConflictException), and the library
// lists again and asks the app, which keeps its own value. Last, the phone removes a key and
// the tablet's sync removes it there too.
// Usage: node sync_manager.mjs <endpoint URL> <identity pool id>
// Prints a JSON summary of what the app saw.
import AWS from "aws-sdk";
import "amazon-cognito-js"; // adds AWS.CognitoSyncManager to the SDK

const [endpoint, IdentityPoolId] = process.argv.slice(2);
// Cognito Sync's client (made by the Sync Manager) reads its endpoint from the SDK's config.
AWS.config.update({ region: "us-east-1", cognitosync: { endpoint } });

// --- what goes over the wire: each device's Cognito calls, with HTTP status and error ---------
const devices = new WeakMap(); // a device's Cognito Sync client -> the device's name
const calls = new Map(); // a device's name -> its calls not yet reported
AWS.events.on("complete", (response) => {
  const device = devices.get(response.request.service) ?? "starting";
  const entry = {
    operation: response.request.operation,
    status: response.httpResponse.statusCode,
  };
  if (response.error) entry.error = `${response.error.code}: ${response.error.message}`;
  calls.set(device, [...(calls.get(device) ?? []), entry]);
});
// The calls `device` made since the last time it was asked.
const sent = (device) => {
  const made = calls.get(device) ?? [];
  calls.delete(device);
  return made;
};
// Something to run once, just before the next UpdateRecords goes out (the request waits for it).
let beforeNextUpdate = null;
AWS.events.onAsync("validate", (request, done) => {
  const run = request.operation === "updateRecords" ? beforeNextUpdate : null;
  if (!run) return done();
  beforeNextUpdate = null;
  run().then(() => done(), done);
});

// --- a browser's localStorage, one per device --------------------------------------------------
const localStorage = () => {
  const items = new Map();
  return {
    setItem: (key, value) => items.set(key, String(value)),
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    removeItem: (key) => items.delete(key),
    clear: () => items.clear(),
  };
};

// --- a device: the app starting in its own browser ---------------------------------------------
// As in the Sync Manager's README: credentials from the identity pool (GetId, then
// GetCredentialsForIdentity), and once they are there, a CognitoSyncManager. The manager takes
// `AWS.config.credentials` and `window.localStorage` when it is made, so each device sets both.
// The second device is the same person: it already knows its identity id.
async function startDevice(name, IdentityId) {
  const credentials = new AWS.CognitoIdentityCredentials(
    IdentityId ? { IdentityPoolId, IdentityId } : { IdentityPoolId },
    { endpoint, region: "us-east-1" },
  );
  await new Promise((resolve, reject) =>
    credentials.get((error) => (error ? reject(error) : resolve())),
  );
  AWS.config.credentials = credentials;
  globalThis.window = { localStorage: localStorage() };
  const manager = new AWS.CognitoSyncManager();
  devices.set(manager.remote.client, name);
  const dataset = await new Promise((resolve, reject) =>
    manager.openOrCreateDataset("settings", (error, opened) =>
      error ? reject(error) : resolve(opened),
    ),
  );
  return { name, identityId: manager.getIdentityId(), dataset, requests: sent("starting") };
}

// --- the library's callbacks, as promises ------------------------------------------------------
const call = (method, ...args) =>
  new Promise((resolve, reject) =>
    method(...args, (error, result) => (error ? reject(error) : resolve(result))),
  );
const put = (dataset, key, value) => call(dataset.put.bind(dataset), key, value);
const remove = (dataset, key) => call(dataset.remove.bind(dataset), key);
const putAll = (dataset, values) => call(dataset.putAll.bind(dataset), values);
const getAll = (dataset) => call(dataset.getAll.bind(dataset));
const get = (dataset, key) => call(dataset.get.bind(dataset), key);
const lastSyncCount = async (dataset) =>
  (await call(dataset.getDatasetMetadata.bind(dataset))).getLastSyncCount();

// synchronize: the callback it ends in, and the requests it made. `onConflict` is the app's:
// it gets the conflicts and returns the records it resolved them to.
function synchronize({ name, dataset }, onConflict) {
  const conflicts = [];
  return new Promise((resolve, reject) =>
    dataset.synchronize({
      onSuccess: () => resolve({ callback: "onSuccess", conflicts, requests: sent(name) }),
      onFailure: (error) => reject(error),
      onConflict: (conflicted, found, carryOn) => {
        for (const conflict of found) {
          conflicts.push({
            key: conflict.getKey(),
            local: conflict.getLocalRecord().getValue(),
            remote: conflict.getRemoteRecord().getValue(),
            remoteSyncCount: conflict.getRemoteRecord().getSyncCount(),
          });
        }
        if (!onConflict) return carryOn(false);
        conflicted.resolve(onConflict(found), (error) => (error ? reject(error) : carryOn(true)));
      },
      onDatasetDeleted: (deleted, name, carryOn) => carryOn(false),
      onDatasetsMerged: (merged, names, carryOn) => carryOn(false),
    }),
  );
}

// --- the scenario ------------------------------------------------------------------------------
const phone = await startDevice("phone");
await putAll(phone.dataset, { theme: "light", volume: "5", lang: "en" });
const phoneFirst = await synchronize(phone);

const tablet = await startDevice("tablet", phone.identityId);
const tabletFirst = await synchronize(tablet);
const tabletPulled = await getAll(tablet.dataset);

// Offline, both change theme and volume; the tablet also adds a key.
await put(phone.dataset, "theme", "dark");
await put(phone.dataset, "volume", "7");
await put(tablet.dataset, "theme", "solarized");
await put(tablet.dataset, "volume", "9");
await put(tablet.dataset, "font", "serif");

const phoneOnline = await synchronize(phone);
// The tablet keeps the phone's theme, and settles the volume between the two.
const resolved = [];
const tabletOnline = await synchronize(tablet, (conflicts) =>
  conflicts.map((conflict) => {
    const record =
      conflict.getKey() === "theme"
        ? conflict.resolveWithRemoteRecord()
        : conflict.resolveWithValue("8");
    resolved.push({ key: record.getKey(), value: record.getValue() });
    return record;
  }),
);
const phoneCatchUp = await synchronize(phone);
const converged = { phone: await getAll(phone.dataset), tablet: await getAll(tablet.dataset) };

// The race: the phone syncs its font while the tablet's sync has listed and not yet updated.
let phoneMeanwhile;
beforeNextUpdate = async () => {
  await put(phone.dataset, "font", "sans");
  phoneMeanwhile = await synchronize(phone);
};
await put(tablet.dataset, "font", "mono");
const racedResolved = [];
const tabletRaced = await synchronize(tablet, (conflicts) =>
  conflicts.map((conflict) => {
    const record = conflict.resolveWithLocalRecord();
    racedResolved.push({ key: record.getKey(), value: record.getValue() });
    return record;
  }),
);
const phoneAfterRace = await synchronize(phone);
const raced = { phone: await getAll(phone.dataset), tablet: await getAll(tablet.dataset) };

// The phone removes a key; the tablet's next sync removes it there too. The library keeps the
// removed record and reads it as "" (its Record makes a missing Value ""), on AWS as here.
await remove(phone.dataset, "lang");
const phoneRemoves = await synchronize(phone);
const tabletRemoves = await synchronize(tablet);

console.log(
  JSON.stringify({
    identityIds: [phone.identityId, tablet.identityId],
    start: { phone: phone.requests, tablet: tablet.requests },
    first: { phone: phoneFirst, tablet: tabletFirst },
    tabletPulled,
    online: { phone: phoneOnline, tablet: tabletOnline },
    resolved,
    phoneCatchUp,
    converged,
    race: {
      phoneMeanwhile,
      tablet: tabletRaced,
      resolved: racedResolved,
      phoneAfter: phoneAfterRace,
      raced,
    },
    removes: { phone: phoneRemoves, tablet: tabletRemoves },
    removed: {
      phone: { lang: await get(phone.dataset, "lang"), all: await getAll(phone.dataset) },
      tablet: { lang: await get(tablet.dataset, "lang"), all: await getAll(tablet.dataset) },
    },
    lastSyncCounts: {
      phone: await lastSyncCount(phone.dataset),
      tablet: await lastSyncCount(tablet.dataset),
    },
  }),
);
