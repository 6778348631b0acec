// @ts-check
"use strict";
/**
 * Preloaded into a provider host (tests/support/provider-host.ts) so that the Azure SDKs running
 * there reach tests/support/fake-azure.ts: an https request to Entra ID or a Key Vault is sent as
 * plain http to 127.0.0.1:$FAKE_AZURE_PORT, with its original host in x-original-host, as the
 * fake's own httpClient does in-process. Everything above the socket (the SDKs' https checks,
 * challenge handshake, MSAL) runs unchanged. Other hosts are left alone.
 */
const http = require("node:http");
const https = require("node:https");

const port = Number(process.env.FAKE_AZURE_PORT);
const redirected = /^(login\.microsoftonline\.com|[a-z0-9-]+\.vault\.azure\.net)$/;
const request = https.request;

/** @type {any} */ (https).request = (/** @type {any} */ options, /** @type {any} */ callback) => {
  const host = typeof options === "object" && options !== null && !(options instanceof URL) ? options.hostname ?? options.host : undefined;
  if (typeof host !== "string" || !redirected.test(host)) {
    return request(options, callback);
  }
  const { agent: _agent, ...rest } = options;
  return http.request({ ...rest, protocol: "http:", hostname: "127.0.0.1", host: undefined, port, headers: { ...rest.headers, "x-original-host": host } }, callback);
};
