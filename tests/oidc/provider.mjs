// A real OpenID Connect provider (the certified `oidc-provider` package) on 127.0.0.1,
// for the dashboards' end-to-end login test. Test users come from a JSON file:
//   node provider.mjs <port> <config.json>
// config.json: {"client": {"client_id", "client_secret", "redirect_uris": [...]},
//               "users": {"<login>": {"email": "...", "groups": ["..."]}}}
// Logging in uses oidc-provider's own development interactions (a login form where the
// login names the account, then a consent form). Prints "ready <issuer>" once listening.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configFile] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      ...config.client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  async findAccount(ctx, id) {
    const user = config.users[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: user.email, email_verified: true, groups: user.groups ?? [] };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
  scopes: ['openid', 'email', 'groups'],
  // Streamlit reads the user from the ID token, so the scope's claims go in it.
  conformIdTokenClaims: false,
  cookies: { keys: ['leerdata-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
