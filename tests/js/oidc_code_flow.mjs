// openid-client (panva's, v6) as an app's relying party, configured with nothing but the pool's
// issuer URL, its client id (and secret, for a confidential client) and a redirect URI: it
// discovers the endpoints, builds the authorization URL with PKCE S256, state and nonce, and,
// once a browser has signed in on the hosted /login page, exchanges the callback's code (checking
// state, the ID token's signature through the pool's JWKS, iss, aud, exp and nonce), then asks
// userInfo and refreshes, all through the library. This script plays the browser's part with
// fetch: it follows the redirects on the server and submits the sign-in form as a user would.
//
//   node oidc_code_flow.mjs <issuer> <client id> <secret or ""> <redirect uri> <user> <password> [mode]
//
// mode: "sign-in" (default) prints the tokens, the ID token's claims, userInfo and the refresh;
// "tampered-state" and "wrong-nonce" print what the library refused ("refused"), with the code
// and its verifier so that the caller can show whether the server ever saw them.
import * as client from "openid-client";

const [issuer, clientId, secret, redirectUri, username, password, mode = "sign-in"] =
  process.argv.slice(2);

// --- the browser's part ------------------------------------------------------------------------

const cookies = new Map();

async function get(url) {
  const response = await fetch(url, { redirect: "manual", headers: cookieHeader() });
  keepCookies(response);
  return response;
}

function cookieHeader() {
  const pairs = [...cookies].map(([name, value]) => `${name}=${value}`);
  return pairs.length ? { cookie: pairs.join("; ") } : {};
}

function keepCookies(response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const at = pair.indexOf("=");
    cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
}

function unescapeHtml(text) {
  const named = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body) => {
    if (body[0] === "#") {
      const hex = body[1] === "x" || body[1] === "X";
      return String.fromCodePoint(parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    return named[body.toLowerCase()] ?? entity;
  });
}

function attribute(tag, name) {
  const found = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  return found ? unescapeHtml(found[1]) : undefined;
}

// The sign-in page's form: where it posts, and its hidden fields (the CSRF token among them).
function signInForm(html, pageUrl) {
  const form = html.match(/<form\b[^>]*method="post"[^>]*>/i);
  if (!form) throw new Error(`no form on ${pageUrl}`);
  const fields = new URLSearchParams();
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    if (attribute(tag, "type") === "hidden") fields.set(attribute(tag, "name"), attribute(tag, "value") ?? "");
  }
  return { action: new URL(attribute(form[0], "action"), pageUrl), fields };
}

// Follows redirects on the server to the sign-in page, submits it, and returns the redirect to
// the app's callback (never fetched: the app is not running here).
async function signIn(authorizationUrl) {
  let url = authorizationUrl;
  let response = await get(url);
  while (response.status === 302) {
    url = new URL(response.headers.get("location"), url);
    response = await get(url);
  }
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  const { action, fields } = signInForm(await response.text(), url);
  fields.set("username", username);
  fields.set("password", password);
  const posted = await fetch(action, {
    method: "POST",
    redirect: "manual",
    headers: {
      ...cookieHeader(),
      "content-type": "application/x-www-form-urlencoded",
      referer: url.href,
    },
    body: fields,
  });
  const location = posted.headers.get("location");
  if (posted.status !== 302 || !location?.startsWith(redirectUri)) {
    throw new Error(`the sign-in answered ${posted.status}: ${(await posted.text()).slice(0, 500)}`);
  }
  return new URL(location);
}

// --- the app's part: openid-client --------------------------------------------------------------

const config = await client.discovery(
  new URL(issuer),
  clientId,
  undefined,
  secret ? client.ClientSecretBasic(secret) : client.None(),
  // The test server speaks plain HTTP on loopback; the ID token's signature is checked through
  // the issuer's JWKS (openid-client checks iss, aud, exp and nonce without asking).
  { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
);

const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: "openid email profile",
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: "S256",
  state,
  nonce,
});

const callback = await signIn(authorizationUrl);
const checks = { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce };

if (mode !== "sign-in") {
  if (mode === "tampered-state") callback.searchParams.set("state", client.randomState());
  else if (mode === "wrong-nonce") checks.expectedNonce = client.randomNonce();
  else throw new Error(`unknown mode ${mode}`);
  let refused;
  try {
    await client.authorizationCodeGrant(config, callback, checks);
  } catch (error) {
    // openid-client's error names the kind; its cause (oauth4webapi's) says what was wrong.
    refused = { name: error.name, code: error.code, reason: error.cause?.message ?? "" };
  }
  const code = callback.searchParams.get("code");
  console.log(JSON.stringify({ refused, code, codeVerifier, redirectUri }));
} else {
  const tokens = await client.authorizationCodeGrant(config, callback, checks);
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  console.log(
    JSON.stringify({
      discovered: config.serverMetadata(),
      authorizationUrl: authorizationUrl.href,
      nonce,
      tokens: {
        id_token: tokens.id_token,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: tokens.token_type,
        expires_in: tokens.expiresIn(),
      },
      claims,
      userinfo,
      refreshed: {
        id_token: refreshed.id_token,
        access_token: refreshed.access_token,
        refresh_token: refreshed.refresh_token ?? null,
        claims: refreshed.claims() ?? null,
      },
    }),
  );
}
