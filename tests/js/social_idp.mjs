// A local stand-in for Google, Sign in with Apple, Facebook and Login with Amazon, for
// tests/pools/test_federation_social.py: each style's authorize, token and profile endpoints
// as the real provider answers them, on one loopback port.
//
// node social_idp.mjs '<config JSON>'  prints {"port": N} once listening. The config names
// each style's client ({google, facebook, amazon: {id, secret}, apple: {id, team, key, pem}},
// pem: the EC public key that Apple's ES256 client secret must verify against).
// The user who signs in, and how the provider misbehaves, are set per test by
// POST /control {"profiles": {style: {...}}, "misbehave": {"aud": style, ...}}: there is no
// login page, the authorize endpoint consents at once for that style's profile.
//
// Written with node:http and node:crypto only: oidc-provider serves standard OpenID Connect,
// but not Facebook's and Amazon's own endpoints nor Apple's JWT client secret.

import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify } from "node:crypto";
import { createServer } from "node:http";

const config = JSON.parse(process.argv[2]);
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
// Signs tokens under the published kid without being the published key.
const impostor = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const KID = "social-idp-1";
const jwks = { keys: [{ ...publicKey.export({ format: "jwk" }), kid: KID, use: "sig", alg: "RS256" }] };
const applePublicKey = createPublicKey(config.apple.pem);

let control = { profiles: {}, misbehave: {} };
const codes = new Map();
const tokens = new Map();

const b64url = (data) => Buffer.from(data).toString("base64url");

function jwt(claims, key = privateKey) {
  const header = b64url(JSON.stringify({ alg: "RS256", kid: KID, typ: "JWT" }));
  const body = b64url(JSON.stringify(claims));
  const signature = sign("sha256", Buffer.from(`${header}.${body}`), key);
  return `${header}.${body}.${signature.toString("base64url")}`;
}

function equal(a, b) {
  const left = Buffer.from(String(a));
  const right = Buffer.from(String(b));
  return left.length === right.length && timingSafeEqual(left, right);
}

// Apple's client secret: an ES256 JWT by the team, for the client, to Apple, unexpired.
function appleSecretValid(secret) {
  const parts = String(secret || "").split(".");
  if (parts.length !== 3) return false;
  const header = JSON.parse(Buffer.from(parts[0], "base64url"));
  const claims = JSON.parse(Buffer.from(parts[1], "base64url"));
  const signed = verify(
    "sha256",
    Buffer.from(`${parts[0]}.${parts[1]}`),
    { key: applePublicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(parts[2], "base64url"),
  );
  return (
    signed &&
    header.alg === "ES256" &&
    header.kid === config.apple.key &&
    claims.iss === config.apple.team &&
    claims.sub === config.apple.id &&
    claims.aud === "https://appleid.apple.com" &&
    claims.exp > Date.now() / 1000
  );
}

function send(response, status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const type = typeof body === "string" ? "text/html" : "application/json";
  response.writeHead(status, { "Content-Type": type, ...headers });
  response.end(text);
}

function redirect(response, target, values) {
  const url = new URL(target);
  for (const [name, value] of Object.entries(values)) url.searchParams.set(name, value);
  response.writeHead(302, { Location: url.toString() });
  response.end();
}

function escape(text) {
  return String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

// Apple's response_mode=form_post: a page whose form posts the answer to the redirect URI.
function formPost(response, target, values) {
  const inputs = Object.entries(values)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join("");
  send(response, 200, `<html><body onload="document.forms[0].submit()"><form method="post" action="${escape(target)}">${inputs}</form></body></html>`);
}

function authorize(style, query, response) {
  const client = config[style];
  const redirectUri = query.get("redirect_uri");
  if (query.get("client_id") !== client.id || !redirectUri) {
    return send(response, 400, { error: "invalid_request" });
  }
  const state = query.get("state");
  const answer = (values) =>
    query.get("response_mode") === "form_post"
      ? formPost(response, redirectUri, values)
      : redirect(response, redirectUri, values);
  if (control.misbehave.deny === style) {
    return answer({ error: "access_denied", error_description: "The user said no.", state });
  }
  const profile = control.profiles[style];
  const code = b64url(randomBytes(24));
  codes.set(code, { style, redirectUri, nonce: query.get("nonce"), profile, scope: query.get("scope") });
  const values = { code, state };
  if (style === "apple" && profile.user) values.user = JSON.stringify(profile.user);
  return answer(values);
}

function redeem(style, params, response) {
  const grant = codes.get(params.get("code"));
  codes.delete(params.get("code"));
  if (!grant || grant.style !== style || grant.redirectUri !== params.get("redirect_uri")) {
    return send(response, 400, { error: "invalid_grant" });
  }
  const client = config[style];
  const secretOk =
    style === "apple" ? appleSecretValid(params.get("client_secret")) : equal(params.get("client_secret"), client.secret);
  if (params.get("client_id") !== client.id || !secretOk) {
    return send(response, 401, { error: "invalid_client" });
  }
  const accessToken = b64url(randomBytes(24));
  tokens.set(accessToken, { style, profile: grant.profile });
  const answer = { access_token: accessToken, token_type: "bearer", expires_in: 3600 };
  if (style === "google" || style === "apple") {
    const now = Math.floor(Date.now() / 1000);
    const { user, ...claims } = grant.profile;
    const idToken = {
      iss: `${base}/${style}`,
      aud: control.misbehave.aud === style ? "someone-else" : client.id,
      iat: now,
      exp: now + 600,
      nonce: control.misbehave.nonce === style ? "not-the-nonce" : grant.nonce,
      ...claims,
    };
    if (style === "google") {
      const digest = createHash("sha256").update(accessToken).digest();
      idToken.at_hash = b64url(digest.subarray(0, 16));
      if (!grant.nonce) delete idToken.nonce;
    }
    answer.id_token = jwt(idToken, control.misbehave.key === style ? impostor : privateKey);
  }
  return send(response, 200, answer);
}

function bearer(request, query) {
  const header = request.headers.authorization || "";
  return tokens.get(header.startsWith("Bearer ") ? header.slice(7) : query.get("access_token"));
}

function profile(style, request, query, response) {
  const token = bearer(request, query);
  if (!token || token.style !== style) return send(response, 401, { error: "invalid_token" });
  if (style === "facebook") {
    const accessToken = query.get("access_token");
    const secret = control.misbehave.proof === style ? "another-secret" : config.facebook.secret;
    const proof = createHmac("sha256", secret).update(accessToken).digest("hex");
    if (!equal(query.get("appsecret_proof"), proof)) {
      return send(response, 400, {
        error: { message: "Invalid appsecret_proof provided in the API argument", type: "GraphMethodException", code: 100 },
      });
    }
    const fields = (query.get("fields") || "id").split(",");
    return send(response, 200, Object.fromEntries(fields.filter((f) => f in token.profile).map((f) => [f, token.profile[f]])));
  }
  return send(response, 200, token.profile);
}

const routes = {
  "GET /google/.well-known/openid-configuration": (_request, _query, response) =>
    send(response, 200, {
      issuer: `${base}/google`,
      authorization_endpoint: `${base}/google/authorize`,
      token_endpoint: `${base}/google/token`,
      userinfo_endpoint: `${base}/google/userinfo`,
      jwks_uri: `${base}/google/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
    }),
  "GET /google/jwks": (_request, _query, response) => send(response, 200, jwks),
  "GET /apple/auth/keys": (_request, _query, response) => send(response, 200, jwks),
  "GET /google/authorize": (_r, query, response) => authorize("google", query, response),
  "GET /apple/auth/authorize": (_r, query, response) => authorize("apple", query, response),
  "GET /facebook/dialog/oauth": (_r, query, response) => authorize("facebook", query, response),
  "GET /amazon/ap/oa": (_r, query, response) => authorize("amazon", query, response),
  "POST /google/token": (_r, params, response) => redeem("google", params, response),
  "POST /apple/auth/token": (_r, params, response) => redeem("apple", params, response),
  "GET /facebook/oauth/access_token": (_r, params, response) => redeem("facebook", params, response),
  "POST /amazon/auth/o2/token": (_r, params, response) => redeem("amazon", params, response),
  "GET /google/userinfo": (request, query, response) => profile("google", request, query, response),
  "GET /facebook/me": (request, query, response) => profile("facebook", request, query, response),
  "GET /amazon/user/profile": (request, query, response) => profile("amazon", request, query, response),
  "POST /control": (_r, _params, response, body) => {
    control = JSON.parse(body);
    send(response, 200, { ok: true });
  },
};

// Google's token endpoint also takes the client's credentials by HTTP Basic.
function withBasic(request, params) {
  const header = request.headers.authorization || "";
  if (header.startsWith("Basic ")) {
    const [id, secret] = Buffer.from(header.slice(6), "base64").toString().split(":").map(decodeURIComponent);
    params.set("client_id", id);
    params.set("client_secret", secret);
  }
  return params;
}

let base = "";
const server = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => {
    body += chunk;
  });
  request.on("end", () => {
    const url = new URL(request.url, base);
    const route = routes[`${request.method} ${url.pathname}`];
    if (!route) return send(response, 404, { error: "not_found" });
    const form = request.method === "POST" && !url.pathname.endsWith("/control");
    const params = form ? withBasic(request, new URLSearchParams(body)) : url.searchParams;
    try {
      return route(request, params, response, body);
    } catch (error) {
      return send(response, 500, { error: "server_error", detail: String(error) });
    }
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  base = `http://127.0.0.1:${port}`;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
