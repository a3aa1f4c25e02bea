// The CLI's Microsoft Entra ID sign-in (and so the MCP server's, which shares the CLI's configuration): the engine's
// token port filled from an @azure/identity credential, by default DefaultAzureCredential, which tries the
// environment (AZURE_CLIENT_ID with a secret, a certificate or a federated token), workload and managed identity, then
// the Azure CLI, Azure PowerShell and Azure Developer CLI logins; AZURE_TOKEN_CREDENTIALS narrows it to one of them.
// @azure/identity is loaded only when a configuration signs in this way, so key-only runs never pay for it. Tokens are
// kept by the engine's cache in memory only.
import type { TokenCredential } from '@azure/identity';
import type { TokenProvider } from '../core/auth';

/** Makes the credential for a tenant (undefined: the credential's own default); tests pass a fake one. */
export type CredentialFactory = (tenantId: string | undefined) => TokenCredential | Promise<TokenCredential>;

/** DefaultAzureCredential for the tenant, which its Azure CLI, PowerShell and developer CLI logins are asked for too. */
const defaultCredential: CredentialFactory = async (tenantId) => {
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential(tenantId ? { tenantId } : {});
};

/** The engine's token port over a credential (by default DefaultAzureCredential; tests give a fake one), made on the first token asked for. */
export function credentialTokenProvider(tenantId: string | undefined, factory: CredentialFactory = defaultCredential): TokenProvider {
  let credential: Promise<TokenCredential> | undefined;
  return async (scope, { signal }) => {
    credential ??= Promise.resolve(factory(tenantId));
    const token = await (await credential).getToken(scope, { abortSignal: signal, tenantId });
    if (!token) throw new Error('the Azure credential gave no token');
    return { token: token.token, expiresOnTimestamp: token.expiresOnTimestamp };
  };
}
