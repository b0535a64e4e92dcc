// A real OpenID provider (the certified npm package `oidc-provider`) standing in for ProConnect
// in the tests and in local trials. It listens on 127.0.0.1 (port 0: a free one), prints one JSON
// line {"issuer": ..., "port": ...} on stdout once it listens, and runs until it is killed.
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [<client metadata>...], "idTokenTtl": 3600, "port": 0}
// Clients are registered as given (client_id, client_secret, redirect_uris,
// post_logout_redirect_uris, ...). Like ProConnect: each claim is its own scope (email,
// given_name, usual_name, siret, idp_id, uid), acr values eidas1..3, no consent screen.
//
// The sign-in page is scripted: its form takes the account's sub and claims (and the acr to
// report), so a test logs in whom it wants. Nothing here is for production.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = process.argv[2] ? JSON.parse(readFileSync(process.argv[2], 'utf8')) : {};
const CLAIMS = ['email', 'given_name', 'usual_name', 'siret', 'idp_id', 'uid'];
const accounts = new Map(); // sub -> claims, filled by the sign-in form

function html(title, body) {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

function escape(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(uid, params) {
  const fields = ['sub', ...CLAIMS].map((name) => `<p><label for="${name}">${name}</label> `
    + `<input id="${name}" name="${name}" value=""></p>`).join('');
  return html('Connexion au fournisseur d\'identité de test', `
    <p>Client : ${escape(params.client_id)}</p>
    <form method="post" action="/interaction/${escape(uid)}/login">
      ${fields}
      <p><label for="acr">acr</label> <input id="acr" name="acr" value=""></p>
      <button type="submit">Se connecter</button>
    </form>`);
}

const server = http.createServer();
server.listen(config.port || 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients || [],
    jwks: { keys: [signingKey()] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    // acr with `openid`: ProConnect puts it in every ID token
    claims: { openid: ['sub', 'acr'], ...Object.fromEntries(CLAIMS.map((c) => [c, [c]])) },
    scopes: ['openid', ...CLAIMS],
    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_post',
    },
    pkce: { required: () => true },
    ttl: {
      IdToken: config.idTokenTtl || 3600, AccessToken: 600, AuthorizationCode: 60,
      Interaction: 600, Grant: 3600, Session: 3600,
    },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = html('Déconnexion du fournisseur d\'identité de test', `${form}
            <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Se déconnecter</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = html('Déconnecté', '<p>Vous êtes déconnecté du fournisseur.</p>');
        },
      },
    },
    async findAccount(ctx, sub) {
      const claims = accounts.get(sub);
      if (!claims) return undefined;
      return { accountId: sub, async claims() { return { sub, ...claims }; } };
    },
    // No consent screen (ProConnect asks none): grant what the client asked for.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.requestParamOIDCScopes ? [...ctx.oidc.requestParamOIDCScopes].join(' ') : 'openid');
      grant.addOIDCClaims([...(ctx.oidc.requestParamClaims || [])]);
      await grant.save();
      return grant;
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = html('Erreur du fournisseur', `<pre>${escape(JSON.stringify(out))}</pre>`);
    },
  });

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (!match) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET' && !match[2]) {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        return res.end(loginPage(details.uid, details.params));
      }
      if (req.method === 'POST' && match[2]) {
        const form = await readForm(req);
        const sub = form.get('sub');
        if (!sub) throw new Error('sub manquant');
        const claims = {};
        for (const name of CLAIMS) if (form.get(name)) claims[name] = form.get(name);
        accounts.set(sub, claims);
        const login = { accountId: sub };
        if (form.get('acr')) login.acr = form.get('acr');
        return await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
      }
      res.statusCode = 405;
      return res.end();
    } catch (err) {
      res.statusCode = 400;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(html('Erreur d\'interaction', `<p>${escape(err.message)}</p>`));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
