// A SAML 2.0 identity provider on loopback, built on samlify, for tests/pools/test_federation_saml.py.
//
//   node saml_idp.mjs <config.json>
// config: {entityId, privateKey, certificate (PEMs), server (the SP's root URL), wantSigned}.
// It listens on a free loopback port and prints {"port": N} once it does.
//
//   GET  /metadata       the IdP's metadata (redirect-binding SSO at /sso)
//   POST /user           the signed-in user and how to answer: {nameId, attributes, audience,
//                        recipient, destination, lifetimeSeconds, encrypt}
//   GET  /sso            an AuthnRequest (redirect binding, its signature checked when the SP
//                        signs): answers an auto-submitting form POSTing the SAMLResponse to the ACS
//   GET  /initiate?pool=<pool id>&relayState=...   the same form, unsolicited (IdP-initiated)
//   GET  /last           {requestSigned, requestId} of the last AuthnRequest read
//   GET  /app            a stand-in for the app's callback, for the browser test
//
// The SP's metadata comes from the SP itself: <server>/<pool id>/saml2/metadata, the pool named
// by the request's Issuer (urn:amazon:cognito:sp:<pool id>).
// samlify wants an XML schema validator; a test IdP skips that (the SP under test is the one
// that must validate).
import { readFileSync } from "node:fs";
import http from "node:http";
import crypto from "node:crypto";
import zlib from "node:zlib";
import * as samlify from "samlify";

samlify.setSchemaValidator({ validate: async () => "skipped" });

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
let port = 0;
let user = { nameId: "alice", attributes: {} };
let last = {};

const escape = (text) =>
  String(text).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function idp(encrypt = false) {
  return samlify.IdentityProvider({
    entityID: config.entityId,
    privateKey: config.privateKey,
    signingCert: config.certificate,
    wantAuthnRequestsSigned: Boolean(config.wantSigned),
    isAssertionEncrypted: encrypt,
    dataEncryptionAlgorithm: "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    keyEncryptionAlgorithm: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
    requestSignatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    nameIDFormat: ["urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"],
    singleSignOnService: [
      {
        Binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        Location: `http://127.0.0.1:${port}/sso`,
      },
    ],
  });
}

async function serviceProvider(poolId) {
  const answer = await fetch(`${config.server}/${poolId}/saml2/metadata`);
  if (!answer.ok) throw new Error(`SP metadata: ${answer.status}`);
  return samlify.ServiceProvider({ metadata: await answer.text() });
}

function responseXml(sp, inResponseTo) {
  const now = new Date();
  const until = new Date(now.getTime() + (user.lifetimeSeconds ?? 300) * 1000);
  const acs = sp.entityMeta.getAssertionConsumerService("post");
  const replying = inResponseTo ? ` InResponseTo="${escape(inResponseTo)}"` : "";
  const attributes = Object.entries(user.attributes || {})
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${escape(name)}">` +
        [values]
          .flat()
          .map((value) => `<saml:AttributeValue>${escape(value)}</saml:AttributeValue>`)
          .join("") +
        "</saml:Attribute>",
    )
    .join("");
  const id = `_${crypto.randomUUID()}`;
  const context =
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ' +
    `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" ` +
    `IssueInstant="${now.toISOString()}" Destination="${escape(user.destination ?? acs)}"${replying}>` +
    `<saml:Issuer>${escape(config.entityId)}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    `<saml:Assertion ID="_${crypto.randomUUID()}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${escape(config.entityId)}</saml:Issuer>` +
    "<saml:Subject>" +
    '<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">' +
    `${escape(user.nameId)}</saml:NameID>` +
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
    `<saml:SubjectConfirmationData NotOnOrAfter="${until.toISOString()}" ` +
    `Recipient="${escape(user.recipient ?? acs)}"${replying}/>` +
    "</saml:SubjectConfirmation></saml:Subject>" +
    `<saml:Conditions NotBefore="${now.toISOString()}" NotOnOrAfter="${until.toISOString()}">` +
    `<saml:AudienceRestriction><saml:Audience>${escape(user.audience ?? sp.entityMeta.getEntityID())}` +
    "</saml:Audience></saml:AudienceRestriction></saml:Conditions>" +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}"><saml:AuthnContext>` +
    "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef>" +
    "</saml:AuthnContext></saml:AuthnStatement>" +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : "") +
    "</saml:Assertion></samlp:Response>";
  return { id, context };
}

async function postForm(res, sp, inResponseTo, relayState) {
  const answer = await idp(Boolean(user.encrypt)).createLoginResponse(
    sp,
    inResponseTo ? { extract: { request: { id: inResponseTo } } } : {},
    "post",
    {},
    {
      customTagReplacement: () => responseXml(sp, inResponseTo),
      relayState,
      // The message's signature over the encrypted assertion, not over the plain one.
      encryptThenSign: Boolean(user.encrypt),
    },
  );
  const relay =
    relayState === undefined
      ? ""
      : `<input type="hidden" name="RelayState" value="${escape(relayState)}">`;
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(
    "<!doctype html><html><body>" +
      `<form method="post" action="${escape(answer.entityEndpoint)}">` +
      `<input type="hidden" name="SAMLResponse" value="${escape(answer.context)}">${relay}` +
      '<button type="submit">Continue</button></form>' +
      "<script>document.forms[0].submit()</script></body></html>",
  );
}

function poolOf(issuer) {
  const prefix = "urn:amazon:cognito:sp:";
  if (!issuer || !issuer.startsWith(prefix)) throw new Error(`not a pool's SP: ${issuer}`);
  return issuer.slice(prefix.length);
}

async function sso(req, res, url) {
  // What the SP signed: the query less its Signature, as sent.
  const octetString = url.search
    .slice(1)
    .split("&")
    .filter((part) => !part.startsWith("Signature="))
    .join("&");
  const query = Object.fromEntries(url.searchParams);
  // The Issuer names the pool whose metadata (and certificate) check the request's signature.
  const xml = zlib.inflateRawSync(Buffer.from(query.SAMLRequest ?? "", "base64")).toString("utf8");
  const issuer = /<(?:\w+:)?Issuer[^>]*>([^<]*)</.exec(xml)?.[1];
  const sp = await serviceProvider(poolOf(issuer));
  const parsed = await idp().parseLoginRequest(sp, "redirect", { query, octetString });
  last = { requestSigned: Boolean(query.Signature), requestId: parsed.extract.request.id };
  await postForm(res, sp, parsed.extract.request.id, query.RelayState);
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  try {
    if (url.pathname === "/metadata") {
      res.writeHead(200, { "Content-Type": "application/samlmetadata+xml" });
      res.end(idp().getMetadata());
    } else if (url.pathname === "/user" && req.method === "POST") {
      user = JSON.parse(await body(req));
      res.writeHead(204);
      res.end();
    } else if (url.pathname === "/sso") {
      await sso(req, res, url);
    } else if (url.pathname === "/initiate") {
      const sp = await serviceProvider(url.searchParams.get("pool"));
      const relay = url.searchParams.get("relayState");
      await postForm(res, sp, null, relay === null ? undefined : relay);
    } else if (url.pathname === "/app") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end("<p>Back in the app.</p>");
    } else if (url.pathname === "/last") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(last));
    } else {
      res.writeHead(404);
      res.end();
    }
  } catch (error) {
    res.writeHead(400, { "Content-Type": "text/plain" });
    res.end(`IdP refused: ${error?.message ?? error}`);
  }
});

server.listen(0, "127.0.0.1", () => {
  port = server.address().port;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
