// A real OpenID Connect provider (panva's certified oidc-provider) for the
// social sign-in tests: started by crates/broadsheet/tests/it/oidc.rs on a
// free port of 127.0.0.1, never anywhere else. Test use only: in-memory
// storage, development login pages (any login name, any password), a key
// made at start.
//
// Settings come as one JSON object in the environment variable
// OIDC_FIXTURE:
//   clientId, clientSecret, redirectUri   the one client it knows
//   users      { "<login>": { email, email_verified, name } }: the claims
//              of each login name (others get a subject and nothing else)
//   mode       "ok" (default), or how to spoil the ID token the token
//              endpoint answers with:
//              "tamper"    change a claim and keep the signature
//              "wrong-aud" re-sign it for another audience
//              "expired"   re-sign it as expired an hour ago
// It listens on 127.0.0.1 port 0 (the system picks) and prints one line,
// {"issuer":"http://127.0.0.1:<port>"}, once it answers.

import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const cfg = JSON.parse(process.env.OIDC_FIXTURE || '{}');
const mode = cfg.mode || 'ok';
const users = cfg.users || {};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'fixture-1', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: cfg.clientId,
      client_secret: cfg.clientSecret,
      redirect_uris: [cfg.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['broadsheet-test-fixture-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Put the scope's claims in the ID token (as Google does).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  // Consent is taken as given: the tests play a reader who says yes.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...(users[id] || {}) };
      },
    };
  },
});

const sign = (payload) =>
  new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid }).sign(privateKey);

provider.use(async (ctx, next) => {
  await next();
  if (mode === 'ok' || ctx.path !== '/token' || ctx.status !== 200) return;
  const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
  if (!body || !body.id_token) return;
  const [h, p, s] = body.id_token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'tamper') {
    claims.email = 'mallory@example.net';
    claims.email_verified = true;
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
    body.id_token = `${h}.${forged}.${s}`;
  } else if (mode === 'wrong-aud') {
    claims.aud = 'someone-else';
    claims.azp = 'someone-else';
    body.id_token = await sign(claims);
  } else if (mode === 'expired') {
    claims.iat = now - 7200;
    claims.exp = now - 3600;
    body.id_token = await sign(claims);
  }
  ctx.body = body;
});

server.on('request', provider.callback());
server.on('clientError', (err, socket) => {
  process.stderr.write(`oidc-provider fixture: bad request from a client: ${err.code || err.message}\n`);
  socket.destroy();
});
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => process.exit(0));
